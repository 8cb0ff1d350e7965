/**
 * Finding a bucket's newest complete inventory, over HTTP against the in-process emulator, with
 * runs laid out as S3 delivers them (test/helpers/inventory.ts).
 */
import { HeadObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  newestInventory,
  runStart,
  s3InventoryLister,
} from "../../../../shared/audit/batch/inventory.ts";
import { type Emulator, startEmulator } from "../../../helpers/emulator.ts";
import { putInventoryRun } from "../../../helpers/inventory.ts";

const INVENTORY = "bv-test-inventory";
const DOCUMENTS = "bv-test-documents-primary";
const MEDIA = "bv-test-media-primary";
let emulator: Emulator;

beforeAll(async () => {
  emulator = await startEmulator();
  await emulator.createBuckets(INVENTORY);
});

afterAll(async () => {
  await emulator.stop();
});

describe("newestInventory", () => {
  it("takes the newest run whose manifest.checksum exists, with manifest.json's ETag unquoted", async () => {
    // Prepare: three complete runs, and a newer one S3 is still writing (no checksum yet)
    for (const run of ["2026-11-26T03-00Z", "2026-11-28T03-00Z", "2026-11-27T03-00Z"]) {
      await putInventoryRun(emulator.s3, {
        inventoryBucket: INVENTORY,
        sourceBucket: DOCUMENTS,
        run,
      });
    }
    await putInventoryRun(emulator.s3, {
      inventoryBucket: INVENTORY,
      sourceBucket: DOCUMENTS,
      run: "2026-11-29T03-00Z",
      complete: false,
    });
    // Another bucket's newer inventory in the same inventory bucket
    await putInventoryRun(emulator.s3, {
      inventoryBucket: INVENTORY,
      sourceBucket: MEDIA,
      run: "2026-11-30T03-00Z",
    });
    const manifestKey = `inventory/${DOCUMENTS}/audit/2026-11-28T03-00Z/manifest.json`;
    const { ETag } = await emulator.s3.send(
      new HeadObjectCommand({ Bucket: INVENTORY, Key: manifestKey }),
    );

    // Act: pages of 2, so the folders and the objects take several
    const found = await newestInventory(s3InventoryLister(emulator.s3, 2), INVENTORY, DOCUMENTS);

    // Assess
    expect(found).toEqual({
      manifestKey,
      manifestEtag: ETag?.replaceAll('"', ""),
      run: "2026-11-28T03-00Z",
      startedAt: new Date("2026-11-28T03:00:00Z"),
    });
    expect(found?.manifestEtag).toMatch(/^[0-9a-f]{32}$/);
  });

  it("finds nothing for a bucket with no complete inventory yet", async () => {
    // Prepare
    const fresh = "bv-test-fresh-primary";
    await putInventoryRun(emulator.s3, {
      inventoryBucket: INVENTORY,
      sourceBucket: fresh,
      run: "2026-11-29T03-00Z",
      complete: false,
    });

    // Act
    const lister = s3InventoryLister(emulator.s3);
    const [incomplete, none] = await Promise.all([
      newestInventory(lister, INVENTORY, fresh),
      newestInventory(lister, INVENTORY, "bv-test-never-primary"),
    ]);

    // Assess
    expect(incomplete).toBeUndefined();
    expect(none).toBeUndefined();
  });
});

describe("runStart", () => {
  it.each([
    ["2016-11-06T21-32Z", "2016-11-06T21:32:00.000Z"],
    ["2026-02-28T00-00Z", "2026-02-28T00:00:00.000Z"],
  ])("reads %s as the time the scan began", (run, iso) => {
    expect(runStart(run)?.toISOString()).toBe(iso);
  });

  it.each([
    "data",
    "hive",
    "2026-02-31T03-00Z",
    "2026-11-28T25-00Z",
    "2026-11-28T03:00Z",
    "2026-11-28",
  ])("is no run folder: %s", (folder) => {
    expect(runStart(folder)).toBeUndefined();
  });
});
