/**
 * The check message: a check of one object that the validator queues for itself on the
 * validation queue, either a delayed re-check while a replica has not arrived yet, or one object
 * of a notification that named several. Versioned like the failure report; only the validator
 * writes it, and the validator, the notifier and the on-call scans read it.
 */
import type { ObjectRef } from "../events/parse-message.ts";
import { compact, isJsonObject } from "../objects.ts";

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
}

export function buildCheckMessage(fields: Omit<CheckMessage, "type" | "version">): CheckMessage {
  return compact({ type: CHECK_MESSAGE_TYPE, version: CHECK_MESSAGE_VERSION, ...fields });
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
  const object = isJsonObject(value.object) ? value.object : undefined;
  const attempt = value.attempt;
  if (
    value.version !== CHECK_MESSAGE_VERSION ||
    !object ||
    !isNonEmptyString(object.bucket) ||
    !isNonEmptyString(object.key) ||
    typeof attempt !== "number" ||
    !Number.isInteger(attempt) ||
    attempt < 1 ||
    (value.firstCheckedAt !== undefined && !isNonEmptyString(value.firstCheckedAt)) ||
    (value.handoffs !== undefined && !isCount(value.handoffs))
  ) {
    return { problem: `${CHECK_MESSAGE_TYPE} message with missing or invalid fields` };
  }
  return {
    message: buildCheckMessage({
      attempt,
      firstCheckedAt: value.firstCheckedAt as string | undefined,
      eventId: typeof value.eventId === "string" && value.eventId ? value.eventId : undefined,
      object: object as unknown as ObjectRef,
      originalEvent: value.originalEvent,
      handoffs: value.handoffs as number | undefined,
    }),
  };
}

function isCount(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value) && value >= 0;
}

function isNonEmptyString(value: unknown): value is string {
  return typeof value === "string" && value.length > 0;
}
