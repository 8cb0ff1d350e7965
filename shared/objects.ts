/**
 * One object version: the identity every part of the system uses for "which object" (events,
 * checks, reports, alerts, on-call listings). `versionId` is absent for an unversioned object or
 * when the event did not carry one.
 */
export interface ObjectIdentity {
  readonly bucket: string;
  readonly key: string;
  readonly versionId?: string;
}

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

/** Drops undefined properties so that messages and logs stay free of `"x": undefined` noise. */
export function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** A JSON object (not null, not an array). */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}
