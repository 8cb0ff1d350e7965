/**
 * The audit of one object already in a bucket pair: what every audit path runs (`npm run audit`
 * from a workstation, the validator for `npm run audit --enqueue`, the scheduled audit's
 * worker), on the validator's own engine (validateObject, settleComparison), so that a verdict
 * means the same everywhere. On top of what checking one upload can show, an audit of the
 * current state looks at the replica bucket's current version too: a replica that something
 * overwrote or deleted after replication is what a restore of "the latest version" would take.
 */
import type { BucketPair } from "../contracts/bucket-pairs.ts";
import {
  buildFailureReport,
  type DetectedBy,
  type FailureReport,
} from "../contracts/failure-report.ts";
import { isPermanent } from "../errors.ts";
import { asEventKey } from "../events/keys.ts";
import {
  type Comparison,
  compareObjects,
  describeValues,
  evidenceName,
} from "../integrity/compare.ts";
import type { SettleLimits } from "../integrity/settle.ts";
import { compact, type ObjectIdentity } from "../objects.ts";
import type { ObjectReader, ObjectState } from "../s3/object-state.ts";
import { objectFindings } from "../validator/reports.ts";
import {
  uncheckableReason,
  type ValidationContext,
  type ValidationResult,
  validateObject,
} from "../validator/validate-object.ts";
import { type AuditVerdict, isReportedVerdict, type ReportedVerdict } from "../verdicts.ts";

export interface AuditTarget {
  readonly pair: BucketPair;
  /** The key exactly as S3 lists it (not URL-encoded). */
  readonly key: string;
  /**
   * Audit this version of the primary against the same version on the replica. Without it, the
   * current state: the primary's current version, and the replica bucket's current version.
   */
  readonly versionId?: string;
  /** Cancels the audit's requests. */
  readonly signal?: AbortSignal;
}

/** The replica bucket's current version under the key, when it is not the version audited. */
export interface CurrentReplicaState {
  /** Undefined when the key has no current object there (deleted: a delete marker on top). */
  readonly state?: ObjectState;
  /** How it compares with the primary's version, on what S3 recorded (no bytes read). */
  readonly comparison?: Comparison;
}

export interface AuditResult extends Omit<ValidationResult, "verdict"> {
  readonly verdict: AuditVerdict;
  /**
   * For REPLICA_OVERWRITTEN: what the replica bucket's current version is, since it is not the
   * replicated version (`replica`).
   */
  readonly replicaCurrent?: CurrentReplicaState;
}

/**
 * Audits one object and returns its verdict with the evidence.
 *
 * With a version id: that version on both sides, as the validator checks an upload.
 *
 * Without: the primary's current version and the replica bucket's current version are looked
 * up at once (one HEAD per side), then the primary's version is compared with the same version
 * on the replica (CRR gives a replica its source's version id), reusing those answers, so a
 * healthy object costs one HEAD per side. On a versioned replica bucket, REPLICA_OVERWRITTEN
 * when the replica holds the primary's version but:
 * - its current version is another one (a PUT or copy after replication: CRR never writes a
 *   version the source does not have), or none (a DELETE put a delete marker on top); or
 * - its current version has the primary's version id but not the replication status REPLICA,
 *   which S3 gives every replica it writes: something else wrote it (e.g. a `null` version).
 * A MISMATCH of the replicated version itself wins over REPLICA_OVERWRITTEN: it needs the
 * version replicated again either way; the result still names the current version. Where the
 * replica does not hold the primary's version yet, the engine's verdict stands (PENDING within
 * the replication deadline, then REPLICATION_OVERDUE, REPLICATION_FAILED, REPLICA_MISSING).
 * Without versioning (no version ids) there is nothing on top to tell apart: an overwrite with
 * other bytes is a MISMATCH.
 *
 * An error S3 will answer the same way however often it is asked (a 400) is the verdict
 * UNCHECKABLE; any other error (throttling, 5xx, access denied, a cancelled request) is thrown
 * for the caller to retry.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-what-is-isnot-replicated.html
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-status.html
 */
export async function auditObject(
  context: ValidationContext,
  target: AuditTarget,
  limits: SettleLimits = {},
): Promise<AuditResult> {
  try {
    if (target.versionId !== undefined) {
      return await validateObject(
        context,
        compact({
          pair: target.pair,
          key: asEventKey(target.key),
          versionId: target.versionId,
          signal: target.signal,
        }),
        limits,
      );
    }
    return await auditCurrent(context, target, limits);
  } catch (error) {
    if (!isPermanent(error)) throw error;
    return { verdict: "UNCHECKABLE", key: target.key, reason: uncheckableReason(error) };
  }
}

async function auditCurrent(
  context: ValidationContext,
  target: AuditTarget,
  limits: SettleLimits,
): Promise<AuditResult> {
  const { pair, key, signal } = target;
  const [primary, replicaCurrent] = await Promise.all([
    context.primary.head({ bucket: pair.primaryBucket, key }, signal),
    context.replica.head({ bucket: pair.replicaBucket, key }, signal),
  ]);
  if (!primary) {
    return {
      verdict: "SOURCE_GONE",
      key,
      reason: `s3://${pair.primaryBucket}/${key} no longer exists; it was deleted or expired since it was listed`,
    };
  }
  const result = await validateObject(
    {
      ...context,
      primary: answering(context.primary, [primary]),
      replica: answering(context.replica, replicaCurrent ? [replicaCurrent] : []),
    },
    compact({ pair, key: asEventKey(key), signal }),
    limits,
  );
  const overwrite = overwriteOf(primary, replicaCurrent, result);
  if (!overwrite) return result;
  const comparison = replicaCurrent ? compareObjects(primary, replicaCurrent) : undefined;
  const current: CurrentReplicaState = compact({ state: replicaCurrent, comparison });
  if (result.verdict === "MISMATCH") return { ...result, replicaCurrent: current };
  return {
    ...result,
    verdict: "REPLICA_OVERWRITTEN",
    reason: `${overwrite}; ${describeCurrent(current)}. A restore of the latest version from the replica bucket would take this, not the replicated version ${primary.versionId}`,
    replicaCurrent: current,
  };
}

/** Why the replica bucket's current version is not the replicated one, or undefined when it is. */
function overwriteOf(
  primary: ObjectState,
  replicaCurrent: ObjectState | undefined,
  result: ValidationResult,
): string | undefined {
  const versionId = primary.versionId;
  // Only a versioned replica bucket tells the replicated version from what came after it, and
  // only once the replica holds the primary's version (else replication is still to come).
  if (versionId === undefined || !result.comparison) return undefined;
  if (!replicaCurrent) {
    return `the replica bucket has no current object under this key, but still holds the replicated version ${versionId}: it was deleted there after replication (a delete marker is on top)`;
  }
  if (replicaCurrent.versionId === undefined) return undefined;
  if (replicaCurrent.versionId !== versionId) {
    return `the replica bucket's current version ${replicaCurrent.versionId} is not the replicated version ${versionId}: something wrote it there after replication (CRR writes only the source's versions)`;
  }
  if (replicaCurrent.replicationStatus !== "REPLICA") {
    return `the replica bucket's current version ${versionId} has replication status ${replicaCurrent.replicationStatus ?? "none"}, not REPLICA, which S3 gives every replica it writes: something else wrote it`;
  }
  return undefined;
}

function describeCurrent(current: CurrentReplicaState): string {
  const { state, comparison } = current;
  if (!state) return "nothing would be restored under this key";
  const written = `it was last modified ${state.lastModified ?? "at an unknown time"}, replication status ${state.replicationStatus ?? "none"}`;
  if (!comparison) return written;
  const basis = comparison.basis;
  switch (comparison.verdict) {
    case "MISMATCH":
      return `${written}; it differs from the primary's version (${basis ? `${evidenceName(basis)}: ${describeValues(basis)}` : "recorded values differ"})`;
    case "MATCH":
      return `${written}; its ${basis ? evidenceName(basis) : "recorded values"} agrees with the primary's version (the same content written again)`;
    default:
      return `${written}; what S3 recorded cannot tell whether its content equals the primary's`;
  }
}

/**
 * A reader that answers HEADs it already has the answer to (an object's current version, found
 * by a HEAD without version id, is also the answer for that version id) and asks S3 otherwise.
 */
function answering(reader: ObjectReader, known: readonly ObjectState[]): ObjectReader {
  const find = (location: ObjectIdentity) =>
    known.find(
      (state) =>
        state.bucket === location.bucket &&
        state.key === location.key &&
        (location.versionId === undefined || location.versionId === state.versionId),
    );
  return {
    ...reader,
    head: async (location, signal) => find(location) ?? reader.head(location, signal),
  };
}

/** Where an audit report comes from and what it knows of the regions. */
export interface AuditReportContext {
  readonly detectedBy: Extract<DetectedBy, { kind: "audit" }>;
  /** When the object was audited (ISO 8601). */
  readonly detectedAt: string;
  readonly primaryRegion?: string;
  readonly replicaRegion?: string;
}

/** An audit result whose verdict is reported (a failure report, and from it an alert). */
export type ReportedAuditResult = AuditResult & { readonly verdict: ReportedVerdict };

export function isReportedResult(result: AuditResult): result is ReportedAuditResult {
  return isReportedVerdict(result.verdict);
}

/**
 * The failure report of an audit finding, in the contract the notifier reads
 * (shared/contracts/failure-report.ts), so that it alerts as for an upload: the same reportId
 * per verdict and object version, so an alert already sent for it is not sent again.
 */
export function auditReport(
  context: AuditReportContext,
  pair: BucketPair,
  result: ReportedAuditResult,
): FailureReport {
  return buildFailureReport({
    ...objectFindings(context, pair, result, result.primary?.versionId),
    verdict: result.verdict,
    summary: result.reason,
    category: pair.category,
    detectedAt: context.detectedAt,
    detectedBy: context.detectedBy,
    attempts: 1,
    source: {},
  });
}
