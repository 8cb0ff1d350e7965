/**
 * One batch of failure-queue messages: which incidents go together (same verdict and bucket:
 * one digest), the same report delivered twice counted once, and each alert published at most
 * once with the messages it speaks for.
 */
import { createHash } from "node:crypto";
import { describeError } from "../errors.ts";
import { type Log, type MetricsRecorder, MetricUnit } from "../observability.ts";
import { utf8Bytes } from "../text.ts";
import type { AlertPublisher } from "./alert-publisher.ts";
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
 * The same report delivered twice (the validator is at-least-once) has the same body and is
 * alerted once. Two different reports that share a reportId (the same verdict on the same
 * object version, found twice with other evidence) both reach the reader: identical bodies only
 * are one incident.
 */
function identityOf(incident: Incident): string {
  return `${incident.kind}:${createHash("sha256").update(incident.body).digest("hex")}`;
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
