/**
 * What a bucket listing (ListObjectsV2, ListObjectVersions, an S3 Inventory row) proves about a
 * primary object and its replica, by the comparison engine's own rules (compare.ts), so that an
 * audit HEADs only what the listing cannot decide.
 *
 * A listing carries the size, the ETag and the last-modified time, and no checksum values and no
 * encryption (https://docs.aws.amazon.com/AmazonS3/latest/API/API_Object.html). So:
 * - It can prove a MATCH only by ETags that are content digests of the same shape (compare.ts's
 *   layout rule): equal single-part MD5s, or equal multipart ETags of the same part count.
 *   Whether an ETag is a digest depends on the object's encryption, which only a HEAD shows; the
 *   caller passes each bucket's default encryption, and with SSE-KMS (or unknown) the listing
 *   decides nothing.
 * - It leaves everything else to a HEAD of both sides: a difference (a replica may hold an older
 *   version while the new one is still replicating, and the replication status tells PENDING
 *   from FAILED and MISSING), and a replica newer than its source: CRR gives a replica its
 *   source's creation time, so a later last-modified time is the sign of a write after
 *   replication (REPLICA_OVERWRITTEN on a versioned bucket).
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-what-is-isnot-replicated.html
 */
import type { ObjectState } from "../s3/object-state.ts";
import { type Comparison, compareObjects } from "./compare.ts";

/** One entry of a listing. */
export interface ListedObject {
  readonly key: string;
  readonly size: number;
  /** As S3 lists it (with quotes). */
  readonly etag?: string;
  /** Epoch milliseconds (a number: compared for every object of a bucket). */
  readonly lastModified?: number;
  /** ListObjectVersions only. */
  readonly versionId?: string;
}

/** What is known of a bucket's objects' encryption, for reading its listing's ETags. */
export interface ListingEncryption {
  /**
   * The bucket's default encryption (AES256, aws:kms, aws:kms:dsse), or undefined for none;
   * `unknown` when it could not be read: then the listing's ETags are no evidence.
   */
  readonly primary: string | undefined;
  readonly replica: string | undefined;
}

export const UNKNOWN_ENCRYPTION = "unknown";

/**
 * Why a listing's ETags cannot be evidence for this pair, or undefined when they can: a bucket
 * whose default encryption is SSE-KMS (or DSSE-KMS) gives its objects ETags that are not MD5
 * digests, and an unknown default may be one.
 */
export function listingEtagsUnusable(encryption: ListingEncryption): string | undefined {
  for (const [side, sse] of [
    ["primary", encryption.primary],
    ["replica", encryption.replica],
  ] as const) {
    if (sse === UNKNOWN_ENCRYPTION) {
      return `the ${side} bucket's default encryption could not be read, so its listed ETags may not be MD5 digests`;
    }
    if (sse?.toLowerCase().startsWith("aws:kms")) {
      return `the ${side} bucket encrypts with ${sse} by default, so its listed ETags are not MD5 digests`;
    }
  }
  return undefined;
}

/**
 * The comparison a listing proves, or undefined when the pair must be HEADed. Only a MATCH is
 * ever decided here (see above); the caller checks listingEtagsUnusable once per pair first.
 */
export function decideFromListing(
  primary: ListedObject,
  replica: ListedObject,
  encryption: ListingEncryption,
): Comparison | undefined {
  if (replicaIsNewer(primary, replica)) return undefined;
  const comparison = compareObjects(
    listedState(primary, encryption.primary),
    listedState(replica, encryption.replica),
  );
  return comparison.verdict === "MATCH" ? comparison : undefined;
}

/** True when the replica was last modified after its source: CRR keeps the creation time. */
export function replicaIsNewer(primary: ListedObject, replica: ListedObject): boolean {
  if (primary.lastModified === undefined || replica.lastModified === undefined) return false;
  return replica.lastModified > primary.lastModified;
}

function listedState(entry: ListedObject, serverSideEncryption: string | undefined): ObjectState {
  return {
    bucket: "",
    key: entry.key,
    size: entry.size,
    checksums: {},
    ...(entry.etag ? { etag: entry.etag } : {}),
    ...(entry.versionId ? { versionId: entry.versionId } : {}),
    ...(serverSideEncryption ? { serverSideEncryption } : {}),
  };
}
