/**
 * Failure reports for what the validator finds, as pure functions of what it knows: the SQS
 * message, the parsed event, the bucket pair and the verdict. Sending them is process-message's
 * business; what goes in them is decided here.
 */

import type { CurrentReplicaState } from "../audit/audit-object.ts";
import type { BucketPair } from "../contracts/bucket-pairs.ts";
import {
  buildFailureReport,
  type CurrentReplica,
  type FailureReport,
  type FailureReportInput,
  objectSide,
} from "../contracts/failure-report.ts";
import type { ObjectRef, ParsedMessage } from "../events/parse-message.ts";
import { compact } from "../objects.ts";
import type { ReportedVerdict } from "../verdicts.ts";
import type { ValidationResult } from "./validate-object.ts";

/** An SQS message as the validator sees it. */
export interface IncomingMessage {
  readonly messageId: string;
  readonly body: string;
  /** ApproximateReceiveCount of this delivery. */
  readonly receiveCount?: number;
  readonly eventSourceArn?: string;
  /** When the record must be done (epoch ms): its requests are cancelled then. */
  readonly deadline?: number;
}

export type ObjectsMessage = Extract<ParsedMessage, { kind: "objects" }>;

/** Where the validator runs and what time it is: the facts every report carries. */
export interface ReportContext {
  readonly primaryRegion?: string;
  readonly replicaRegion: string;
  readonly detectedAt: string;
}

/** The report of a reported verdict on one object (MISMATCH, REPLICA_MISSING, ...). */
export function objectReport(
  context: ReportContext,
  message: IncomingMessage,
  parsed: ObjectsMessage,
  object: ObjectRef,
  pair: BucketPair,
  result: Findings & { readonly verdict: ReportedVerdict },
): FailureReport {
  return buildFailureReport({
    ...reportBase(context, message, parsed, object, pair),
    ...objectFindings(context, pair, result, result.primary?.versionId ?? object.versionId),
    verdict: result.verdict,
    summary: result.reason,
  });
}

/** What was found about one object: validateObject's result, or auditObject's. */
export type Findings = Omit<ValidationResult, "verdict"> & {
  readonly replicaCurrent?: CurrentReplicaState;
};

/**
 * What a report says about one checked object, whoever checked it (the validator for an upload,
 * an audit): the object, both sides as they were found, the evidence, the object's age, and for
 * REPLICA_OVERWRITTEN the replica bucket's current version.
 */
export function objectFindings(
  regions: { readonly primaryRegion?: string; readonly replicaRegion?: string },
  pair: BucketPair,
  result: Findings,
  versionId: string | undefined,
): Pick<
  FailureReportInput,
  "object" | "primary" | "replica" | "evidence" | "objectAgeSeconds" | "replicaCurrent"
> {
  return compact({
    replicaCurrent:
      result.replicaCurrent && currentReplicaSide(regions, pair, result.key, result.replicaCurrent),
    object: compact({
      bucket: pair.primaryBucket,
      key: result.key,
      versionId,
      replicaBucket: pair.replicaBucket,
      primaryRegion: regions.primaryRegion,
      replicaRegion: regions.replicaRegion,
    }),
    primary: objectSide(
      { bucket: pair.primaryBucket, key: result.key, region: regions.primaryRegion },
      result.primary,
    ),
    replica: objectSide(
      { bucket: pair.replicaBucket, key: result.key, region: regions.replicaRegion },
      result.replica,
    ),
    evidence: result.comparison && {
      basis: result.comparison.basis,
      compared: result.comparison.evidence,
      notComparable: result.comparison.notComparable,
      deepVerification: result.deepVerification,
    },
    objectAgeSeconds: result.objectAgeSeconds,
  });
}

function currentReplicaSide(
  regions: { readonly replicaRegion?: string },
  pair: BucketPair,
  key: string,
  current: CurrentReplicaState,
): CurrentReplica {
  const side = objectSide(
    { bucket: pair.replicaBucket, key, region: regions.replicaRegion },
    current.state,
  );
  const comparison = current.comparison;
  if (!comparison) return side;
  return {
    ...side,
    comparedWithPrimary: compact({
      verdict: comparison.verdict,
      basis: comparison.basis,
      compared: comparison.evidence,
      notComparable: comparison.notComparable,
    }),
  };
}

/** An object S3 refuses to look up for good (isPermanent): nothing could be compared. */
export function uncheckableReport(
  context: ReportContext,
  message: IncomingMessage,
  parsed: ObjectsMessage,
  object: ObjectRef,
  pair: BucketPair,
  reason: string,
): FailureReport {
  return buildFailureReport({
    ...reportBase(context, message, parsed, object, pair),
    verdict: "UNCHECKABLE",
    summary: reason,
    object: compact({
      bucket: object.bucket,
      key: object.key,
      versionId: object.versionId,
      replicaBucket: pair.replicaBucket,
      primaryRegion: context.primaryRegion,
      replicaRegion: context.replicaRegion,
    }),
  });
}

/** An event for a bucket that BUCKET_PAIRS does not name. */
export function unmappedBucketReport(
  context: ReportContext,
  message: IncomingMessage,
  parsed: ObjectsMessage,
  object: ObjectRef,
  reason: string,
): FailureReport {
  return buildFailureReport({
    ...reportBase(context, message, parsed, object, undefined),
    verdict: "UNMAPPED_BUCKET",
    summary: reason,
    object: compact({
      bucket: object.bucket,
      key: object.key,
      versionId: object.versionId,
      primaryRegion: context.primaryRegion,
    }),
  });
}

/** A message that is not an S3 event the validator understands; its body goes with it. */
export function malformedEventReport(
  context: ReportContext,
  message: IncomingMessage,
  reason: string,
): FailureReport {
  return buildFailureReport({
    verdict: "MALFORMED_EVENT",
    summary: `a message on the validation queue could not be read: ${reason}`,
    detectedAt: context.detectedAt,
    attempts: 1,
    source: compact({
      messageId: message.messageId,
      eventSourceArn: message.eventSourceArn,
      receiveCount: message.receiveCount,
    }),
    rawBody: message.body,
  });
}

function reportBase(
  context: ReportContext,
  message: IncomingMessage,
  parsed: ObjectsMessage,
  object: ObjectRef,
  pair: BucketPair | undefined,
): Omit<FailureReportInput, "verdict" | "summary"> {
  return compact({
    category: pair?.category,
    eventTime: object.eventTime,
    firstCheckedAt: parsed.firstCheckedAt,
    detectedAt: context.detectedAt,
    detectedBy: parsed.audit
      ? compact({
          kind: "audit" as const,
          runId: parsed.audit.runId,
          via: "enqueue",
          startedAt: parsed.audit.startedAt,
        })
      : { kind: "upload" as const },
    attempts: parsed.attempt,
    source: compact({
      messageId: message.messageId,
      eventSourceArn: message.eventSourceArn,
      eventId: parsed.eventId,
      receiveCount: message.receiveCount,
    }),
    originalEvent: parsed.originalEvent,
  });
}
