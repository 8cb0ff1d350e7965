import {
  GetObjectCommand,
  HeadObjectCommand,
  type HeadObjectCommandOutput,
  type S3Client,
} from "@aws-sdk/client-s3";
import type { RangeBytes } from "../integrity/parallel-read.ts";
import { compact, type ObjectIdentity } from "../objects.ts";

/**
 * Every additional checksum S3 can record, as the pinned SDK (client-s3 3.1169) lists them in
 * `ChecksumAlgorithm`, strongest first: the cryptographic hashes, then the 64- and 128-bit
 * non-cryptographic ones, then the 32-bit CRCs. HeadObject returns a `Checksum<ALG>` field for
 * each. The order ranks evidence (shared/integrity/compare.ts) and orders the alert's rows.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html
 */
export const CHECKSUM_ALGORITHMS = [
  "SHA512",
  "SHA256",
  "SHA1",
  "MD5",
  "CRC64NVME",
  "XXHASH128",
  "XXHASH3",
  "XXHASH64",
  "CRC32C",
  "CRC32",
] as const;
export type ChecksumAlgorithm = (typeof CHECKSUM_ALGORITHMS)[number];

/** What HeadObject tells us about one object version, in the shape the validator compares. */
export interface ObjectState {
  readonly bucket: string;
  readonly key: string;
  readonly versionId?: string;
  readonly size: number;
  /** As S3 returns it (with quotes); compare with `normaliseEtag`. */
  readonly etag?: string;
  readonly checksums: Partial<Record<ChecksumAlgorithm, string>>;
  /** FULL_OBJECT or COMPOSITE; older objects and some emulators do not say. */
  readonly checksumType?: string;
  /** PENDING, COMPLETED, FAILED on a source; REPLICA on a replica. */
  readonly replicationStatus?: string;
  /** AES256, aws:kms, aws:kms:dsse; undefined when S3 did not say. */
  readonly serverSideEncryption?: string;
  /** Set when the object is encrypted with a customer-provided key (SSE-C). */
  readonly sseCustomerAlgorithm?: string;
  readonly lastModified?: string;
  /**
   * The size of each part in part-number order, when it has been read (`ObjectReader.partSizes`);
   * `[size]` for an object uploaded in one request. Multipart ETags and composite checksums
   * depend on every part boundary, so they are evidence only between equal layouts.
   */
  readonly partSizes?: readonly number[];
}

export interface PartSizeLimits {
  /** Part HEADs in flight at once. */
  readonly concurrency: number;
  readonly signal?: AbortSignal;
}

/** The S3 capabilities the validator needs, for one side (primary or replica). */
export interface ObjectReader {
  /** Describes an object version, or says it is absent; `signal` cancels the request. */
  head(location: ObjectIdentity, signal?: AbortSignal): Promise<ObjectState | undefined>;
  /**
   * The size of every part, in part-number order, or undefined when S3's answers do not add up
   * to the object's size (the layout cannot be established: an emulator, or a concurrent change).
   */
  partSizes(object: ObjectState, limits: PartSizeLimits): Promise<readonly number[] | undefined>;
  /** Exactly the bytes start..endInclusive of this version, in the pieces they arrived in. */
  readRange(
    object: ObjectState,
    start: number,
    endInclusive: number,
    signal: AbortSignal,
  ): Promise<RangeBytes>;
}

export function s3ObjectReader(client: S3Client): ObjectReader {
  return {
    async head(location, signal) {
      try {
        const output = await client.send(
          new HeadObjectCommand({
            Bucket: location.bucket,
            Key: location.key,
            VersionId: location.versionId,
            // Checksums are only returned when asked for:
            // https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html#API_HeadObject_RequestSyntax
            ChecksumMode: "ENABLED",
          }),
          { abortSignal: signal },
        );
        return toObjectState(location, output);
      } catch (error) {
        if (isNotFound(error)) return undefined;
        throw error;
      }
    },

    /**
     * HeadObject with `PartNumber` answers that part's ContentLength, and `PartsCount` for a
     * multipart object (none for one uploaded in a single request). Parts need not be equal in
     * size, so only one HEAD per part proves a layout: part 1 first (it gives the count), then
     * the others, `concurrency` at a time.
     * https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html#API_HeadObject_RequestSyntax
     */
    async partSizes(object, limits) {
      const headPart = async (partNumber: number) =>
        client.send(
          new HeadObjectCommand({
            Bucket: object.bucket,
            Key: object.key,
            VersionId: object.versionId,
            PartNumber: partNumber,
          }),
          { abortSignal: limits.signal },
        );
      const first = await headPart(1);
      const count = first.PartsCount ?? 1;
      const sizes: number[] = [first.ContentLength ?? 0];
      if (count > 1) {
        const rest = await mapConcurrently(count - 1, limits.concurrency, async (index) => {
          const part = await headPart(index + 2);
          return part.ContentLength ?? 0;
        });
        sizes.push(...rest);
      }
      const total = sizes.reduce((sum, size) => sum + size, 0);
      return total === object.size ? sizes : undefined;
    },

    async readRange(object, start, endInclusive, signal) {
      const output = await client.send(
        new GetObjectCommand({
          Bucket: object.bucket,
          Key: object.key,
          VersionId: object.versionId,
          // Without a version id, the ETag pins the object: an overwrite during the read fails
          // the read (412) rather than mixing two objects' bytes.
          IfMatch: object.versionId === undefined ? object.etag : undefined,
          Range: `bytes=${start}-${endInclusive}`,
        }),
        { abortSignal: signal },
      );
      if (!output.Body) {
        throw new Error(`GetObject of s3://${object.bucket}/${object.key} had no body`);
      }
      // Kept as received: joining the pieces (transformToByteArray) would hold the range twice.
      const pieces: Uint8Array[] = [];
      for await (const piece of output.Body as AsyncIterable<Uint8Array>) pieces.push(piece);
      return pieces;
    },
  };
}

/** Runs `task(0..count-1)` with at most `concurrency` running; results in index order. */
async function mapConcurrently<T>(
  count: number,
  concurrency: number,
  task: (index: number) => Promise<T>,
): Promise<T[]> {
  const results: T[] = new Array(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const index = next;
      next += 1;
      results[index] = await task(index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(count, Math.max(1, concurrency)) }, worker));
  return results;
}

/**
 * HEAD has no body, so a missing key or version comes back as a bare 404 ("NotFound"). A 403
 * is NOT treated as absence: without s3:ListBucket S3 answers 403 for missing keys, and that is
 * a permissions problem someone must fix, so it fails the record.
 */
export function isNotFound(error: unknown): boolean {
  if (error === null || typeof error !== "object") return false;
  const { name, $metadata } = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return (
    name === "NotFound" ||
    name === "NoSuchKey" ||
    name === "NoSuchVersion" ||
    $metadata?.httpStatusCode === 404
  );
}

export function toObjectState(
  location: ObjectIdentity,
  output: HeadObjectCommandOutput,
): ObjectState {
  const checksums: Partial<Record<ChecksumAlgorithm, string>> = {};
  for (const algorithm of CHECKSUM_ALGORITHMS) {
    const value = output[`Checksum${algorithm}`];
    if (value) checksums[algorithm] = value;
  }
  return compact({
    bucket: location.bucket,
    key: location.key,
    versionId: output.VersionId ?? location.versionId,
    size: output.ContentLength ?? 0,
    etag: output.ETag,
    checksums,
    checksumType: output.ChecksumType,
    replicationStatus: output.ReplicationStatus,
    serverSideEncryption: output.ServerSideEncryption,
    sseCustomerAlgorithm: output.SSECustomerAlgorithm,
    lastModified: output.LastModified?.toISOString(),
  });
}
