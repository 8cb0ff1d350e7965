import { type ObjectRef, parseMessageBody } from "../events/parse-message.ts";
import { isJsonObject } from "../objects.ts";
import {
  FAILURE_REPORT_SCHEMA,
  type FailureReport,
  parseFailureReport,
} from "../reports/failure-report.ts";

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
  const report = parseFailureReport(body);
  if (report) return { kind: "report", report, delivery, body };

  if (body.trim() === "") {
    return unrecognised(message, delivery, "the message body is empty", "empty body");
  }
  const foreignReport = describeUnreadableReport(body);
  if (foreignReport) {
    return unrecognised(message, delivery, foreignReport, "unreadable failure report");
  }
  // Raw validation-queue bodies: the validator's own parser says what they are.
  const parsed = parseMessageBody(body);
  if (parsed.kind === "objects") {
    const [first, ...rest] = parsed.objects;
    if (first) {
      return {
        kind: "event",
        objects: [first, ...rest],
        problems: parsed.problems,
        eventRegion: regionOfEvent(parsed.originalEvent),
        eventId: parsed.eventId,
        delivery,
        body,
      };
    }
  }
  if (parsed.kind === "ignored") {
    return unrecognised(
      message,
      delivery,
      `an S3 or EventBridge message with nothing to validate: ${parsed.reason}`,
      "nothing to validate",
    );
  }
  const reason = parsed.kind === "malformed" ? parsed.reason : "no objects in the event";
  const short = reason === "the body is not JSON" ? "not JSON" : "unknown shape";
  return unrecognised(
    message,
    delivery,
    `neither a failure report nor an S3 event: ${reason}`,
    short,
  );
}

function unrecognised(
  message: IncomingMessage,
  delivery: Delivery,
  reason: string,
  shortReason: string,
): Incident {
  return { kind: "unrecognised", reason, shortReason, delivery, body: message.body };
}

/** A body that claims to be a failure report but fails the schema check (e.g. a newer version). */
function describeUnreadableReport(body: string): string | undefined {
  const parsed = parseJsonObject(body);
  if (parsed?.schema !== FAILURE_REPORT_SCHEMA) return undefined;
  return `a ${FAILURE_REPORT_SCHEMA} message this notifier cannot read (schemaVersion ${JSON.stringify(parsed.schemaVersion)}, verdict ${JSON.stringify(parsed.verdict)}): it is missing required fields or comes from a newer validator`;
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

function parseJsonObject(body: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(body);
    return isJsonObject(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}
