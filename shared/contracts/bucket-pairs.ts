/**
 * BUCKET_PAIRS: which bucket holds the replica of each primary, and its data category. Written
 * by the stacks (the validator's environment and the BucketPairs stack output) and the local
 * stack with `formatBucketPairs`, read back with `parseBucketPairs`.
 */
import { ConfigurationError } from "../errors.ts";
import { isBucketName } from "./names.ts";

/** One primary bucket and the bucket CRR replicates it to. */
export interface BucketPair {
  readonly primaryBucket: string;
  readonly replicaBucket: string;
  /** Data category (documents, media, ...) shown in alerts; defaults to the primary's name. */
  readonly category: string;
}

export type BucketPairs = ReadonlyMap<string, BucketPair>;

/**
 * BUCKET_PAIRS is a JSON object keyed by primary bucket name. Each value is the replica bucket
 * name, or `{ "replica": "...", "category": "..." }` to name the data category for alerts.
 */
export function parseBucketPairs(raw: string, variable = "BUCKET_PAIRS"): BucketPairs {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ConfigurationError(variable, "must be a JSON object", raw);
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new ConfigurationError(variable, "must be a JSON object", raw);
  }
  const pairs = new Map<string, BucketPair>();
  for (const [primaryBucket, value] of Object.entries(parsed)) {
    const { replicaBucket, category } = readPairValue(variable, primaryBucket, value, raw);
    for (const name of [primaryBucket, replicaBucket]) {
      if (!isBucketName(name)) {
        throw new ConfigurationError(variable, `"${name}" is not a valid S3 bucket name`, raw);
      }
    }
    if (primaryBucket === replicaBucket) {
      throw new ConfigurationError(variable, `"${primaryBucket}" is paired with itself`, raw);
    }
    pairs.set(primaryBucket, { primaryBucket, replicaBucket, category });
  }
  if (pairs.size === 0) throw new ConfigurationError(variable, "names no bucket pair", raw);
  // A bucket that is both a primary and a replica (A→B and B→A, or A→B→C) would be validated
  // against itself in a loop, and replication would feed one pair's replicas to another.
  for (const pair of pairs.values()) {
    if (pairs.has(pair.replicaBucket)) {
      throw new ConfigurationError(
        variable,
        `"${pair.replicaBucket}" is the replica of "${pair.primaryBucket}" and a primary too`,
        raw,
      );
    }
  }
  return pairs;
}

function readPairValue(
  variable: string,
  primaryBucket: string,
  value: unknown,
  raw: string,
): { replicaBucket: string; category: string } {
  if (typeof value === "string") return { replicaBucket: value, category: primaryBucket };
  if (value !== null && typeof value === "object") {
    const { replica, category } = value as Record<string, unknown>;
    if (
      typeof replica === "string" &&
      (category === undefined || (typeof category === "string" && category.trim() !== ""))
    ) {
      return { replicaBucket: replica, category: category ?? primaryBucket };
    }
  }
  throw new ConfigurationError(
    variable,
    `the value for "${primaryBucket}" must be a bucket name or {"replica": "...", "category": "..."}`,
    raw,
  );
}

/** The BUCKET_PAIRS JSON for these pairs (the long form, with categories). */
export function formatBucketPairs(pairs: readonly BucketPair[]): string {
  return JSON.stringify(
    Object.fromEntries(
      pairs.map((pair) => [
        pair.primaryBucket,
        { replica: pair.replicaBucket, category: pair.category },
      ]),
    ),
  );
}
