import type { FailureReport } from "../contracts/failure-report.ts";
import type { ObjectRef } from "../events/parse-message.ts";
import { classifyMessage } from "../messages/classify.ts";
import { isJsonObject } from "../objects.ts";

/** The parts of an SQS record the notifier reads; Lambda's `SQSRecord` satisfies it. */
export interface IncomingMessage {
  readonly messageId: string;
  readonly body: string;
  readonly eventSourceARN?: string;
  readonly awsRegion?: string;
  readonly attributes?: {
    readonly ApproximateReceiveCount?: string;
    readonly SentTimestamp?: string;
  };
}

/** Where and how the failure-queue message reached the notifier. */
export interface Delivery {
  readonly messageId: string;
  /** The failure queue (the record's event source). */
  readonly queueArn?: string;
  readonly region?: string;
  readonly receiveCount?: number;
  /** When the message was sent to the failure queue (ISO 8601). */
  readonly sentAt?: string;
}

/**
 * What one failure-queue message is about. The validator sends failure reports; anything else
 * was put there by hand (`npm run redrive -- --to failure` moves validation-DLQ messages, which
 * are raw S3 or EventBridge events) or by mistake, and still deserves an alert.
 */
export type Incident =
  | {
      readonly kind: "report";
      readonly report: FailureReport;
      readonly delivery: Delivery;
      readonly body: string;
    }
  | {
      readonly kind: "event";
      /** The objects the event is about, keys exactly as the event carried them. */
      readonly objects: readonly [ObjectRef, ...ObjectRef[]];
      /** Records of the event that could not be read. */
      readonly problems: readonly string[];
      /** The region the event says the bucket is in. */
      readonly eventRegion?: string;
      readonly eventId?: string;
      readonly delivery: Delivery;
      readonly body: string;
    }
  | {
      readonly kind: "unrecognised";
      /** Why the body is neither a failure report nor an S3 event, in plain words. */
      readonly reason: string;
      /** A few words for the subject line. */
      readonly shortReason: string;
      readonly delivery: Delivery;
      readonly body: string;
    };

export function readIncident(message: IncomingMessage): Incident {
  const delivery = deliveryOf(message);
  const { body } = message;
  const classified = classifyMessage(body);
  switch (classified.kind) {
    case "failure-report":
      return { kind: "report", report: classified.report, delivery, body };
    case "event":
      return {
        kind: "event",
        objects: classified.objects,
        problems: classified.parsed.problems,
        eventRegion: regionOfEvent(classified.parsed.originalEvent),
        eventId: classified.parsed.eventId,
        delivery,
        body,
      };
    case "ignored":
      return {
        kind: "unrecognised",
        reason: `an S3 or EventBridge message with nothing to validate: ${classified.reason}`,
        shortReason: "nothing to validate",
        delivery,
        body,
      };
    case "unreadable":
      return {
        kind: "unrecognised",
        reason: classified.reason,
        shortReason: classified.shortReason,
        delivery,
        body,
      };
  }
}

function deliveryOf(message: IncomingMessage): Delivery {
  const receiveCount = Number(message.attributes?.ApproximateReceiveCount);
  const sent = Number(message.attributes?.SentTimestamp);
  return {
    messageId: message.messageId,
    queueArn: message.eventSourceARN,
    region: message.awsRegion,
    receiveCount: Number.isInteger(receiveCount) && receiveCount > 0 ? receiveCount : undefined,
    sentAt: Number.isFinite(sent) && sent > 0 ? new Date(sent).toISOString() : undefined,
  };
}

/** EventBridge events carry `region`; classic S3 notifications carry `Records[].awsRegion`. */
function regionOfEvent(event: unknown): string | undefined {
  if (!isJsonObject(event)) return undefined;
  if (typeof event.region === "string") return event.region;
  const first = Array.isArray(event.Records) ? event.Records[0] : undefined;
  return isJsonObject(first) && typeof first.awsRegion === "string" ? first.awsRegion : undefined;
}
