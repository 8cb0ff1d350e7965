/**
 * Where S3 Inventory and the audit jobs' completion reports land in the stack's inventory
 * bucket: the primary stack configures both (resources/cloudformation/primary/audit.ts and
 * buckets.ts), the audit-starter reads the inventories and names the report prefix.
 *
 * S3 writes an inventory run to `<prefix>/<source bucket>/<configuration id>/<YYYY-MM-DDTHH-MMZ>/`
 * (manifest.json, manifest.checksum) with its data files under `.../data/`.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/storage-inventory-location.html
 */

/** Destination prefix of every primary bucket's inventory. */
export const INVENTORY_PREFIX = "inventory";
/** The inventory configuration's Id on each primary bucket: a segment of the keys S3 writes. */
export const INVENTORY_CONFIGURATION_ID = "audit";
/** Where each audit job writes its completion report: `reports/<source bucket>/job-<id>/`. */
export const JOB_REPORTS_PREFIX = "reports";

/** The folder holding one primary bucket's inventory runs, with a trailing slash. */
export function inventoryFolder(sourceBucket: string): string {
  return `${INVENTORY_PREFIX}/${sourceBucket}/${INVENTORY_CONFIGURATION_ID}/`;
}

/** The completion-report prefix of the jobs over one primary bucket (no trailing slash). */
export function jobReportsPrefix(sourceBucket: string): string {
  return `${JOB_REPORTS_PREFIX}/${sourceBucket}`;
}
