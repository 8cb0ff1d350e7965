import {
  type ChecksumAlgorithm,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  type S3Client,
  UploadPartCommand,
} from "@aws-sdk/client-s3";

/** S3's smallest part size for every part but the last. */
export const MIN_PART_SIZE = 5 * 1024 * 1024;

export interface MultipartOptions {
  /** Checksum algorithm for the parts (and so a composite checksum); undefined for none. */
  readonly checksumAlgorithm: ChecksumAlgorithm | undefined;
  readonly contentType?: string;
  readonly metadata?: Record<string, string>;
}

/**
 * Uploads `body` as a multipart upload cut at the given part sizes. The same bytes, part sizes
 * and checksum algorithm give the same multipart ETag and composite checksum, which is how the
 * replication stand-in reproduces what CRR keeps.
 */
export async function multipartUpload(
  s3: S3Client,
  bucket: string,
  key: string,
  body: Buffer,
  partSizes: readonly number[],
  options: MultipartOptions,
): Promise<void> {
  const total = partSizes.reduce((sum, size) => sum + size, 0);
  if (total !== body.length) throw new Error(`part sizes add up to ${total}, not ${body.length}`);
  const { checksumAlgorithm } = options;
  const { UploadId } = await s3.send(
    new CreateMultipartUploadCommand({
      Bucket: bucket,
      Key: key,
      ChecksumAlgorithm: checksumAlgorithm,
      ContentType: options.contentType,
      Metadata: options.metadata,
    }),
  );
  const parts = [];
  let offset = 0;
  for (const [index, size] of partSizes.entries()) {
    const part = await s3.send(
      new UploadPartCommand({
        Bucket: bucket,
        Key: key,
        UploadId,
        PartNumber: index + 1,
        Body: body.subarray(offset, offset + size),
        ChecksumAlgorithm: checksumAlgorithm,
      }),
    );
    parts.push({
      PartNumber: index + 1,
      ETag: part.ETag,
      ChecksumCRC32: part.ChecksumCRC32,
      ChecksumCRC32C: part.ChecksumCRC32C,
      ChecksumSHA1: part.ChecksumSHA1,
      ChecksumSHA256: part.ChecksumSHA256,
    });
    offset += size;
  }
  await s3.send(
    new CompleteMultipartUploadCommand({
      Bucket: bucket,
      Key: key,
      UploadId,
      MultipartUpload: { Parts: parts },
    }),
  );
}

/** Deterministic bytes of a given size (a repeating pattern): reproducible demo and test data. */
export function deterministicBytes(size: number, seed = 1): Buffer {
  const buffer = Buffer.alloc(size);
  for (let i = 0; i < size; i += 1) buffer[i] = (i * 31 + seed) % 251;
  return buffer;
}
