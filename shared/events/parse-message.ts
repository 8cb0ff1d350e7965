import { isCheckMessage, parseCheckMessage } from "../contracts/check-message.ts";
import { compact, isJsonObject, type ObjectIdentity } from "../objects.ts";

/**
 * Turns an SQS message body into the objects it asks us to validate.
 *
 * Accepted bodies:
 * - the EventBridge `Object Created` event (the production path; with no input transformer the
 *   SQS target receives the whole event as the body),
 * - a classic S3 event notification with one or more `Records` (also when wrapped in an SNS
 *   notification envelope),
 * - `s3:TestEvent`, sent when a notification configuration is created (ignored),
 * - our own check message (shared/contracts/check-message.ts), re-queued while a replica is
 *   still on its way or split from a notification naming several objects.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/ev-events.html
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html
 */

/**
 * One object-created occurrence, as the event described it; `key` exactly as the event carried
 * it (possibly URL-encoded).
 */
export interface ObjectRef extends ObjectIdentity {
  readonly size?: number;
  readonly etag?: string;
  readonly sequencer?: string;
  /** When S3 emitted the event (ISO 8601). */
  readonly eventTime?: string;
  /** PutObject, CompleteMultipartUpload, ObjectCreated:Put, ... */
  readonly reason?: string;
}

export type ParsedMessage =
  | {
      readonly kind: "objects";
      readonly objects: readonly ObjectRef[];
      /** Records inside the message that could not be read (the rest are still validated). */
      readonly problems: readonly string[];
      /** 1 for the first check; pending-check messages carry the count forward. */
      readonly attempt: number;
      /** When the first check of this object ran (pending-check messages only). */
      readonly firstCheckedAt?: string;
      /** Deep verifications of this object handed off for lack of time (check messages only). */
      readonly handoffs?: number;
      readonly eventId?: string;
      /** The event S3 or EventBridge produced, kept for the failure report. */
      readonly originalEvent: unknown;
    }
  | { readonly kind: "ignored"; readonly reason: string }
  | { readonly kind: "malformed"; readonly reason: string };

type Json = Record<string, unknown>;

export function parseMessageBody(body: string): ParsedMessage {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return { kind: "malformed", reason: "the body is not JSON" };
  }
  return parseEvent(parsed);
}

function parseEvent(event: unknown): ParsedMessage {
  if (!isJsonObject(event)) return { kind: "malformed", reason: "the body is not a JSON object" };
  if (isCheckMessage(event)) return parsePendingCheck(event);
  if (event.source === "aws.s3" || "detail-type" in event) return parseEventBridge(event);
  if (Array.isArray(event.Records)) return parseNotification(event, event.Records);
  if (event.Event === "s3:TestEvent") {
    return { kind: "ignored", reason: "s3:TestEvent (sent when a notification is configured)" };
  }
  // S3 → SNS → SQS without raw delivery wraps the notification in an SNS envelope.
  if (event.Type === "Notification" && typeof event.Message === "string") {
    return parseMessageBody(event.Message);
  }
  return { kind: "malformed", reason: "not an S3 event (no EventBridge detail-type, no Records)" };
}

function parseEventBridge(event: Json): ParsedMessage {
  const detailType = event["detail-type"];
  if (event.source !== "aws.s3") {
    return {
      kind: "ignored",
      reason: `EventBridge event from ${String(event.source)}, not aws.s3`,
    };
  }
  if (detailType !== "Object Created") {
    return { kind: "ignored", reason: `S3 "${String(detailType)}" event, not Object Created` };
  }
  const detail = isJsonObject(event.detail) ? event.detail : {};
  const bucket = isJsonObject(detail.bucket) ? detail.bucket.name : undefined;
  const object = isJsonObject(detail.object) ? detail.object : {};
  if (!isNonEmptyString(bucket) || !isNonEmptyString(object.key)) {
    return {
      kind: "malformed",
      reason: "Object Created event without detail.bucket.name or detail.object.key",
    };
  }
  const ref = compact({
    bucket,
    key: object.key,
    versionId: stringOrUndefined(object["version-id"]),
    size: numberOrUndefined(object.size),
    etag: stringOrUndefined(object.etag),
    sequencer: stringOrUndefined(object.sequencer),
    eventTime: stringOrUndefined(event.time),
    reason: stringOrUndefined(detail.reason),
  });
  return compact({
    kind: "objects" as const,
    objects: [ref],
    problems: [],
    attempt: 1,
    eventId: stringOrUndefined(event.id),
    originalEvent: event,
  });
}

function parseNotification(event: Json, records: unknown[]): ParsedMessage {
  const objects: ObjectRef[] = [];
  const problems: string[] = [];
  const ignored: string[] = [];
  records.forEach((record, index) => {
    if (!isJsonObject(record) || record.eventSource !== "aws:s3") {
      problems.push(`Records[${index}] is not an S3 record`);
      return;
    }
    const eventName = String(record.eventName);
    if (!eventName.startsWith("ObjectCreated:")) {
      ignored.push(`Records[${index}] is ${eventName}`);
      return;
    }
    const s3 = isJsonObject(record.s3) ? record.s3 : {};
    const bucket = isJsonObject(s3.bucket) ? s3.bucket.name : undefined;
    const object = isJsonObject(s3.object) ? s3.object : {};
    if (!isNonEmptyString(bucket) || !isNonEmptyString(object.key)) {
      problems.push(`Records[${index}] has no s3.bucket.name or s3.object.key`);
      return;
    }
    objects.push(
      compact({
        bucket,
        key: object.key,
        versionId: stringOrUndefined(object.versionId),
        size: numberOrUndefined(object.size),
        etag: stringOrUndefined(object.eTag),
        sequencer: stringOrUndefined(object.sequencer),
        eventTime: stringOrUndefined(record.eventTime),
        reason: eventName,
      }),
    );
  });
  if (objects.length === 0 && problems.length === 0) {
    return {
      kind: "ignored",
      reason: ignored.length > 0 ? `no ObjectCreated record (${ignored.join("; ")})` : "no records",
    };
  }
  if (objects.length === 0) return { kind: "malformed", reason: problems.join("; ") };
  return { kind: "objects", objects, problems, attempt: 1, originalEvent: event };
}

function parsePendingCheck(event: Json): ParsedMessage {
  const parsed = parseCheckMessage(event);
  if ("problem" in parsed) return { kind: "malformed", reason: parsed.problem };
  const { message } = parsed;
  return compact({
    kind: "objects" as const,
    objects: [message.object],
    problems: [],
    attempt: message.attempt,
    firstCheckedAt: message.firstCheckedAt,
    handoffs: message.handoffs,
    eventId: message.eventId,
    originalEvent: message.originalEvent,
  });
}

function isNonEmptyString(value: unknown): value is string {
  return typeof value === "string" && value.length > 0;
}

function stringOrUndefined(value: unknown): string | undefined {
  return typeof value === "string" && value.length > 0 ? value : undefined;
}

function numberOrUndefined(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}
