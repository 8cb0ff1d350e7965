/**
 * One batch of failure-queue messages: which incidents go together (same verdict and bucket:
 * one digest), the same report delivered twice counted once — in this batch, and with the
 * alerts-sent store across batches within the window — and each alert published at most once
 * with the messages it speaks for.
 */
import { METRICS } from "../contracts/metrics.ts";
import { describeError } from "../errors.ts";
import { type Log, type MetricsRecorder, MetricUnit } from "../observability.ts";
import { utf8Bytes } from "../text.ts";
import type { AlertPublisher } from "./alert-publisher.ts";
import {
  AlertBeingSentError,
  AlertStoreError,
  type AlertsSent,
  type EarlierAlert,
  type SentAlert,
} from "./alerts-sent.ts";
import { composeAlerts, composeSingle, type PlannedAlert, type RenderContext } from "./compose.ts";
import { type Incident, type IncomingMessage, readIncident } from "./incident.ts";
import { viewOf } from "./views.ts";

export {
  DIGEST_INDEX_LIMIT_BYTES,
  MAX_BODY_BYTES,
  MAX_SNS_MESSAGE_BYTES,
  type PlannedAlert,
} from "./compose.ts";

export interface AlertBatchDependencies {
  readonly publisher: AlertPublisher;
  readonly stage: string;
  readonly log: Log;
  readonly metrics?: MetricsRecorder;
  /** Reports alerted within the window; without it, duplicates are caught within a batch only. */
  readonly alertsSent?: AlertsSent;
  readonly now?: () => Date;
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
 * Reports the alerts-sent store knows are left out of the plan: their messages are acknowledged
 * (already alerted) or retried later (being alerted by another invocation right now).
 */
export async function startAlertBatch(
  dependencies: AlertBatchDependencies,
  messages: readonly IncomingMessage[],
): Promise<AlertBatch> {
  const reportIds = new Map<string, string>();
  for (const message of messages) {
    const incident = readIncident(message);
    if (incident.kind === "report" && typeof incident.report.reportId === "string") {
      reportIds.set(message.messageId, incident.report.reportId);
    }
  }
  const earlier = await earlierAlerts(dependencies, reportIds);
  const alerts = planAlerts(
    messages.filter((message) => !earlier.has(message.messageId)),
    { stage: dependencies.stage },
    dependencies.log,
  );
  const senders = new Map<string, () => Promise<SentAlert>>();
  for (const planned of alerts) {
    let sending: Promise<SentAlert> | undefined;
    const send = () => {
      sending ??= publishPlanned(dependencies, planned);
      return sending;
    };
    for (const messageId of planned.messageIds) senders.set(messageId, send);
  }
  return {
    alerts,
    async deliver(messageId) {
      const reportId = reportIds.get(messageId);
      const before = earlier.get(messageId);
      if (before !== undefined && reportId !== undefined) {
        return acknowledgeEarlier(dependencies, messageId, reportId, before);
      }
      const send = senders.get(messageId);
      if (!send) throw new Error(`message ${messageId} is not part of this batch`);
      if (reportId === undefined || dependencies.alertsSent === undefined) {
        await send();
        return;
      }
      await sendOnce(dependencies, dependencies.alertsSent, messageId, reportId, send);
    },
  };
}

/** What the store knows of this batch's reports; a store it cannot read knows nothing. */
async function earlierAlerts(
  { alertsSent, log, metrics }: AlertBatchDependencies,
  reportIds: ReadonlyMap<string, string>,
): Promise<Map<string, EarlierAlert>> {
  const earlier = new Map<string, EarlierAlert>();
  if (alertsSent === undefined) return earlier;
  for (const [messageId, reportId] of reportIds) {
    try {
      const found = await alertsSent.lookup(reportId);
      if (found) earlier.set(messageId, found);
    } catch (error) {
      metrics?.addMetric(METRICS.alertStoreErrors, MetricUnit.Count, 1);
      log.error("alerts-sent store unreadable; the report is alerted (a duplicate is possible)", {
        reportId,
        messageId,
        error: describeError(error),
      });
    }
  }
  return earlier;
}

function acknowledgeEarlier(
  { log, metrics }: AlertBatchDependencies,
  messageId: string,
  reportId: string,
  earlier: EarlierAlert,
): void {
  if (earlier.state === "sending") {
    // Retried after the visibility timeout: by then it is sent (acknowledged) or released.
    throw new AlertBeingSentError(
      `the alert for report ${reportId} is being sent by another invocation; retried later`,
    );
  }
  metrics?.addMetric(METRICS.duplicateReportsSuppressed, MetricUnit.Count, 1);
  log.info("report already alerted; acknowledged without a second alert", {
    reportId,
    messageId,
    alert: earlier.alert,
  });
}

/** Publishes once per report; if the store fails, publishes anyway: an alert beats silence. */
async function sendOnce(
  dependencies: AlertBatchDependencies,
  alertsSent: AlertsSent,
  messageId: string,
  reportId: string,
  send: () => Promise<SentAlert>,
): Promise<void> {
  const { log, metrics } = dependencies;
  try {
    const { alert, duplicate } = await alertsSent.once(reportId, send);
    if (duplicate) acknowledgeEarlier(dependencies, messageId, reportId, { state: "sent", alert });
  } catch (error) {
    if (!(error instanceof AlertStoreError)) throw error;
    metrics?.addMetric(METRICS.alertStoreErrors, MetricUnit.Count, 1);
    log.error("alerts-sent store failed; the alert is sent anyway (a duplicate is possible)", {
      reportId,
      messageId,
      error: describeError(error),
    });
    // Publishes at most once per batch: after a publish that succeeded, this is that result.
    await send();
  }
}

async function publishPlanned(
  { publisher, log, metrics, now = () => new Date() }: AlertBatchDependencies,
  planned: PlannedAlert,
): Promise<SentAlert> {
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
    metrics?.addMetric(METRICS.alertPublishFailures, MetricUnit.Count, 1);
    log.error("alert not published; its messages fail and will be retried", {
      ...details,
      error: describeError(error),
    });
    throw error;
  }
  metrics?.addMetric(METRICS.alertsPublished, MetricUnit.Count, 1);
  metrics?.addMetric(METRICS.messagesAlerted, MetricUnit.Count, planned.messageIds.length);
  log.info("alert published", details);
  return { subject: planned.alert.subject, sentAt: now().toISOString() };
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
    const incident = readSafely(message, log);
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
      return composeAlerts(
        members.map((member) => ({ view: viewOf(member.incident), messageIds: member.messageIds })),
        context,
      );
    } catch (error) {
      // A report whose fields have unexpected types must still reach a person, as raw text.
      log?.error("could not render alerts; sending the raw messages instead", {
        error: describeError(error),
        messageIds: members.flatMap((member) => member.messageIds),
      });
      return members.map((member) =>
        composeSingle(
          { view: viewOf(unrenderable(member.incident, error)), messageIds: member.messageIds },
          context,
        ),
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

/**
 * One report is one alert: the same reportId (verdict and object version) delivered twice, as
 * redeliveries of an at-least-once validator are, is alerted once, here within the batch as the
 * alerts-sent store does across batches. Anything without a reportId is itself by its body.
 */
function identityOf(incident: Incident): string {
  return incident.kind === "report" && typeof incident.report.reportId === "string"
    ? `report:${incident.report.reportId}`
    : `body:${incident.body}`;
}

/** readIncident is total; should it ever throw, the message is still alerted, as raw text. */
function readSafely(message: IncomingMessage, log: Log | undefined): Incident {
  try {
    return readIncident(message);
  } catch (error) {
    log?.error("could not read a failure-queue message; alerting it as received", {
      messageId: message.messageId,
      error: describeError(error),
    });
    return {
      kind: "unrecognised",
      reason: `the notifier could not read it (${describeError(error)})`,
      shortReason: "could not read",
      delivery: { messageId: message.messageId },
      body: typeof message.body === "string" ? message.body : String(message.body),
    };
  }
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
