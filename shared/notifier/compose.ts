/**
 * Whole alert emails: subject, body and message attributes, for one incident or for a digest of
 * several of the same kind. The one owner of what an email looks like, from the views
 * (shared/notifier/views.ts) and the wording (shared/notifier/guidance.ts); alert-batch.ts only
 * decides which incidents go together and publishes.
 */
import { compact } from "../objects.ts";
import {
  boundedText,
  displayText,
  formatSize,
  section,
  utf8Bytes,
  wrapLine,
  wrapProse,
} from "../text.ts";
import type { AlertVerdict, Severity } from "../verdicts.ts";
import type { Alert } from "./alert-publisher.ts";
import { chatNotification } from "./chat.ts";
import { nextSteps, verifyCommandFor, WHAT_HAPPENED } from "./guidance.ts";
import type { Delivery } from "./incident.ts";
import { queueName, sqsQueueConsoleUrl } from "./links.ts";
import { alertSubject, SERVICE_NAME } from "./subject.ts";
import { type IncidentView, objectUri } from "./views.ts";

/**
 * SNS accepts messages up to 256 KB (262,144 bytes, UTF-8), subject and message attributes
 * included. https://docs.aws.amazon.com/sns/latest/api/API_Publish.html
 */
export const MAX_SNS_MESSAGE_BYTES = 256 * 1024;
/** The body's share: the subject (< 100 bytes) and attributes (< 1 KB) fit in the rest. */
export const MAX_BODY_BYTES = MAX_SNS_MESSAGE_BYTES - 4 * 1024;
/** A digest's list of alerts stays under this; a bigger group is split into several digests. */
export const DIGEST_INDEX_LIMIT_BYTES = 96 * 1024;
/** Embedded payloads per alert inside a digest (a single alert allows 64 KB). */
export const DIGEST_PAYLOAD_LIMIT_BYTES = 8 * 1024;

export interface PlannedAlert {
  readonly alert: Alert;
  /** The failure-queue messages this alert speaks for: they succeed or fail with it. */
  readonly messageIds: readonly string[];
}

/** One incident and the messages that carried it (the same report may come twice). */
export interface ViewEntry {
  readonly view: IncidentView;
  readonly messageIds: readonly string[];
}

/**
 * The alerts for one group of same-kind incidents (same verdict and bucket): a single alert
 * for one incident; for several, digests whose list of incidents stays under
 * DIGEST_INDEX_LIMIT_BYTES each, so every incident is named in some email.
 */
export function composeAlerts(
  entries: readonly ViewEntry[],
  context: RenderContext,
): PlannedAlert[] {
  const [only] = entries;
  if (only && entries.length === 1) return [composeSingle(only, context)];
  const chunks: ViewEntry[][] = [];
  let chunk: ViewEntry[] = [];
  let chunkBytes = 0;
  for (const entry of entries) {
    const bytes = utf8Bytes(renderIndexEntry(entry.view, chunk.length + 1, context.stage));
    if (chunk.length > 0 && chunkBytes + bytes > DIGEST_INDEX_LIMIT_BYTES) {
      chunks.push(chunk);
      chunk = [];
      chunkBytes = 0;
    }
    chunk.push(entry);
    chunkBytes += bytes;
  }
  chunks.push(chunk);
  return chunks.map((members, index) =>
    composeDigest(members, context, { number: index + 1, of: chunks.length }),
  );
}

export function composeSingle(entry: ViewEntry, context: RenderContext): PlannedAlert {
  const { view } = entry;
  const subject = alertSubject({
    stage: context.stage,
    headline: view.verdict,
    label: view.label,
    item: view.item,
    suffix: view.itemSuffix,
  });
  return {
    messageIds: entry.messageIds,
    alert: {
      subject,
      body: publishable(boundedText(renderSingleBody(view, context), MAX_BODY_BYTES)),
      attributes: attributesOf(view, context, "single"),
      chat: chatNotification([view], { stage: context.stage, subject, id: view.reportId }),
    },
  };
}

/** A digest: the list of every incident first, then each one in full while the body fits. */
function composeDigest(
  entries: readonly ViewEntry[],
  context: RenderContext,
  part: { readonly number: number; readonly of: number },
): PlannedAlert {
  const views = entries.map((entry) => entry.view);
  const [first] = views;
  const verdict = first?.verdict ?? "UNRECOGNISED_MESSAGE";
  const severity = first?.severity ?? "warning";
  const partNote = part.of > 1 ? ` This is part ${part.number} of ${part.of}.` : "";
  const queues = uniqueQueueLinks(views.map((view) => view.delivery));
  const opening = [
    header(verdict, severity, context.stage, views.length),
    wrapProse(
      `This one email covers ${views.length} ${verdict} alerts that arrived together${first?.label ? ` for ${displayText(first.label)}` : ""}, so that a storm of failures does not become a storm of emails.${partNote} Each is listed below, then described in full.`,
    ),
    section("WHAT HAPPENED", [wrapProse(WHAT_HAPPENED[verdict])]),
    section(
      `ALERTS (${views.length})`,
      views.map((view, position) => renderIndexEntry(view, position + 1, context.stage)),
    ),
    section("WHAT TO DO NEXT", nextSteps(verdict, context.stage, undefined)),
    ...(queues.length > 0 ? [section("QUEUES", queues)] : []),
  ].join("\n\n");
  // The index always goes in; each alert's full details follow while they fit.
  const omissionNoteBytes = 1024;
  let body = `${opening}\n\nDETAILS`;
  const omitted: number[] = [];
  views.forEach((view, index) => {
    const candidate = `${body}\n\n${renderDetails(view, index + 1, views.length)}`;
    if (utf8Bytes(candidate) + omissionNoteBytes <= MAX_BODY_BYTES) body = candidate;
    else omitted.push(index + 1);
  });
  if (omitted.length > 0) {
    body += `\n\n[Details of alert(s) ${omitted.join(", ")} left out to stay under SNS's 256 KB message limit; each is listed in ALERTS above.]`;
  }
  const subject = alertSubject({
    stage: context.stage,
    headline: `${views.length}x ${first?.verdict ?? ""}`,
    label: first?.label,
    item: first?.item,
    suffix: `+${views.length - 1} more${part.of > 1 ? ` (${part.number}/${part.of})` : ""}`,
  });
  return {
    messageIds: entries.flatMap((entry) => entry.messageIds),
    alert: {
      subject,
      body: publishable(boundedText(`${body}\n`, MAX_BODY_BYTES)),
      attributes: attributesOf(first, context, "digest"),
      chat: chatNotification(views, { stage: context.stage, subject }),
    },
  };
}

/** One incident in full inside a digest, its payloads cut to DIGEST_PAYLOAD_LIMIT_BYTES. */
function renderDetails(view: IncidentView, position: number, of: number): string {
  const details = view.details(DIGEST_PAYLOAD_LIMIT_BYTES);
  return [
    `======== ${position} of ${of}: ${view.objects[0] ? objectUri(view.objects[0]) : displayText(view.summary)}`,
    ...details.facts,
    ...linksSection(details.links),
    ...details.appendix,
  ].join("\n\n");
}

/**
 * Text SNS can carry: a lone surrogate (a key or a raw body may hold one) cannot be encoded into
 * the Publish request at all (URIError), which would fail the alert; it becomes U+FFFD.
 */
function publishable(text: string): string {
  return text.toWellFormed();
}

function linksSection(links: readonly string[]): string[] {
  return links.length > 0 ? [section("LINKS", links)] : [];
}

function attributesOf(
  view: IncidentView | undefined,
  context: RenderContext,
  alertType: "single" | "digest",
): Record<string, string> {
  return compact({
    verdict: view?.verdict ?? "UNRECOGNISED_MESSAGE",
    severity: view?.severity ?? "warning",
    stage: context.stage,
    bucket: view?.bucket,
    category: view?.category,
    alertType,
    // The report's stable id, so a consumer (a pager) can de-duplicate; digests name several.
    reportId: alertType === "single" ? view?.reportId : undefined,
  }) as Record<string, string>;
}

export interface RenderContext {
  readonly stage: string;
}

/** Embedded payloads (original event, raw body) in a one-report alert. */
export const SINGLE_PAYLOAD_LIMIT_BYTES = 64 * 1024;

function renderSingleBody(view: IncidentView, context: RenderContext): string {
  const verify = view.objects.map((object) =>
    verifyCommandFor(view.verdict, context.stage, object),
  );
  const details = view.details(SINGLE_PAYLOAD_LIMIT_BYTES);
  return [
    header(view.verdict, view.severity, context.stage),
    section("WHAT HAPPENED", [
      wrapProse(WHAT_HAPPENED[view.verdict]),
      "",
      wrapProse(`Finding: ${displayText(view.summary)}`),
    ]),
    ...details.facts,
    section("WHAT TO DO NEXT", nextSteps(view.verdict, context.stage, verify, view.overwritten)),
    ...linksSection(details.links),
    ...details.appendix,
  ]
    .join("\n\n")
    .concat("\n");
}

function header(verdict: AlertVerdict, severity: Severity, stage: string, count?: number): string {
  const what = count === undefined ? verdict : `${count} x ${verdict}`;
  return `${what} (severity: ${severity}) - ${SERVICE_NAME}, stage ${stage}`;
}

/** One alert's lines in a digest's list: summary, object(s), the verify command. */
function renderIndexEntry(view: IncidentView, position: number, stage: string): string {
  const objects = view.objects.map((object) => {
    const version = object.versionId ? `, version ${displayText(object.versionId)}` : "";
    const size = object.size === undefined ? "" : `, ${formatSize(object.size)}`;
    return `${objectUri(object)}${version}${size}`;
  });
  const [headline = displayText(view.summary), ...otherObjects] = objects;
  return [
    `  ${position}. ${headline}`,
    ...otherObjects.map((line) => `     ${line}`),
    ...(objects.length > 0 ? wrapLine(`     ${displayText(view.summary)}`) : []),
    ...view.objects.map((object) => `     ${verifyCommandFor(view.verdict, stage, object)}`),
  ].join("\n");
}

function uniqueQueueLinks(deliveries: readonly Delivery[]): string[] {
  const arns = [...new Set(deliveries.map((delivery) => delivery.queueArn))];
  return arns.flatMap((arn) => {
    const url = sqsQueueConsoleUrl(arn);
    return url ? [`  ${queueName(arn)} (this alert's queue):\n    ${url}`] : [];
  });
}
