import type { BucketPair } from "../contracts/bucket-pairs.ts";
import { keyCandidates } from "../events/keys.ts";
import { type Comparison, compareObjects, evidenceName } from "../integrity/compare.ts";
import type { ObjectReader, ObjectState } from "../s3/object-state.ts";
import { formatDuration } from "../text.ts";
import type { ObjectVerdict } from "../verdicts.ts";

export interface ValidationContext {
  readonly primary: ObjectReader;
  readonly replica: ObjectReader;
  /** How long replication may take before a missing replica is reported (S3 RTC: 15 min). */
  readonly replicationDeadlineSeconds: number;
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
  readonly objectAgeSeconds?: number;
}

/**
 * Compares one object version on the primary with its replica. Throws on anything it does not
 * understand (throttling, 5xx, access denied): the caller lets the message fail so SQS retries.
 */
export async function validateObject(
  context: ValidationContext,
  target: ValidationTarget,
): Promise<ValidationResult> {
  const { pair, versionId } = target;
  const candidates = keyCandidates(target.key);
  let key = candidates[0] ?? target.key;
  let primary: ObjectState | undefined;
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
  // Replicas keep the source's version ID, so the same version is looked up on both sides.
  // https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-what-is-isnot-replicated.html
  const replica = await context.replica.head(
    { bucket: pair.replicaBucket, key, versionId: primary.versionId ?? versionId },
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

  const comparison = compareObjects(primary, replica);
  return { ...sides, comparison, verdict: comparison.verdict, reason: explain(comparison) };
}

function explain(comparison: Comparison): string {
  const basis = comparison.basis;
  if (comparison.verdict === "UNVERIFIABLE") {
    return `sizes are equal but there is no comparable checksum or ETag: ${comparison.notComparable.join("; ")}`;
  }
  if (!basis) return comparison.verdict;
  const what = evidenceName(basis);
  return comparison.verdict === "MATCH"
    ? `${what} and size agree`
    : `${what} differs: primary ${basis.primary}, replica ${basis.replica}`;
}

function ageInSeconds(now: Date, since: string | undefined): number | undefined {
  if (!since) return undefined;
  const then = Date.parse(since);
  return Number.isNaN(then) ? undefined : Math.max(0, Math.round((now.getTime() - then) / 1000));
}
