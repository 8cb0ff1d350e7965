import { createHash } from "node:crypto";
import type { Evidence } from "../integrity/compare.ts";
import type { DeepVerification } from "../integrity/settle.ts";
import { compact, isJsonObject, type ObjectIdentity } from "../objects.ts";
import type { ChecksumAlgorithm, ObjectState } from "../s3/object-state.ts";
import { boundedText } from "../text.ts";
import { isReportedVerdict, type ReportedVerdict, type Severity, severityOf } from "../verdicts.ts";

/**
 * The failure report: the message the checksum-validator sends to the failure queue and the
 * failure-notifier reads. Versioned: a consumer must check `schema` and `schemaVersion` before
 * trusting fields. Verdicts and severities come from the verdict table (shared/verdicts.ts).
 *
 * Version 1 grows only by optional fields, so readers must tolerate fields, checksum algorithms
 * and evidence they do not know: `ObjectSide.parts`, `Evidence.parts` and `Evidence.computedFrom`
 * (a value computed from bytes by deep verification), and `evidence.deepVerification` were added
 * that way.
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
    originalEvent: input.originalEvent === undefined ? undefined : boundedJson(input.originalEvent),
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

function boundedJson(value: unknown): unknown {
  const text = JSON.stringify(value);
  if (Buffer.byteLength(text) <= MAX_EMBEDDED_BYTES) return value;
  return {
    truncated: true,
    originalBytes: Buffer.byteLength(text),
    preview: boundedText(text, 4096),
  };
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

/** Reads a failure report from a message body; undefined when the body is not one. */
export function parseFailureReport(body: string): FailureReport | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (!isJsonObject(parsed)) return undefined;
  const report = parsed as Partial<FailureReport>;
  if (
    report.schema !== FAILURE_REPORT_SCHEMA ||
    report.schemaVersion !== FAILURE_REPORT_VERSION ||
    !isReportedVerdict(report.verdict) ||
    typeof report.summary !== "string" ||
    typeof report.detectedAt !== "string"
  ) {
    return undefined;
  }
  return report as FailureReport;
}

/** SQS message attributes that let consumers route or filter reports without parsing them. */
export function reportMessageAttributes(report: FailureReport): Record<string, string> {
  const attributes = {
    verdict: report.verdict,
    severity: report.severity,
    bucket: report.object?.bucket,
    category: report.category,
  };
  // SQS rejects empty attribute values, which would fail the report's delivery.
  return Object.fromEntries(
    Object.entries(attributes).filter((entry): entry is [string, string] => Boolean(entry[1])),
  );
}
