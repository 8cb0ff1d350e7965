import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  type S3Client,
  UploadPartCommand,
} from "@aws-sdk/client-s3";

/** S3's smallest part size for every part but the last. */
export const MIN_PART_SIZE = 5 * 1024 * 1024;

/** Uploads `body` as a multipart upload cut at the given part sizes, with CRC32 checksums. */
export async function multipartUpload(
  s3: S3Client,
  bucket: string,
  key: string,
  body: Buffer,
  partSizes: number[],
): Promise<void> {
  const { UploadId } = await s3.send(
    new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ChecksumAlgorithm: "CRC32" }),
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
        ChecksumAlgorithm: "CRC32",
      }),
    );
    parts.push({ PartNumber: index + 1, ETag: part.ETag, ChecksumCRC32: part.ChecksumCRC32 });
    offset += size;
  }
  if (offset !== body.length) throw new Error(`part sizes add up to ${offset}, not ${body.length}`);
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
