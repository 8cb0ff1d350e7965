import { describeError } from "../errors.ts";
import { compact } from "../objects.ts";
import { type Log, type MetricsRecorder, MetricUnit } from "../observability.ts";
import { boundedText } from "../reports/failure-report.ts";
import type { Alert, AlertPublisher } from "./alert-publisher.ts";
import { type Incident, type IncomingMessage, readIncident } from "./incident.ts";
import {
  type IncidentView,
  type RenderContext,
  renderDigestParts,
  renderIndexEntry,
  renderSingleBody,
  viewOf,
} from "./render.ts";
import { alertSubject, utf8Bytes } from "./text.ts";

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

export interface AlertBatchDependencies {
  readonly publisher: AlertPublisher;
  readonly stage: string;
  readonly log: Log;
  readonly metrics?: MetricsRecorder;
}

export interface PlannedAlert {
  readonly alert: Alert;
  /** The failure-queue messages this alert speaks for: they succeed or fail with it. */
  readonly messageIds: readonly string[];
}

export interface AlertBatch {
  readonly alerts: readonly PlannedAlert[];
  /** Resolves once the alert carrying this message is published; rejects if publishing failed. */
  deliver(messageId: string): Promise<void>;
}

/**
 * Plans one batch's alerts and publishes each at most once, when the first of its messages asks.
 * Every message waits for its own alert, so a failed publish fails exactly the messages that
 * alert speaks for, and SQS redelivers them (then dead-letters them after maxReceiveCount).
 */
export function startAlertBatch(
  dependencies: AlertBatchDependencies,
  messages: readonly IncomingMessage[],
): AlertBatch {
  const alerts = planAlerts(messages, { stage: dependencies.stage }, dependencies.log);
  const senders = new Map<string, () => Promise<void>>();
  for (const planned of alerts) {
    let sending: Promise<void> | undefined;
    const send = () => {
      sending ??= publishPlanned(dependencies, planned);
      return sending;
    };
    for (const messageId of planned.messageIds) senders.set(messageId, send);
  }
  return {
    alerts,
    async deliver(messageId) {
      const send = senders.get(messageId);
      if (!send) throw new Error(`message ${messageId} is not part of this batch`);
      await send();
    },
  };
}

async function publishPlanned(
  { publisher, log, metrics }: AlertBatchDependencies,
  planned: PlannedAlert,
): Promise<void> {
  const details = {
    subject: planned.alert.subject,
    verdict: planned.alert.attributes.verdict,
    alertType: planned.alert.attributes.alertType,
    messageIds: planned.messageIds,
    bodyBytes: utf8Bytes(planned.alert.body),
  };
  try {
    await publisher.publish(planned.alert);
  } catch (error) {
    metrics?.addMetric("AlertPublishFailures", MetricUnit.Count, 1);
    log.error("alert not published; its messages fail and will be retried", {
      ...details,
      error: describeError(error),
    });
    throw error;
  }
  metrics?.addMetric("AlertsPublished", MetricUnit.Count, 1);
  metrics?.addMetric("MessagesAlerted", MetricUnit.Count, planned.messageIds.length);
  log.info("alert published", details);
}

interface UniqueIncident {
  readonly incident: Incident;
  /** The same report delivered more than once in a batch is alerted once. */
  readonly messageIds: string[];
}

/**
 * Turns a batch of failure-queue messages into alerts: one alert per incident, except that
 * several incidents of the same kind (same verdict and bucket) become one digest.
 */
export function planAlerts(
  messages: readonly IncomingMessage[],
  context: RenderContext,
  log?: Log,
): PlannedAlert[] {
  const groups = new Map<string, Map<string, UniqueIncident>>();
  for (const message of messages) {
    const incident = readIncident(message);
    const groupKey = groupKeyOf(incident);
    const group = groups.get(groupKey) ?? new Map<string, UniqueIncident>();
    groups.set(groupKey, group);
    const identity = identityOf(incident);
    const existing = group.get(identity);
    if (existing) existing.messageIds.push(message.messageId);
    else group.set(identity, { incident, messageIds: [message.messageId] });
  }
  return [...groups.values()].flatMap((group) => {
    const members = [...group.values()];
    try {
      return alertsForGroup(members, context);
    } catch (error) {
      // A report whose fields have unexpected types must still reach a person, as raw text.
      log?.error("could not render alerts; sending the raw messages instead", {
        error: describeError(error),
        messageIds: members.flatMap((member) => member.messageIds),
      });
      return members.map((member) =>
        singleAlert(viewOf(unrenderable(member.incident, error)), member.messageIds, context),
      );
    }
  });
}

function groupKeyOf(incident: Incident): string {
  if (incident.kind === "report") {
    return ["report", incident.report.verdict, incident.report.object?.bucket ?? ""].join("\u0000");
  }
  if (incident.kind === "event") return ["event", incident.objects[0].bucket].join("\u0000");
  return "unrecognised";
}

function identityOf(incident: Incident): string {
  return incident.kind === "report" && typeof incident.report.reportId === "string"
    ? `report:${incident.report.reportId}`
    : `body:${incident.body}`;
}

function unrenderable(incident: Incident, error: unknown): Incident {
  return {
    kind: "unrecognised",
    reason: `the notifier could not render it (${describeError(error)})`,
    shortReason: "could not render",
    delivery: incident.delivery,
    body: incident.body,
  };
}

function alertsForGroup(
  members: readonly UniqueIncident[],
  context: RenderContext,
): PlannedAlert[] {
  const views = members.map((member) => ({ view: viewOf(member.incident), member }));
  const [only] = views;
  if (only && views.length === 1) {
    return [singleAlert(only.view, only.member.messageIds, context)];
  }
  const chunks: (typeof views)[] = [];
  let chunk: typeof views = [];
  let chunkBytes = 0;
  for (const entry of views) {
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
  return chunks.map((entries, index) =>
    digestAlert(
      entries.map((entry) => entry.view),
      entries.flatMap((entry) => entry.member.messageIds),
      context,
      { number: index + 1, of: chunks.length },
    ),
  );
}

function singleAlert(
  view: IncidentView,
  messageIds: readonly string[],
  context: RenderContext,
): PlannedAlert {
  return {
    messageIds,
    alert: {
      subject: alertSubject({
        stage: context.stage,
        headline: view.verdict,
        label: view.label,
        item: view.item,
        suffix: view.itemSuffix,
      }),
      body: boundedText(renderSingleBody(view, context), MAX_BODY_BYTES),
      attributes: attributesOf(view, context, "single"),
    },
  };
}

function digestAlert(
  views: readonly IncidentView[],
  messageIds: readonly string[],
  context: RenderContext,
  part: { readonly number: number; readonly of: number },
): PlannedAlert {
  const [first] = views;
  const parts = renderDigestParts(views, context, part);
  // The index always goes in; each alert's full details follow while they fit.
  const omissionNoteBytes = 1024;
  let body = `${parts.header}\n\n${parts.index}\n\nDETAILS`;
  const omitted: number[] = [];
  parts.details.forEach((render, index) => {
    const candidate = `${body}\n\n${render(DIGEST_PAYLOAD_LIMIT_BYTES)}`;
    if (utf8Bytes(candidate) + omissionNoteBytes <= MAX_BODY_BYTES) body = candidate;
    else omitted.push(index + 1);
  });
  if (omitted.length > 0) {
    body += `\n\n[Details of alert(s) ${omitted.join(", ")} left out to stay under SNS's 256 KB message limit; each is listed in ALERTS above.]`;
  }
  return {
    messageIds,
    alert: {
      subject: alertSubject({
        stage: context.stage,
        headline: `${views.length}x ${first?.verdict ?? ""}`,
        label: first?.label,
        item: first?.item,
        suffix: `+${views.length - 1} more${part.of > 1 ? ` (${part.number}/${part.of})` : ""}`,
      }),
      body: boundedText(`${body}\n`, MAX_BODY_BYTES),
      attributes: attributesOf(first, context, "digest"),
    },
  };
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
  }) as Record<string, string>;
}
