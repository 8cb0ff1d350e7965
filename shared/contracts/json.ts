/**
 * Reading untrusted JSON bodies without letting them hurt: a body may be anything a producer
 * (or an attacker, or a hand-typed redrive) put on a queue. Everything here returns a problem
 * instead of throwing, so no body can crash a batch.
 */
import { keyCandidates } from "../events/keys.ts";
import { isJsonObject } from "../objects.ts";

/**
 * Deeper than any message we read (an EventBridge event is 4 levels deep). JSON.parse copes
 * with any depth, but JSON.stringify, structuredClone and recursive code overflow the stack
 * around 10,000 levels, so a deeper body is refused up front.
 */
export const MAX_JSON_DEPTH = 64;

/** The parsed body, or why it cannot be read. */
export function parseJsonBody(
  body: string,
): { readonly value: unknown } | { readonly problem: string } {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return { problem: "the body is not JSON" };
  }
  if (depthExceeds(value, MAX_JSON_DEPTH)) {
    return { problem: `the body is nested deeper than ${MAX_JSON_DEPTH} levels` };
  }
  return { value };
}

/** Iterative, so that measuring a hostile body cannot overflow the stack either. */
export function depthExceeds(value: unknown, limit: number): boolean {
  const pending: [unknown, number][] = [[value, 1]];
  while (pending.length > 0) {
    const next = pending.pop();
    if (!next) break;
    const [item, depth] = next;
    if (item === null || typeof item !== "object") continue;
    if (depth > limit) return true;
    const children = Array.isArray(item) ? item : Object.values(item);
    for (const child of children) pending.push([child, depth + 1]);
  }
  return false;
}

/**
 * S3 object keys are UTF-8, at most 1,024 bytes: a key from an event that is neither, decoded
 * or as received, names no object S3 could hold (a lone surrogate cannot even be encoded into a
 * request: encodeURIComponent throws URIError).
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-keys.html
 */
export function problemWithKey(keyFromEvent: string): string | undefined {
  if (keyCandidates(keyFromEvent).length > 0) return undefined;
  return keyFromEvent.isWellFormed()
    ? "the object key is longer than S3's 1,024 bytes"
    : "the object key is not valid Unicode (a lone surrogate), so no S3 object can have it";
}

export function isNonEmptyString(value: unknown): value is string {
  return typeof value === "string" && value.length > 0;
}

export function isOptional(value: unknown, check: (value: unknown) => boolean): boolean {
  return value === undefined || check(value);
}

export function isFiniteNumber(value: unknown): value is number {
  return typeof value === "number" && Number.isFinite(value);
}

export function isStringMap(value: unknown): value is Record<string, string> {
  return isJsonObject(value) && Object.values(value).every((item) => typeof item === "string");
}

export function isString(value: unknown): value is string {
  return typeof value === "string";
}

export function isBoolean(value: unknown): value is boolean {
  return typeof value === "boolean";
}
