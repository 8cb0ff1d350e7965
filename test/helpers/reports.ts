import type { SQSRecord } from "aws-lambda";
import { auditReport } from "../../shared/audit/audit-object.ts";
import {
  buildFailureReport,
  type FailureReport,
  type FailureReportInput,
  objectSide,
} from "../../shared/contracts/failure-report.ts";
import { compareObjects, type Evidence } from "../../shared/integrity/compare.ts";
import type { DeepVerification } from "../../shared/integrity/settle.ts";
import type { ObjectState } from "../../shared/s3/object-state.ts";
import type { ReportedVerdict } from "../../shared/verdicts.ts";
import { eventBridgeObjectCreated, sqsRecord } from "./events.ts";

/** Fixtures and builders for the notifier's tests: reports built the way the validator builds them. */

export const STAGE = "prod";
export const PRIMARY_BUCKET = "backup-validator-prod-documents-primary";
export const REPLICA_BUCKET = "backup-validator-prod-documents-replica";
export const VALIDATION_QUEUE_ARN =
  "arn:aws:sqs:us-east-1:111122223333:backup-validator-prod-validation";
export const FAILURE_QUEUE_ARN = "arn:aws:sqs:us-east-1:111122223333:backup-validator-prod-failure";

/** An SQS record from the failure queue, as Lambda delivers it to the notifier. */
export function failureQueueRecord(body: string, overrides: Partial<SQSRecord> = {}): SQSRecord {
  return sqsRecord(body, {
    messageId: "4f1c2d3e-0000-4000-8000-000000000001",
    attributes: {
      ApproximateReceiveCount: "1",
      SentTimestamp: "1709547392000",
      SenderId: "AROAEXAMPLE:backup-validator-prod-checksum-validator",
      ApproximateFirstReceiveTimestamp: "1709547392100",
    },
    eventSourceARN: FAILURE_QUEUE_ARN,
    ...overrides,
  });
}

/** Failure-queue records msg-01, msg-02, ... carrying the bodies. */
export function records(bodies: readonly string[]): SQSRecord[] {
  return bodies.map((body, index) =>
    failureQueueRecord(body, { messageId: `msg-${String(index + 1).padStart(2, "0")}` }),
  );
}

const VERSION = "3HL4kqtJvjVBH40Nrjfkd.Wq5v1LZg0b";
const LAST_MODIFIED = "2024-03-04T10:15:30.000Z";

function state(bucket: string, overrides: Partial<ObjectState> = {}): ObjectState {
  return {
    bucket,
    key: "reports/q3.pdf",
    versionId: VERSION,
    size: 1_048_576,
    etag: '"9b2cf535f27731c974343645a3985328"',
    checksums: { SHA256: "n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=" },
    checksumType: "FULL_OBJECT",
    replicationStatus: "COMPLETED",
    serverSideEncryption: "AES256",
    lastModified: LAST_MODIFIED,
    ...overrides,
  };
}

/** The EventBridge event the validator received, as it embeds it in the report. */
function originalEvent(key: string): unknown {
  return {
    ...eventBridgeObjectCreated({
      bucket: PRIMARY_BUCKET,
      key,
      size: 1_048_576,
      etag: "b1946ac92492d2347c6235b4d2611184",
      versionId: VERSION,
      time: "2024-03-04T10:15:30Z",
    }),
    region: "us-east-1",
  };
}

function base(key: string): Omit<FailureReportInput, "verdict" | "summary"> {
  return {
    category: "documents",
    eventTime: "2024-03-04T10:15:30Z",
    detectedAt: "2024-03-04T10:15:42.512Z",
    attempts: 1,
    objectAgeSeconds: 12,
    source: {
      messageId: "059f36b4-87a3-44ab-83d2-661975830a7d",
      eventSourceArn: VALIDATION_QUEUE_ARN,
      eventId: "17793124-05d4-b198-2fde-7ededc63b103",
      receiveCount: 1,
    },
    originalEvent: originalEvent(key),
  };
}

function objectIdentity(key: string) {
  return {
    bucket: PRIMARY_BUCKET,
    key,
    versionId: VERSION,
    replicaBucket: REPLICA_BUCKET,
    primaryRegion: "us-east-1",
    replicaRegion: "us-west-2",
  };
}

function withSides(
  verdict: ReportedVerdict,
  summary: string,
  key: string,
  primary: ObjectState,
  replica: ObjectState | undefined,
  extra: Partial<FailureReportInput> = {},
  deep?: { readonly evidence?: Evidence; readonly deepVerification: DeepVerification },
): FailureReport {
  const metadata = replica ? compareObjects(primary, replica) : undefined;
  // What settleComparison makes of a deep read: its evidence first, and the verdict's basis.
  const comparison =
    metadata && deep?.evidence
      ? { ...metadata, basis: deep.evidence, evidence: [deep.evidence, ...metadata.evidence] }
      : metadata;
  return buildFailureReport({
    ...base(key),
    verdict,
    summary,
    object: objectIdentity(key),
    primary: objectSide({ bucket: PRIMARY_BUCKET, key, region: "us-east-1" }, primary),
    replica: objectSide({ bucket: REPLICA_BUCKET, key, region: "us-west-2" }, replica),
    evidence: comparison && {
      basis: comparison.basis,
      compared: comparison.evidence,
      notComparable: comparison.notComparable,
      deepVerification: deep?.deepVerification,
    },
    ...extra,
  });
}

/** A failure report of each verdict, with realistic evidence from the real comparison. */
export function reportFor(verdict: ReportedVerdict, key = "reports/q3.pdf"): FailureReport {
  const primary = state(PRIMARY_BUCKET, { key });
  const replica = state(REPLICA_BUCKET, { key, replicationStatus: "REPLICA" });
  switch (verdict) {
    case "MISMATCH":
      return withSides(
        verdict,
        "SHA256 checksum differs: primary n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=, replica 47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",
        key,
        primary,
        { ...replica, checksums: { SHA256: "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=" } },
      );
    case "REPLICA_OVERWRITTEN":
      return overwrittenReport(key, primary, replica);
    case "REPLICA_MISSING":
      return withSides(
        verdict,
        "S3 reports replication COMPLETED but the replica does not exist: it was deleted or expired in the replica bucket",
        key,
        primary,
        undefined,
      );
    case "REPLICATION_FAILED":
      return withSides(
        verdict,
        "S3 reports replication FAILED for this version (usually the replication role's permissions or a KMS key policy)",
        key,
        { ...primary, replicationStatus: "FAILED" },
        undefined,
      );
    case "REPLICATION_OVERDUE":
      return withSides(
        verdict,
        "S3 reports replication PENDING 17 min after upload, past the 15 min replication deadline",
        key,
        { ...primary, replicationStatus: "PENDING" },
        undefined,
        {
          attempts: 6,
          firstCheckedAt: "2024-03-04T10:15:31.204Z",
          detectedAt: "2024-03-04T10:32:40.118Z",
          objectAgeSeconds: 1030,
        },
      );
    case "UNVERIFIABLE": {
      // A 5 GiB object written again single-part on the replica, above the size limit of
      // deep verification: the summary is the validator's own wording.
      const size = 5 * 1024 ** 3;
      const sides = { size, checksums: {}, checksumType: undefined };
      return withSides(
        verdict,
        "sizes are equal but there is no comparable checksum or ETag: checksum: primary has none, replica has none; ETag: multipart with 12 parts on the primary vs single-part on the replica (different upload layouts never have equal ETags); the object is above the deep-verification size limit (5,368,709,120 bytes (5.0 GiB) to read); settle it by reading the bytes from a workstation: npm run verify -- s3://backup-validator-prod-documents-primary/reports/q3.pdf --version-id 3HL4kqtJvjVBH40Nrjfkd.Wq5v1LZg0b --stage prod --deep",
        key,
        { ...primary, ...sides, etag: '"4af9a6fdc5e4f2e63e5e3e0b9e5b6c1d-12"' },
        { ...replica, ...sides },
        {},
        {
          deepVerification: {
            outcome: "too-large",
            read: "primary",
            bytesRead: 0,
            bytesToRead: size,
            seconds: 0,
          },
        },
      );
    }
    case "UNCHECKABLE":
      return buildFailureReport({
        ...base(key),
        verdict,
        summary:
          "S3 refused to look up this object for good: BadRequest (400) on the primary, a version id or key S3 rejects",
        object: objectIdentity(key),
      });
    case "UNMAPPED_BUCKET":
      return buildFailureReport({
        ...base(key),
        category: undefined,
        verdict,
        summary:
          "bucket backup-validator-prod-photos-primary is not a configured primary bucket (BUCKET_PAIRS has backup-validator-prod-documents-primary)",
        object: {
          bucket: "backup-validator-prod-photos-primary",
          key,
          versionId: VERSION,
          primaryRegion: "us-east-1",
        },
      });
    case "MALFORMED_EVENT":
      return buildFailureReport({
        verdict,
        summary: "a message on the validation queue could not be read: the body is not JSON",
        detectedAt: "2024-03-04T10:15:42.512Z",
        attempts: 1,
        source: {
          messageId: "059f36b4-87a3-44ab-83d2-661975830a7d",
          eventSourceArn: VALIDATION_QUEUE_ARN,
          receiveCount: 1,
        },
        rawBody: "hello from a misconfigured producer",
      });
  }
}

/**
 * An audit found the replica bucket's current version written over the replicated one (another
 * version id, no replication status, other bytes), as auditReport builds it.
 */
function overwrittenReport(key: string, primary: ObjectState, replica: ObjectState): FailureReport {
  const current = state(REPLICA_BUCKET, {
    key,
    versionId: "Zq8.nW2xLpR0oTf1KcYb4uVhJ3sE6dAg",
    etag: '"0cc175b9c0f1b6a831c399e269772661"',
    checksums: { SHA256: "ypeBEsobvcr6wjGzmiPcTaeG7/gUfE5yuYB3ha/uSLs=" },
    replicationStatus: undefined,
    lastModified: "2024-03-09T08:02:11.000Z",
  });
  const pair = {
    primaryBucket: PRIMARY_BUCKET,
    replicaBucket: REPLICA_BUCKET,
    category: "documents",
  };
  const comparison = compareObjects(primary, replica);
  return auditReport(
    {
      detectedBy: {
        kind: "audit",
        runId: "audit-2024-03-10T02-00-00Z",
        via: "command",
        startedAt: "2024-03-10T02:00:00.000Z",
      },
      detectedAt: "2024-03-10T02:03:17.250Z",
      primaryRegion: "us-east-1",
      replicaRegion: "us-west-2",
    },
    pair,
    {
      verdict: "REPLICA_OVERWRITTEN",
      key,
      reason:
        "the replica bucket's current version Zq8.nW2xLpR0oTf1KcYb4uVhJ3sE6dAg is not the replicated version 3HL4kqtJvjVBH40Nrjfkd.Wq5v1LZg0b: something wrote it there after replication (CRR writes only the source's versions); it was last modified 2024-03-09T08:02:11.000Z, replication status none; it differs from the primary's version (SHA256 checksum (full object): primary n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=, replica ypeBEsobvcr6wjGzmiPcTaeG7/gUfE5yuYB3ha/uSLs=). A restore of the latest version from the replica bucket would take this, not the replicated version 3HL4kqtJvjVBH40Nrjfkd.Wq5v1LZg0b",
      primary,
      replica,
      comparison,
      objectAgeSeconds: 488_267,
      replicaCurrent: { state: current, comparison: compareObjects(primary, current) },
    },
  );
}

/**
 * A MISMATCH found by deep verification: the replica was written again in one request (other
 * layout, no common checksum), and its CRC32 does not match the primary's bytes.
 */
export function deepMismatchReport(key = "exports/ledger.parquet"): FailureReport {
  const size = 12 * 1024 * 1024;
  const primary = state(PRIMARY_BUCKET, {
    key,
    size,
    etag: '"6c8e1b8f0a1f4de5b3c2a19e7d4f0b21-2"',
    checksums: { CRC32: "hXz8Dg==-2" },
    checksumType: "COMPOSITE",
  });
  const replica = state(REPLICA_BUCKET, {
    key,
    size,
    etag: '"0f3a9d2c7b1e4a5f8d6c2b9e1a7f3c40"',
    checksums: { CRC32: "9Yc3aw==" },
    checksumType: "FULL_OBJECT",
    replicationStatus: "REPLICA",
  });
  const evidence: Evidence = {
    kind: "full-object-checksum",
    algorithm: "CRC32",
    primary: "kG1xJQ==",
    replica: "9Yc3aw==",
    agrees: false,
    computedFrom: "primary",
  };
  return withSides(
    "MISMATCH",
    "replica's CRC32 checksum (full object) reproduced from the primary's bytes differs: computed kG1xJQ==, replica records 9Yc3aw==",
    key,
    primary,
    replica,
    {},
    {
      evidence,
      deepVerification: {
        outcome: "verified",
        read: "primary",
        bytesRead: size,
        bytesToRead: size,
        seconds: 0.4,
      },
    },
  );
}

/** Alert prose is wrapped at 78 columns: compare its words, not its line breaks. */
export function words(text: string): string {
  return text.replace(/\s+/g, " ");
}
