import { createHash } from "node:crypto";
import type { Evidence } from "../integrity/compare.ts";
import type { DeepVerification } from "../integrity/settle.ts";
import { compact, isJsonObject, type ObjectIdentity } from "../objects.ts";
import type { ChecksumAlgorithm, ObjectState } from "../s3/object-state.ts";
import { boundedJson, boundedText } from "../text.ts";
import {
  isReportedVerdict,
  isSeverity,
  type ReportedVerdict,
  type Severity,
  severityOf,
} from "../verdicts.ts";
import {
  isBoolean,
  isFiniteNumber,
  isNonEmptyString,
  isOptional,
  isString,
  isStringMap,
  parseJsonBody,
} from "./json.ts";

/**
 * The failure report: the message the checksum-validator sends to the failure queue and the
 * failure-notifier reads. Versioned: a consumer must check `schema` and `schemaVersion` before
 * trusting fields. Verdicts and severities come from the verdict table (shared/verdicts.ts).
 *
 * Version 1 grows only by optional fields, so readers must tolerate fields, checksum algorithms
 * and evidence they do not know: `ObjectSide.parts`, `Evidence.parts` and `Evidence.computedFrom`
 * (a value computed from bytes by deep verification), `evidence.deepVerification`, `detectedBy`
 * (the upload pipeline or an audit) and `replicaCurrent` (REPLICA_OVERWRITTEN) were added that
 * way.
 */
export const FAILURE_REPORT_SCHEMA = "backup-validator.failure-report";
export const FAILURE_REPORT_VERSION = 1;

/** What one side (primary or replica) looked like when we checked. */
export interface ObjectSide {
  readonly bucket: string;
  readonly key: string;
  readonly region?: string;
  /** False when HeadObject said the object (version) does not exist. */
  readonly present: boolean;
  readonly versionId?: string;
  readonly size?: number;
  readonly etag?: string;
  readonly checksums?: Partial<Record<ChecksumAlgorithm, string>>;
  readonly checksumType?: string;
  /** Number of parts, when the part layout was read. */
  readonly parts?: number;
  readonly replicationStatus?: string;
  readonly serverSideEncryption?: string;
  readonly lastModified?: string;
}

/**
 * What found the problem: the upload pipeline (an Object Created event, checked by the
 * checksum-validator), or an audit of objects already in the buckets. Readers must tolerate
 * kinds and fields they do not know.
 */
export type DetectedBy =
  | { readonly kind: "upload" }
  | {
      readonly kind: "audit";
      /** Names the audit run: every report of one run carries the same id. */
      readonly runId: string;
      /**
       * How the audit ran: `command` (`npm run audit` checking from a workstation), `enqueue`
       * (`npm run audit --enqueue`: the validator checked the object), `batch-operations` (the
       * scheduled audit's S3 Batch Operations job).
       */
      readonly via: string;
      /** When the run started (ISO 8601). */
      readonly startedAt?: string;
    };

/** How the replica bucket's current version compares with the primary's (REPLICA_OVERWRITTEN). */
export interface CurrentReplica extends ObjectSide {
  /** The comparison of this version with the primary's, on what S3 recorded (no bytes read). */
  readonly comparedWithPrimary?: {
    readonly verdict: string;
    readonly basis?: Evidence;
    readonly compared: readonly Evidence[];
    readonly notComparable: readonly string[];
  };
}

export interface FailureReport {
  readonly schema: typeof FAILURE_REPORT_SCHEMA;
  readonly schemaVersion: typeof FAILURE_REPORT_VERSION;
  /** Same for every report of the same verdict on the same object version: use it to de-duplicate. */
  readonly reportId: string;
  readonly verdict: ReportedVerdict;
  readonly severity: Severity;
  /** One plain sentence: what is wrong. */
  readonly summary: string;
  /** Data category of the bucket pair (documents, media, ...), when the bucket is mapped. */
  readonly category?: string;
  /** The object the event was about; absent for MALFORMED_EVENT. */
  readonly object?: ObjectIdentity & {
    readonly replicaBucket?: string;
    readonly primaryRegion?: string;
    readonly replicaRegion?: string;
  };
  readonly primary?: ObjectSide;
  readonly replica?: ObjectSide;
  readonly evidence?: {
    /** The evidence the verdict rests on. */
    readonly basis?: Evidence;
    readonly compared: readonly Evidence[];
    readonly notComparable: readonly string[];
    /** What reading the bytes did, when the recorded metadata could not decide. */
    readonly deepVerification?: DeepVerification;
  };
  /** When S3 emitted the event (ISO 8601). */
  readonly eventTime?: string;
  readonly firstCheckedAt?: string;
  readonly detectedAt: string;
  /** How many checks ran, this one included. */
  readonly attempts: number;
  /** Age of the source object when this report was made, in seconds. */
  readonly objectAgeSeconds?: number;
  readonly source: {
    readonly messageId?: string;
    readonly eventSourceArn?: string;
    readonly eventId?: string;
    readonly receiveCount?: number;
  };
  /** Where the report came from; absent in reports of older validators (the upload pipeline). */
  readonly detectedBy?: DetectedBy;
  /**
   * REPLICA_OVERWRITTEN: the replica bucket's current version under the key, which is not the
   * replicated version `replica` describes (present: false when the key has no current object
   * there, e.g. a delete marker).
   */
  readonly replicaCurrent?: CurrentReplica;
  /** The S3 or EventBridge event, or `{ truncated: true, preview }` when too large. */
  readonly originalEvent?: unknown;
  /** The raw message body, for MALFORMED_EVENT only (truncated). */
  readonly rawBody?: string;
}

export type FailureReportInput = Omit<
  FailureReport,
  "schema" | "schemaVersion" | "reportId" | "severity" | "originalEvent" | "rawBody"
> & { readonly originalEvent?: unknown; readonly rawBody?: string };

/** Keeps a report far below SQS's message size limit whatever the original event held. */
export const MAX_EMBEDDED_BYTES = 64 * 1024;

export function buildFailureReport(input: FailureReportInput): FailureReport {
  return compact({
    schema: FAILURE_REPORT_SCHEMA,
    schemaVersion: FAILURE_REPORT_VERSION,
    reportId: reportIdFor(input),
    severity: severityOf(input.verdict),
    ...input,
    originalEvent:
      input.originalEvent === undefined
        ? undefined
        : boundedJson(input.originalEvent, MAX_EMBEDDED_BYTES),
    rawBody:
      input.rawBody === undefined ? undefined : boundedText(input.rawBody, MAX_EMBEDDED_BYTES),
  });
}

function reportIdFor(input: FailureReportInput): string {
  const identity = input.object
    ? [input.verdict, input.object.bucket, input.object.key, input.object.versionId ?? ""]
    : // Redriven messages get new SQS message ids: identify object-less reports by content.
      [input.verdict, input.source.eventId ?? "", input.rawBody ?? ""];
  return createHash("sha256").update(identity.join("\u0000")).digest("hex").slice(0, 32);
}

export function objectSide(
  location: { bucket: string; key: string; region?: string },
  state: ObjectState | undefined,
): ObjectSide {
  if (!state) return compact({ ...location, present: false });
  return compact({
    bucket: state.bucket,
    key: state.key,
    region: location.region,
    present: true,
    versionId: state.versionId,
    size: state.size,
    etag: state.etag,
    checksums: state.checksums,
    checksumType: state.checksumType,
    parts: state.partSizes?.length,
    replicationStatus: state.replicationStatus,
    serverSideEncryption: state.serverSideEncryption,
    lastModified: state.lastModified,
  });
}

/** Reads a failure report from a message body; undefined when the body is not a valid one. */
export function parseFailureReport(body: string): FailureReport | undefined {
  const json = parseJsonBody(body);
  if ("problem" in json || !isJsonObject(json.value)) return undefined;
  return problemWithReport(json.value) === undefined
    ? (json.value as unknown as FailureReport)
    : undefined;
}

/**
 * What makes a JSON object that claims to be a failure report unreadable: the wrong schema or
 * version, or a field the notifier reads with the wrong type. Checked field by field, so that a
 * hostile or corrupted report (a bucket that is an object, an empty bucket SNS would refuse as a
 * message attribute) is named as such instead of crashing the notifier's batch. Unknown extra
 * fields are allowed: a newer validator may add them.
 */
export function problemWithReport(value: Record<string, unknown>): string | undefined {
  if (value.schema !== FAILURE_REPORT_SCHEMA) return "not a failure report";
  if (value.schemaVersion !== FAILURE_REPORT_VERSION) {
    return `schemaVersion ${JSON.stringify(value.schemaVersion)} is not ${FAILURE_REPORT_VERSION}`;
  }
  const checks: [string, boolean][] = [
    ["reportId", isNonEmptyString(value.reportId)],
    ["verdict", isReportedVerdict(value.verdict)],
    ["severity", isSeverity(value.severity)],
    ["summary", isString(value.summary)],
    ["category", isOptional(value.category, isNonEmptyString)],
    ["object", isOptional(value.object, isReportObject)],
    ["primary", isOptional(value.primary, isObjectSide)],
    ["replica", isOptional(value.replica, isObjectSide)],
    ["evidence", isOptional(value.evidence, isEvidenceSummary)],
    ["eventTime", isOptional(value.eventTime, isString)],
    ["firstCheckedAt", isOptional(value.firstCheckedAt, isString)],
    ["detectedAt", isString(value.detectedAt)],
    ["attempts", isFiniteNumber(value.attempts)],
    ["objectAgeSeconds", isOptional(value.objectAgeSeconds, isFiniteNumber)],
    ["source", isReportSource(value.source)],
    ["rawBody", isOptional(value.rawBody, isString)],
    ["detectedBy", isOptional(value.detectedBy, isDetectedBy)],
    ["replicaCurrent", isOptional(value.replicaCurrent, isObjectSide)],
  ];
  const wrong = checks.filter(([, ok]) => !ok).map(([field]) => field);
  return wrong.length === 0 ? undefined : `invalid ${wrong.join(", ")}`;
}

function isReportObject(value: unknown): boolean {
  return (
    isJsonObject(value) &&
    isNonEmptyString(value.bucket) &&
    isNonEmptyString(value.key) &&
    ["versionId", "replicaBucket", "primaryRegion", "replicaRegion"].every((field) =>
      isOptional(value[field], isNonEmptyString),
    )
  );
}

function isObjectSide(value: unknown): boolean {
  return (
    isJsonObject(value) &&
    isString(value.bucket) &&
    isString(value.key) &&
    isBoolean(value.present) &&
    isOptional(value.size, isFiniteNumber) &&
    isOptional(value.checksums, isStringMap) &&
    ["region", "versionId", "etag", "checksumType", "replicationStatus"]
      .concat(["serverSideEncryption", "lastModified"])
      .every((field) => isOptional(value[field], isString))
  );
}

/** A kind the reader may not know is tolerated; an audit must name its run. */
function isDetectedBy(value: unknown): boolean {
  if (!isJsonObject(value) || !isNonEmptyString(value.kind)) return false;
  if (value.kind !== "audit") return true;
  return (
    isNonEmptyString(value.runId) && isString(value.via) && isOptional(value.startedAt, isString)
  );
}

function isEvidence(value: unknown): boolean {
  return (
    isJsonObject(value) &&
    isString(value.kind) &&
    isOptional(value.algorithm, isString) &&
    isString(value.primary) &&
    isString(value.replica) &&
    isBoolean(value.agrees)
  );
}

function isEvidenceSummary(value: unknown): boolean {
  return (
    isJsonObject(value) &&
    isOptional(value.basis, isEvidence) &&
    Array.isArray(value.compared) &&
    value.compared.every(isEvidence) &&
    Array.isArray(value.notComparable) &&
    value.notComparable.every(isString)
  );
}

function isReportSource(value: unknown): boolean {
  return (
    isJsonObject(value) &&
    ["messageId", "eventSourceArn", "eventId"].every((field) =>
      isOptional(value[field], isString),
    ) &&
    isOptional(value.receiveCount, isFiniteNumber)
  );
}

/** SQS message attributes that let consumers route or filter reports without parsing them. */
export function reportMessageAttributes(report: FailureReport): Record<string, string> {
  return compact({
    verdict: report.verdict,
    severity: report.severity,
    bucket: report.object?.bucket,
    category: report.category,
  }) as Record<string, string>;
}
