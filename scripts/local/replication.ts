/**
 * Local stand-in for S3 Cross-Region Replication: after a lag, copies each new primary object
 * to its replica bucket keeping what CRR keeps — the bytes, the ETag (by re-uploading with the
 * same part layout), the checksum algorithm (so composite checksums match too), content type
 * and user metadata. It can be told to corrupt or drop a replica, to show the validator
 * catching both.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-what-is-isnot-replicated.html
 *
 * Not reproducible on the emulator: version IDs and x-amz-replication-status (PENDING,
 * COMPLETED, FAILED, REPLICA); the validator's handling of those is covered by mocked tests.
 */
import {
  type ChecksumAlgorithm,
  GetObjectAttributesCommand,
  GetObjectCommand,
  HeadObjectCommand,
  type HeadObjectCommandOutput,
  PutObjectCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import type { MessageSpyReader } from "fauxqs";
import { parseMd5Etag } from "../../shared/integrity/compare.ts";
import { multipartUpload } from "./multipart.ts";
import { type UploadWatcher, watchUploads } from "./upload-watcher.ts";

/** What happens to one object's replica. */
export type ReplicaFate = "replicate" | "corrupt" | "drop";

export interface ReplicationStandInOptions {
  readonly spy: MessageSpyReader;
  readonly s3: S3Client;
  /** Primary bucket → replica bucket. */
  readonly replicaOf: ReadonlyMap<string, string>;
  readonly lagMs: number;
  readonly fateOf: (bucket: string, key: string) => ReplicaFate;
  readonly onReplicated?: (event: { bucket: string; key: string; fate: ReplicaFate }) => void;
  readonly onError: (error: unknown, where: string) => void;
}

/** Replica fates by key prefix, so anyone can try them by naming an upload. */
export function fateByKeyPrefix(_bucket: string, key: string): ReplicaFate {
  if (key.startsWith("corrupt/")) return "corrupt";
  if (key.startsWith("drop/")) return "drop";
  return "replicate";
}

export function startReplicationStandIn(options: ReplicationStandInOptions): UploadWatcher {
  return watchUploads(
    options.spy,
    new Set(options.replicaOf.keys()),
    async (upload) => {
      const replicaBucket = options.replicaOf.get(upload.bucket);
      if (!replicaBucket) return;
      await new Promise((resolve) => setTimeout(resolve, options.lagMs));
      const fate = options.fateOf(upload.bucket, upload.key);
      if (fate !== "drop") {
        await replicate(options.s3, upload.bucket, upload.key, replicaBucket, fate === "corrupt");
      }
      options.onReplicated?.({ bucket: upload.bucket, key: upload.key, fate });
    },
    (error, upload) => options.onError(error, `replication of s3://${upload.bucket}/${upload.key}`),
  );
}

/** Copies one object with its part layout and checksum algorithm; optionally flips one byte. */
export async function replicate(
  s3: S3Client,
  bucket: string,
  key: string,
  replicaBucket: string,
  corrupt = false,
): Promise<void> {
  const head = await s3.send(
    new HeadObjectCommand({ Bucket: bucket, Key: key, ChecksumMode: "ENABLED" }),
  );
  const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const body = Buffer.from((await object.Body?.transformToByteArray()) ?? new Uint8Array());
  if (corrupt && body.length > 0) {
    const middle = Math.floor(body.length / 2);
    body[middle] = (body[middle] ?? 0) ^ 0xff; // same size, different bytes
  }
  const algorithm = checksumAlgorithmOf(head);
  const common = {
    Bucket: replicaBucket,
    Key: key,
    ContentType: head.ContentType,
    Metadata: head.Metadata,
  };
  const parts = parseMd5Etag(head.ETag ?? "")?.parts;
  if (parts === undefined) {
    await s3.send(new PutObjectCommand({ ...common, Body: body, ChecksumAlgorithm: algorithm }));
    return;
  }
  const sizes = await partSizes(s3, bucket, key, parts);
  await multipartUpload(s3, replicaBucket, key, body, sizes, {
    checksumAlgorithm: algorithm,
    contentType: head.ContentType,
    metadata: head.Metadata,
  });
}

async function partSizes(
  s3: S3Client,
  bucket: string,
  key: string,
  parts: number,
): Promise<number[]> {
  const attributes = await s3.send(
    new GetObjectAttributesCommand({
      Bucket: bucket,
      Key: key,
      ObjectAttributes: ["ObjectParts"],
      MaxParts: 10_000,
    }),
  );
  const sizes = (attributes.ObjectParts?.Parts ?? []).map((part) => part.Size ?? 0);
  if (sizes.length !== parts) {
    throw new Error(
      `s3://${bucket}/${key}: ETag says ${parts} parts but ${sizes.length} part sizes were listed`,
    );
  }
  return sizes;
}

function checksumAlgorithmOf(head: HeadObjectCommandOutput): ChecksumAlgorithm | undefined {
  if (head.ChecksumSHA256) return "SHA256";
  if (head.ChecksumSHA1) return "SHA1";
  if (head.ChecksumCRC32C) return "CRC32C";
  if (head.ChecksumCRC32) return "CRC32";
  return undefined;
}
