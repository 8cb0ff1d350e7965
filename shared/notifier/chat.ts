/**
 * Alerts as AWS Chatbot (Amazon Q Developer in chat applications) custom notifications, for Slack
 * or Teams channels subscribed to the alert topic: version "1.0", source "custom", markdown
 * content, and a thread per verdict and bucket. Chatbot drops what it cannot parse, so the shape
 * is exactly the documented one.
 * https://docs.aws.amazon.com/chatbot/latest/adminguide/custom-notifs.html
 */
import { displayText, truncate } from "../text.ts";
import type { AlertVerdict, Severity } from "../verdicts.ts";
import { verifyCommand } from "./commands.ts";
import { SERVICE_NAME } from "./subject.ts";
import { type IncidentView, objectUri } from "./views.ts";

export interface ChatNotification {
  readonly version: "1.0";
  readonly source: "custom";
  readonly id?: string;
  readonly content: {
    readonly textType: "client-markdown";
    readonly title: string;
    readonly description: string;
    readonly nextSteps: readonly string[];
    readonly keywords: readonly string[];
  };
  readonly metadata: {
    readonly threadId: string;
    readonly summary: string;
    readonly eventType: string;
    readonly relatedResources: readonly string[];
    readonly additionalContext: Readonly<Record<string, string>>;
  };
}

const EMOJI: Record<Severity, string> = {
  critical: ":rotating_light:",
  high: ":warning:",
  warning: ":information_source:",
};
/** A chat message is read on a phone: a few objects, then "and N more" (the email has all). */
const MAX_OBJECTS = 5;

export function chatNotification(
  views: readonly IncidentView[],
  context: { readonly stage: string; readonly subject: string; readonly id?: string },
): ChatNotification {
  const [first] = views;
  const verdict: AlertVerdict = first?.verdict ?? "UNRECOGNISED_MESSAGE";
  const severity: Severity = first?.severity ?? "warning";
  const objects = views.flatMap((view) => view.objects);
  const lines = views.slice(0, MAX_OBJECTS).map((view) => {
    const [object] = view.objects;
    const where = object ? `\`${objectUri(object)}\`: ` : "";
    return `• ${where}${truncate(displayText(view.summary), 300)}`;
  });
  if (views.length > MAX_OBJECTS)
    lines.push(`… and ${views.length - MAX_OBJECTS} more (see the email)`);
  const count = views.length > 1 ? `${views.length} x ` : "";
  return {
    version: "1.0",
    source: "custom",
    ...(context.id ? { id: context.id } : {}),
    content: {
      textType: "client-markdown",
      title: `${EMOJI[severity]} ${count}${verdict} (${severity}) - ${SERVICE_NAME} ${context.stage}`,
      description: lines.join("\n"),
      nextSteps: objects
        .slice(0, MAX_OBJECTS)
        .map((object) => `\`${verifyCommand(context.stage, object)}\``),
      keywords: [verdict, severity, context.stage, ...(first?.category ? [first.category] : [])],
    },
    metadata: {
      // One thread per kind of problem and bucket, if the channel threads notifications.
      threadId: [SERVICE_NAME, context.stage, verdict, first?.bucket ?? "-"].join("/"),
      summary: context.subject,
      eventType: verdict,
      relatedResources: [...new Set(objects.map((object) => `arn:aws:s3:::${object.bucket}`))],
      additionalContext: {
        stage: context.stage,
        severity,
        ...(context.id ? { reportId: context.id } : {}),
      },
    },
  };
}
