import {
  type ChecksumAlgorithm,
  type ChecksumType,
  type CompletedPart,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  type S3Client,
  type ServerSideEncryption,
  UploadPartCommand,
  type UploadPartCommandOutput,
} from "@aws-sdk/client-s3";
import { createDigestCalculator } from "../../shared/integrity/digests.ts";

/** S3's smallest part size for every part but the last. */
export const MIN_PART_SIZE = 5 * 1024 * 1024;

export interface MultipartOptions {
  /** Checksum algorithm for the parts (and so a composite checksum); undefined for none. */
  readonly checksumAlgorithm: ChecksumAlgorithm | undefined;
  /**
   * COMPOSITE or FULL_OBJECT; undefined lets S3 choose (COMPOSITE for SHA-1/SHA-256, the
   * algorithm's default otherwise). With FULL_OBJECT the whole object's checksum is sent on
   * completion, as S3 checks it there.
   * https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity-upload.html
   */
  readonly checksumType?: ChecksumType;
  readonly contentType?: string;
  readonly metadata?: Record<string, string>;
  readonly serverSideEncryption?: ServerSideEncryption;
  readonly sseKmsKeyId?: string;
}

/** The bytes of one part: `size` bytes from `offset`, made when the part is uploaded. */
export type PartSource = (offset: number, size: number) => Uint8Array;

/**
 * Uploads an object as a multipart upload cut at the given part sizes. The same bytes, part sizes
 * and checksum algorithm give the same multipart ETag and composite checksum, which is how the
 * replication stand-in reproduces what CRR keeps. `body` may be a function making each part when
 * it is uploaded, so that an object larger than memory never exists as one buffer. Returns the
 * new object's version ID (in a versioned bucket).
 */
export async function multipartUpload(
  s3: S3Client,
  bucket: string,
  key: string,
  body: Uint8Array | PartSource,
  partSizes: readonly number[],
  options: MultipartOptions,
): Promise<string | undefined> {
  const total = partSizes.reduce((sum, size) => sum + size, 0);
  if (typeof body !== "function" && total !== body.length) {
    throw new Error(`part sizes add up to ${total}, not ${body.length}`);
  }
  const partAt: PartSource =
    typeof body === "function" ? body : (offset, size) => body.subarray(offset, offset + size);
  const { checksumAlgorithm, checksumType } = options;
  const whole =
    checksumAlgorithm && checksumType === "FULL_OBJECT"
      ? createDigestCalculator([{ kind: "full-object-checksum", algorithm: checksumAlgorithm }])
      : undefined;
  const { UploadId } = await s3.send(
    new CreateMultipartUploadCommand({
      Bucket: bucket,
      Key: key,
      ChecksumAlgorithm: checksumAlgorithm,
      ChecksumType: checksumType,
      ContentType: options.contentType,
      Metadata: options.metadata,
      ServerSideEncryption: options.serverSideEncryption,
      SSEKMSKeyId: options.sseKmsKeyId,
    }),
  );
  const parts: CompletedPart[] = [];
  let offset = 0;
  for (const [index, size] of partSizes.entries()) {
    const bytes = partAt(offset, size);
    await whole?.update(bytes);
    const part = await s3.send(
      new UploadPartCommand({
        Bucket: bucket,
        Key: key,
        UploadId,
        PartNumber: index + 1,
        Body: bytes,
        ChecksumAlgorithm: checksumAlgorithm,
      }),
    );
    parts.push({ PartNumber: index + 1, ETag: part.ETag, ...partChecksums(part) });
    offset += size;
  }
  const [fullObject] = (await whole?.finish()) ?? [];
  const completed = await s3.send(
    new CompleteMultipartUploadCommand({
      Bucket: bucket,
      Key: key,
      UploadId,
      MultipartUpload: { Parts: parts },
      ...(fullObject && checksumAlgorithm
        ? { ChecksumType: "FULL_OBJECT", [`Checksum${checksumAlgorithm}`]: fullObject.value }
        : {}),
    }),
  );
  return completed.VersionId;
}

/** The part checksums S3 answered, for CompleteMultipartUpload to check. */
function partChecksums(part: UploadPartCommandOutput): Partial<CompletedPart> {
  return Object.fromEntries(
    Object.entries(part).filter(([name, value]) => name.startsWith("Checksum") && value),
  );
}

/** Deterministic bytes of a given size (a repeating pattern): reproducible demo and test data. */
export function deterministicBytes(size: number, seed = 1): Buffer {
  const buffer = Buffer.alloc(size);
  for (let i = 0; i < size; i += 1) buffer[i] = (i * 31 + seed) % 251;
  return buffer;
}
