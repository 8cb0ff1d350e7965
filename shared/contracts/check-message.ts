/**
 * The check message: a check of one object on the validation queue, either a delayed re-check
 * the validator queues for itself while a replica has not arrived yet, one object of a
 * notification that named several, or an object of an audit (`npm run audit --enqueue`).
 * Versioned like the failure report; the validator and the audit write it, and the validator,
 * the notifier and the on-call scans read it.
 */
import { compact, isJsonObject, type ObjectRef } from "../objects.ts";
import { boundedJson } from "../text.ts";
import { isFiniteNumber, isNonEmptyString, isOptional, problemWithKey } from "./json.ts";

export const CHECK_MESSAGE_TYPE = "backup-validator.pending-check";
export const CHECK_MESSAGE_VERSION = 1;

export interface CheckMessage {
  readonly type: typeof CHECK_MESSAGE_TYPE;
  readonly version: typeof CHECK_MESSAGE_VERSION;
  /** The number of the check this message asks for (2 for the first re-check). */
  readonly attempt: number;
  /** When the object was first checked; absent until it has been. */
  readonly firstCheckedAt?: string;
  readonly eventId?: string;
  readonly object: ObjectRef;
  readonly originalEvent: unknown;
  /**
   * How many times a deep verification of this object (reading its bytes) could not finish in
   * the time its invocation had left and was handed off to a check of its own. Added in
   * version 1 as an optional field: absent means 0, and older readers ignore it.
   */
  readonly handoffs?: number;
  /**
   * Set when an audit sent the check (`npm run audit --enqueue`): the validator audits the
   * object (shared/audit/audit-object.ts: the replica bucket's current version too) and its
   * reports name the run. Added in version 1 as an optional field; older readers ignore it.
   */
  readonly audit?: AuditRun;
}

/** The audit run a check message belongs to. */
export interface AuditRun {
  readonly runId: string;
  /** ISO 8601. */
  readonly startedAt?: string;
}

/** What a check message may carry of the event it came from. */
export const MAX_CHECK_EVENT_BYTES = 64 * 1024;

export function buildCheckMessage(fields: Omit<CheckMessage, "type" | "version">): CheckMessage {
  return compact({
    type: CHECK_MESSAGE_TYPE,
    version: CHECK_MESSAGE_VERSION,
    ...fields,
    originalEvent: boundedJson(fields.originalEvent, MAX_CHECK_EVENT_BYTES),
  });
}

/** SQS message attributes of a check message, for on-call inspection. */
export function checkMessageAttributes(message: CheckMessage): Record<string, string> {
  return { type: CHECK_MESSAGE_TYPE, attempt: String(message.attempt) };
}

export function isCheckMessage(value: Record<string, unknown>): boolean {
  return value.type === CHECK_MESSAGE_TYPE;
}

/** The message, or why it is not a valid one. */
export function parseCheckMessage(
  value: Record<string, unknown>,
): { readonly message: CheckMessage } | { readonly problem: string } {
  const invalid = (what: string) => ({
    problem: `${CHECK_MESSAGE_TYPE} message with ${what}`,
  });
  if (value.version !== CHECK_MESSAGE_VERSION) return invalid("an unknown version");
  const { attempt, firstCheckedAt, eventId } = value;
  if (!isFiniteNumber(attempt) || !Number.isInteger(attempt) || attempt < 1) {
    return invalid("an invalid attempt (a whole number from 1)");
  }
  if (value.handoffs !== undefined && !isCount(value.handoffs)) {
    return invalid("an invalid handoffs count (a whole number from 0)");
  }
  if (!isOptional(firstCheckedAt, isNonEmptyString) || !isOptional(eventId, isNonEmptyString)) {
    return invalid("an invalid firstCheckedAt or eventId");
  }
  if (!isOptional(value.audit, isAuditRun)) return invalid("an invalid audit (runId, startedAt)");
  const object = readObject(value.object);
  if (typeof object === "string") return invalid(object);
  return {
    message: buildCheckMessage({
      attempt,
      firstCheckedAt: firstCheckedAt as string | undefined,
      eventId: eventId as string | undefined,
      object,
      originalEvent: value.originalEvent,
      handoffs: value.handoffs as number | undefined,
      audit: value.audit as AuditRun | undefined,
    }),
  };
}

/** The object of a check message, or what is wrong with it. */
function readObject(value: unknown): ObjectRef | string {
  if (!isJsonObject(value)) return "no object";
  const { bucket, key, versionId, size, etag, sequencer, eventTime, reason } = value;
  if (!isNonEmptyString(bucket)) return "no object bucket";
  if (!isNonEmptyString(key)) return "no object key";
  const keyProblem = problemWithKey(key);
  if (keyProblem) return keyProblem;
  const optionalStrings = { versionId, etag, sequencer, eventTime, reason };
  for (const [name, field] of Object.entries(optionalStrings)) {
    if (!isOptional(field, isNonEmptyString)) return `an invalid object ${name}`;
  }
  if (!isOptional(size, isFiniteNumber)) return "an invalid object size";
  return compact({
    bucket,
    key,
    versionId: versionId as string | undefined,
    size: size as number | undefined,
    etag: etag as string | undefined,
    sequencer: sequencer as string | undefined,
    eventTime: eventTime as string | undefined,
    reason: reason as string | undefined,
  });
}

function isAuditRun(value: unknown): value is AuditRun {
  return (
    isJsonObject(value) &&
    isNonEmptyString(value.runId) &&
    isOptional(value.startedAt, isNonEmptyString)
  );
}

function isCount(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value) && value >= 0;
}
