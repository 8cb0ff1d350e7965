import type { BucketPair } from "../contracts/bucket-pairs.ts";
import { describeError } from "../errors.ts";
import { keyCandidates } from "../events/keys.ts";
import { type Comparison, describeValues, evidenceName } from "../integrity/compare.ts";
import {
  type DeepVerification,
  type DeepVerificationSettings,
  type SettleLimits,
  settleComparison,
} from "../integrity/settle.ts";
import { verifyCommand } from "../notifier/commands.ts";
import type { ObjectReader, ObjectState } from "../s3/object-state.ts";
import { formatDuration, formatSize } from "../text.ts";
import type { ObjectVerdict } from "../verdicts.ts";

export interface ValidationContext {
  readonly primary: ObjectReader;
  readonly replica: ObjectReader;
  /** How long replication may take before a missing replica is reported (S3 RTC: 15 min). */
  readonly replicationDeadlineSeconds: number;
  /** When and how to read bytes if the recorded metadata cannot decide. */
  readonly deepVerification: DeepVerificationSettings;
  /** The stage, for the command that settles an UNVERIFIABLE object from a workstation. */
  readonly stage?: string;
  readonly now: () => Date;
}

export interface ValidationTarget {
  readonly pair: BucketPair;
  /** The key as the event carried it; URL-encoded and raw forms are both tried. */
  readonly key: string;
  readonly versionId?: string;
  /** When the object was created, if the event said; the source's LastModified wins. */
  readonly eventTime?: string;
  /** Cancels the check's requests when the record's time is up. */
  readonly signal?: AbortSignal;
}

export interface ValidationResult {
  readonly verdict: ObjectVerdict;
  /** Plain-words explanation, for logs and alerts. */
  readonly reason: string;
  /** The key that was found on the primary (or the first tried when none was). */
  readonly key: string;
  readonly primary?: ObjectState;
  readonly replica?: ObjectState;
  readonly comparison?: Comparison;
  /** Present when the metadata could not decide and bytes were (to be) read. */
  readonly deepVerification?: DeepVerification;
  readonly objectAgeSeconds?: number;
}

/**
 * Compares one object version on the primary with its replica, reading part layouts and bytes
 * when the recorded metadata cannot decide (within `limits.deadline`). Throws on anything it does
 * not understand (throttling, 5xx, access denied): the caller lets the message fail so SQS
 * retries.
 */
export async function validateObject(
  context: ValidationContext,
  target: ValidationTarget,
  limits: SettleLimits = {},
): Promise<ValidationResult> {
  const { pair, versionId } = target;
  const candidates = keyCandidates(target.key);
  let key = candidates[0] ?? target.key;
  let primary: ObjectState | undefined;
  // Replicas keep the source's version ID, so with a version ID both sides can be looked up at
  // once: one cross-region round trip less per object. Without one, the primary's answer names
  // the version to look for.
  // https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-what-is-isnot-replicated.html
  let replicaLookup: Promise<ObjectState | undefined> | undefined;
  if (versionId !== undefined) {
    replicaLookup = context.replica.head(
      { bucket: pair.replicaBucket, key, versionId },
      target.signal,
    );
    // Not awaited if the primary is gone: keep its failure from going unhandled.
    replicaLookup.catch(() => undefined);
  }
  for (const candidate of candidates) {
    primary = await context.primary.head(
      { bucket: pair.primaryBucket, key: candidate, versionId },
      target.signal,
    );
    if (primary) {
      key = candidate;
      break;
    }
  }
  if (!primary) {
    return {
      verdict: "SOURCE_GONE",
      key,
      reason: `s3://${pair.primaryBucket}/${key}${versionId ? ` (version ${versionId})` : ""} no longer exists; it was deleted or expired before it could be checked`,
    };
  }

  const objectAgeSeconds = ageInSeconds(context.now(), primary.lastModified ?? target.eventTime);
  const overdue =
    objectAgeSeconds !== undefined && objectAgeSeconds > context.replicationDeadlineSeconds;
  const replicaVersionId = primary.versionId ?? versionId;
  const replica =
    replicaLookup && key === candidates[0] && replicaVersionId === versionId
      ? await replicaLookup
      : await context.replica.head(
          { bucket: pair.replicaBucket, key, versionId: replicaVersionId },
          target.signal,
        );
  const sides = { key, primary, replica, objectAgeSeconds };

  // https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-status.html
  if (primary.replicationStatus === "FAILED") {
    return {
      ...sides,
      verdict: "REPLICATION_FAILED",
      reason:
        "S3 reports replication FAILED for this version (usually the replication role's permissions or a KMS key policy)",
    };
  }
  if (primary.replicationStatus === "PENDING" || !replica) {
    if (replica === undefined && primary.replicationStatus === "COMPLETED") {
      return {
        ...sides,
        verdict: "REPLICA_MISSING",
        reason:
          "S3 reports replication COMPLETED but the replica does not exist: it was deleted or expired in the replica bucket",
      };
    }
    const waitingFor =
      primary.replicationStatus === "PENDING"
        ? "S3 reports replication PENDING"
        : primary.replicationStatus === undefined
          ? "the replica does not exist yet and the source has no replication status (is a replication rule configured for this key?)"
          : "the replica does not exist yet";
    if (overdue) {
      return {
        ...sides,
        verdict: "REPLICATION_OVERDUE",
        reason: `${waitingFor} ${formatDuration(objectAgeSeconds)} after upload, past the ${formatDuration(context.replicationDeadlineSeconds)} replication deadline`,
      };
    }
    return { ...sides, verdict: "PENDING", reason: waitingFor };
  }

  const settled = await settleComparison(
    {
      primary: { state: primary, reader: context.primary },
      replica: { state: replica, reader: context.replica },
    },
    context.deepVerification,
    limits,
  );
  const { comparison, deepVerification } = settled;
  return {
    ...sides,
    primary: settled.primary,
    replica: settled.replica,
    comparison,
    ...(deepVerification ? { deepVerification } : {}),
    verdict: comparison.verdict,
    reason: explain(comparison, deepVerification, () =>
      verifyCommand(
        context.stage,
        { bucket: pair.primaryBucket, key, versionId: replicaVersionId },
        { deep: true },
      ),
    ),
  };
}

/** Why an object is UNCHECKABLE: S3 refused its lookup with an error retrying cannot change. */
export function uncheckableReason(error: unknown): string {
  return `S3 refused to look up this object for good: ${describeError(error)}`;
}

function explain(
  comparison: Comparison,
  deep: DeepVerification | undefined,
  settleCommand: () => string,
): string {
  const basis = comparison.basis;
  if (comparison.verdict === "UNVERIFIABLE") {
    const missing = `sizes are equal but there is no comparable checksum or ETag: ${comparison.notComparable.join("; ")}`;
    return `${missing}; ${unsettled(deep)}; settle it by reading the bytes from a workstation: ${settleCommand()}`;
  }
  if (!basis) return comparison.verdict;
  const what = evidenceName(basis);
  return comparison.verdict === "MATCH"
    ? `${what} and size agree`
    : `${what} differs: ${describeValues(basis)}`;
}

/** Why deep verification did not settle an UNVERIFIABLE comparison. */
function unsettled(deep: DeepVerification | undefined): string {
  switch (deep?.outcome) {
    case "off":
      return "deep verification is turned off";
    case "too-large":
      return `the object is above the deep-verification size limit (${formatSize(deep.bytesToRead)} to read)`;
    case "stopped":
      return `reading its bytes did not finish in the time left (${formatSize(deep.bytesRead)} of ${formatSize(deep.bytesToRead)} read)`;
    default:
      return "its bytes were not read";
  }
}

function ageInSeconds(now: Date, since: string | undefined): number | undefined {
  if (!since) return undefined;
  const then = Date.parse(since);
  return Number.isNaN(then) ? undefined : Math.max(0, Math.round((now.getTime() - then) / 1000));
}
