/**
 * S3 Inventory runs in an inventory bucket, laid out as S3 delivers them: a folder per run named
 * by the time the scan began, manifest.json (fields as documented), then manifest.checksum (the
 * MD5 of manifest.json) once the run is complete, data files under data/ and Hive symlinks under
 * hive/. https://docs.aws.amazon.com/AmazonS3/latest/userguide/storage-inventory-location.html
 */
import { createHash } from "node:crypto";
import { PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { inventoryFolder } from "../../shared/contracts/inventory.ts";

export interface InventoryRunFixture {
  readonly inventoryBucket: string;
  readonly sourceBucket: string;
  /** `YYYY-MM-DDTHH-MMZ`. */
  readonly run: string;
  /** Whether manifest.checksum was written (the run is complete). Default true. */
  readonly complete?: boolean;
}

/** Writes one run; returns its manifest key. */
export async function putInventoryRun(s3: S3Client, fixture: InventoryRunFixture): Promise<string> {
  const folder = `${inventoryFolder(fixture.sourceBucket)}${fixture.run}/`;
  const dataKey = `${inventoryFolder(fixture.sourceBucket)}data/${createHash("md5").update(fixture.run).digest("hex")}.csv.gz`;
  const manifest = JSON.stringify({
    sourceBucket: fixture.sourceBucket,
    destinationBucket: `arn:aws:s3:::${fixture.inventoryBucket}`,
    version: "2016-11-30",
    creationTimestamp: String(
      Date.parse(`${fixture.run.slice(0, 13)}:${fixture.run.slice(14, 16)}:00Z`),
    ),
    fileFormat: "CSV",
    fileSchema:
      "Bucket, Key, Size, LastModifiedDate, ETag, IsMultipartUploaded, ReplicationStatus, EncryptionStatus, ChecksumAlgorithm",
    files: [
      { key: dataKey, size: 20, MD5checksum: createHash("md5").update("data").digest("hex") },
    ],
  });
  const put = (key: string, body: string) =>
    s3.send(new PutObjectCommand({ Bucket: fixture.inventoryBucket, Key: key, Body: body }));
  await put(dataKey, "data");
  await put(
    `${inventoryFolder(fixture.sourceBucket)}hive/dt=${fixture.run.slice(0, 16).replace("T", "-")}/symlink.txt`,
    dataKey,
  );
  await put(`${folder}manifest.json`, manifest);
  if (fixture.complete !== false) {
    await put(`${folder}manifest.checksum`, createHash("md5").update(manifest).digest("hex"));
  }
  return `${folder}manifest.json`;
}
