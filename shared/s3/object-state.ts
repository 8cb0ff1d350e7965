import { HeadObjectCommand, type HeadObjectCommandOutput, type S3Client } from "@aws-sdk/client-s3";
import { compact, type ObjectIdentity } from "../objects.ts";

export const CHECKSUM_ALGORITHMS = ["SHA256", "SHA1", "CRC64NVME", "CRC32C", "CRC32"] as const;
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
  readonly checksumType?: string;
  /** PENDING, COMPLETED, FAILED on a source; REPLICA on a replica. */
  readonly replicationStatus?: string;
  /** AES256, aws:kms, aws:kms:dsse; undefined when S3 did not say. */
  readonly serverSideEncryption?: string;
  /** Set when the object is encrypted with a customer-provided key (SSE-C). */
  readonly sseCustomerAlgorithm?: string;
  readonly lastModified?: string;
}

/** The one S3 capability the validator needs: describe an object version, or say it is absent. */
export interface ObjectReader {
  /** `signal` cancels the request (the record's time is up). */
  head(location: ObjectIdentity, signal?: AbortSignal): Promise<ObjectState | undefined>;
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
  };
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
