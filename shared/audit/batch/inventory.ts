/**
 * Finding a primary bucket's newest complete S3 Inventory in the inventory bucket, by listing
 * alone: run folders are named by the time the inventory began (fixed width, so the greatest is
 * the newest), and a run is complete once its manifest.checksum exists, which S3 writes after
 * manifest.json ("indicates that an inventory list has been added"). The manifest's ETag, which
 * CreateJob needs, comes with the listing: nothing is read, so no KMS key is needed either.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/storage-inventory-location.html
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/storage-inventory-notification.html
 */
import { ListObjectsV2Command, type S3Client } from "@aws-sdk/client-s3";
import { inventoryFolder } from "../../contracts/inventory.ts";

/** The one thing the starter asks of S3 here: list a prefix, folders and objects apart. */
export interface InventoryLister {
  list(
    bucket: string,
    prefix: string,
    options: { readonly delimiter?: string; readonly signal?: AbortSignal },
  ): Promise<Listing>;
}

export interface Listing {
  /** Common prefixes (with a delimiter), each ending in the delimiter. */
  readonly folders: readonly string[];
  readonly objects: readonly { readonly key: string; readonly etag?: string }[];
}

/** One complete inventory run of one source bucket. */
export interface InventoryRun {
  /** The key of its manifest.json in the inventory bucket. */
  readonly manifestKey: string;
  /** manifest.json's ETag, without quotes (as CreateJob's JobManifestLocation takes it). */
  readonly manifestEtag: string;
  /** The run's folder name, `YYYY-MM-DDTHH-MMZ`: when S3 began scanning the bucket. */
  readonly run: string;
  readonly startedAt: Date;
}

// "2016-11-06T21-32Z" (UTC, minute precision).
const RUN_FOLDER = /^(\d{4})-(\d{2})-(\d{2})T(\d{2})-(\d{2})Z$/;

/**
 * The newest run of `sourceBucket`'s inventory whose manifest.checksum exists; undefined when
 * there is none yet (the first inventory takes up to 48 hours).
 */
export async function newestInventory(
  lister: InventoryLister,
  inventoryBucket: string,
  sourceBucket: string,
  signal?: AbortSignal,
): Promise<InventoryRun | undefined> {
  const folder = inventoryFolder(sourceBucket);
  const { folders } = await lister.list(inventoryBucket, folder, { delimiter: "/", signal });
  const runs = folders
    .map((prefix) => prefix.slice(folder.length, -1))
    .flatMap((run) => {
      const startedAt = runStart(run);
      return startedAt === undefined ? [] : [{ run, startedAt }];
    })
    // Newest first: fixed-width UTC names sort by time.
    .sort((a, b) => (a.run < b.run ? 1 : a.run > b.run ? -1 : 0));
  for (const { run, startedAt } of runs) {
    const { objects } = await lister.list(inventoryBucket, `${folder}${run}/`, { signal });
    const manifest = objects.find((object) => object.key === `${folder}${run}/manifest.json`);
    const complete = objects.some((object) => object.key === `${folder}${run}/manifest.checksum`);
    if (manifest?.etag !== undefined && complete) {
      return {
        manifestKey: manifest.key,
        manifestEtag: manifest.etag.replaceAll('"', ""),
        run,
        startedAt,
      };
    }
  }
  return undefined;
}

/** The time a run folder is named by; undefined for other folders (data/, hive/). */
export function runStart(run: string): Date | undefined {
  const match = RUN_FOLDER.exec(run);
  if (!match) return undefined;
  const [, year, month, day, hour, minute] = match;
  const iso = `${year}-${month}-${day}T${hour}:${minute}:00.000Z`;
  const date = new Date(iso);
  // A folder like 2026-02-31T25-00Z is not a time (Date would roll it over).
  return Number.isNaN(date.getTime()) || date.toISOString() !== iso ? undefined : date;
}

/** ListObjectsV2, every page (`pageSize` keys each: 1,000 is S3's most). */
export function s3InventoryLister(s3: S3Client, pageSize = 1000): InventoryLister {
  return {
    async list(bucket, prefix, { delimiter, signal }) {
      const folders: string[] = [];
      const objects: { key: string; etag?: string }[] = [];
      let continuationToken: string | undefined;
      do {
        const page = await s3.send(
          new ListObjectsV2Command({
            Bucket: bucket,
            Prefix: prefix,
            Delimiter: delimiter,
            MaxKeys: pageSize,
            ContinuationToken: continuationToken,
          }),
          { abortSignal: signal },
        );
        for (const common of page.CommonPrefixes ?? []) {
          if (common.Prefix !== undefined) folders.push(common.Prefix);
        }
        for (const object of page.Contents ?? []) {
          if (object.Key !== undefined) {
            objects.push({ key: object.Key, ...(object.ETag ? { etag: object.ETag } : {}) });
          }
        }
        continuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (continuationToken !== undefined);
      return { folders, objects };
    },
  };
}
