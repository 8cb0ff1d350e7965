import { type AuditRun, isCheckMessage, parseCheckMessage } from "../contracts/check-message.ts";
import { parseJsonBody, problemWithKey } from "../contracts/json.ts";
import { compact, isJsonObject, type ObjectRef } from "../objects.ts";
import { truncate } from "../text.ts";

export type { ObjectRef } from "../objects.ts";

/**
 * Turns an SQS message body into the objects it asks us to validate. Total: whatever the body,
 * it returns a classification and never throws.
 *
 * Accepted bodies:
 * - the EventBridge `Object Created` event (the production path; with no input transformer the
 *   SQS target receives the whole event as the body),
 * - a classic S3 event notification with one or more `Records` (also when wrapped in an SNS
 *   notification envelope),
 * - our own check message (shared/contracts/check-message.ts), re-queued while a replica is
 *   still on its way or split from a notification naming several objects.
 *
 * Ignored (acknowledged with a log line): S3 messages that carry nothing to validate, as AWS
 * documents them: `s3:TestEvent` (sent when a notification configuration is created), an
 * `aws.s3` EventBridge event of another detail-type, a notification whose records are all of
 * other S3 event types. Everything else is malformed, and reported.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/ev-events.html
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html
 */

export type ParsedMessage =
  | {
      readonly kind: "objects";
      readonly objects: readonly ObjectRef[];
      /**
       * What each object came from, index by index: its own record of a classic notification,
       * or the whole event. A check split from a notification carries only its own record.
       */
      readonly sources: readonly unknown[];
      /** Records inside the message that could not be read (the rest are still validated). */
      readonly problems: readonly string[];
      /** 1 for the first check; check messages carry the count forward. */
      readonly attempt: number;
      /** When the first check of this object ran (check messages only). */
      readonly firstCheckedAt?: string;
      /** Deep verifications of this object handed off for lack of time (check messages only). */
      readonly handoffs?: number;
      /** The audit run that sent the check, for an audit's check message. */
      readonly audit?: AuditRun;
      readonly eventId?: string;
      /** The event S3 or EventBridge produced, kept for the failure report. */
      readonly originalEvent: unknown;
    }
  | { readonly kind: "ignored"; readonly reason: string }
  | { readonly kind: "malformed"; readonly reason: string };

type Json = Record<string, unknown>;

/** The detail-types S3 sends to EventBridge: https://docs.aws.amazon.com/AmazonS3/latest/userguide/EventBridge.html */
const S3_EVENT_TYPES: ReadonlySet<string> = new Set([
  "Object Created",
  "Object Deleted",
  "Object Restore Initiated",
  "Object Restore Completed",
  "Object Restore Expired",
  "Object Tags Added",
  "Object Tags Deleted",
  "Object ACL Updated",
  "Object Storage Class Changed",
  "Object Access Tier Changed",
]);

export function parseMessageBody(body: string): ParsedMessage {
  const json = parseJsonBody(body);
  if ("problem" in json) return { kind: "malformed", reason: json.problem };
  return parseEvent(json.value);
}

function parseEvent(event: unknown): ParsedMessage {
  if (!isJsonObject(event)) return { kind: "malformed", reason: "the body is not a JSON object" };
  if (isCheckMessage(event)) return parseCheck(event);
  if ("source" in event || "detail-type" in event) return parseEventBridge(event);
  if ("Records" in event) return parseNotification(event);
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
  const source = event.source;
  const detailType = event["detail-type"];
  if (source !== "aws.s3") {
    return {
      kind: "malformed",
      reason:
        source === undefined
          ? "an EventBridge event without source"
          : `an EventBridge event from ${describeValue(source)}, not aws.s3`,
    };
  }
  if (typeof detailType !== "string") {
    return { kind: "malformed", reason: "an aws.s3 event without a detail-type" };
  }
  if (detailType !== "Object Created") {
    if (!S3_EVENT_TYPES.has(detailType)) {
      return {
        kind: "malformed",
        reason: `an aws.s3 event of unknown type ${describeValue(detailType)}`,
      };
    }
    return {
      kind: "ignored",
      reason: `S3 ${JSON.stringify(detailType)} event, not Object Created`,
    };
  }
  const detail = isJsonObject(event.detail) ? event.detail : {};
  const bucket = isJsonObject(detail.bucket) ? detail.bucket.name : undefined;
  const object = isJsonObject(detail.object) ? detail.object : {};
  const problem = problemWithObject(bucket, object.key, object["version-id"]);
  if (problem) return { kind: "malformed", reason: `Object Created event: ${problem}` };
  const ref = compact({
    bucket: bucket as string,
    key: object.key as string,
    versionId: object["version-id"] as string | undefined,
    size: numberOrUndefined(object.size),
    etag: stringOrUndefined(object.etag),
    sequencer: stringOrUndefined(object.sequencer),
    eventTime: stringOrUndefined(event.time),
    reason: stringOrUndefined(detail.reason),
  });
  return compact({
    kind: "objects" as const,
    objects: [ref],
    sources: [event],
    problems: [],
    attempt: 1,
    eventId: stringOrUndefined(event.id),
    originalEvent: event,
  });
}

function parseNotification(event: Json): ParsedMessage {
  const records = event.Records;
  if (!Array.isArray(records)) return { kind: "malformed", reason: "Records is not a list" };
  if (records.length === 0) return { kind: "malformed", reason: "a notification with no records" };
  const objects: ObjectRef[] = [];
  const sources: unknown[] = [];
  const problems: string[] = [];
  const ignored: string[] = [];
  records.forEach((record, index) => {
    const where = `Records[${index}]`;
    if (!isJsonObject(record) || record.eventSource !== "aws:s3") {
      problems.push(`${where} is not an S3 record`);
      return;
    }
    const eventName = record.eventName;
    if (typeof eventName !== "string") {
      problems.push(`${where}.eventName is not a string`);
      return;
    }
    if (!eventName.startsWith("ObjectCreated:")) {
      ignored.push(`${where} is ${JSON.stringify(eventName)}`);
      return;
    }
    const s3 = isJsonObject(record.s3) ? record.s3 : {};
    const bucket = isJsonObject(s3.bucket) ? s3.bucket.name : undefined;
    const object = isJsonObject(s3.object) ? s3.object : {};
    const problem = problemWithObject(bucket, object.key, object.versionId);
    if (problem) {
      problems.push(`${where}: ${problem}`);
      return;
    }
    objects.push(
      compact({
        bucket: bucket as string,
        key: object.key as string,
        versionId: object.versionId as string | undefined,
        size: numberOrUndefined(object.size),
        etag: stringOrUndefined(object.eTag),
        sequencer: stringOrUndefined(object.sequencer),
        eventTime: stringOrUndefined(record.eventTime),
        reason: eventName,
      }),
    );
    sources.push({ Records: [record] });
  });
  if (objects.length === 0 && problems.length === 0) {
    return { kind: "ignored", reason: `no ObjectCreated record (${ignored.join("; ")})` };
  }
  if (objects.length === 0) return { kind: "malformed", reason: problems.join("; ") };
  return { kind: "objects", objects, sources, problems, attempt: 1, originalEvent: event };
}

function parseCheck(event: Json): ParsedMessage {
  const parsed = parseCheckMessage(event);
  if ("problem" in parsed) return { kind: "malformed", reason: parsed.problem };
  const { message } = parsed;
  return compact({
    kind: "objects" as const,
    objects: [message.object],
    sources: [message.originalEvent],
    problems: [],
    attempt: message.attempt,
    firstCheckedAt: message.firstCheckedAt,
    handoffs: message.handoffs,
    audit: message.audit,
    eventId: message.eventId,
    originalEvent: message.originalEvent,
  });
}

/** Why the bucket, key and version an event names cannot be checked; undefined if they can. */
function problemWithObject(bucket: unknown, key: unknown, versionId: unknown): string | undefined {
  if (typeof bucket !== "string" || bucket === "") return "no bucket name";
  if (typeof key !== "string" || key === "") return "no object key";
  const keyProblem = problemWithKey(key);
  if (keyProblem) return keyProblem;
  if (versionId !== undefined && (typeof versionId !== "string" || versionId === "")) {
    return "the version id is not a string";
  }
  return undefined;
}

function describeValue(value: unknown): string {
  return truncate(JSON.stringify(value) ?? typeof value, 60);
}

function stringOrUndefined(value: unknown): string | undefined {
  return typeof value === "string" && value.length > 0 ? value : undefined;
}

function numberOrUndefined(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}
