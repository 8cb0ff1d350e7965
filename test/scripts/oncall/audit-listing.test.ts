/**
 * The audit's listings on the in-process emulator: the key order, how the keyspace is cut into
 * ranges (folders listed with Prefix, the keys between them on their own), and the join.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type BucketLocation,
  compareKeys,
  type Gate,
  joinByKey,
  listCurrent,
  splitKeyspace,
} from "../../../scripts/oncall/audit-listing.ts";
import { type Emulator, startEmulator } from "../../helpers/emulator.ts";

let emulator: Emulator;
const gate: Gate = (request) => request();
const PRIMARY = "listing-primary";
const REPLICA = "listing-replica";

beforeAll(async () => {
  emulator = await startEmulator();
  await emulator.createBuckets(PRIMARY, REPLICA);
  for (const key of ["a/1", "a/2", "b/1", "root.txt", "z/9"]) await emulator.put(PRIMARY, key, key);
  for (const key of ["a/1", "b/1", "b/2", "y/only-replica"]) await emulator.put(REPLICA, key, key);
});

afterAll(async () => {
  await emulator.stop();
});

function sides(): BucketLocation[] {
  return [
    { client: emulator.s3, bucket: PRIMARY, prefix: "" },
    { client: emulator.s3, bucket: REPLICA, prefix: "" },
  ];
}

async function keysOf(ranges: Awaited<ReturnType<typeof splitKeyspace>>, side: BucketLocation) {
  const keys: string[] = [];
  for (const range of ranges) {
    for await (const entry of listCurrent(side, range, gate, () => undefined)) keys.push(entry.key);
  }
  return keys;
}

describe("the audit's key ranges", () => {
  it("lists each folder of either side with its prefix, and the keys between folders on their own", async () => {
    // Act
    const ranges = await splitKeyspace(sides(), { wanted: 1, gate });

    // Assess
    expect(ranges).toEqual([
      { prefix: "a/" },
      { prefix: "b/" },
      { prefix: "", after: "b/\u{10FFFF}", before: "y/" },
      { prefix: "y/" },
      { prefix: "z/" },
    ]);
    const [primary, replica] = sides();
    if (!primary || !replica) throw new Error("no sides");
    expect(await keysOf(ranges, primary)).toEqual(["a/1", "a/2", "b/1", "root.txt", "z/9"]);
    expect(await keysOf(ranges, replica)).toEqual(["a/1", "b/1", "b/2", "y/only-replica"]);
  });

  it("starts after --start-after: ranges before it left out, the one it cuts cut", async () => {
    const ranges = await splitKeyspace(sides(), { wanted: 1, gate, startAfter: "b/1" });

    expect(ranges).toEqual([
      { prefix: "b/", after: "b/1" },
      { prefix: "", after: "b/\u{10FFFF}", before: "y/" },
      { prefix: "y/" },
      { prefix: "z/" },
    ]);
  });

  it("joins both sides' listings by key", async () => {
    // Prepare
    const [primary, replica] = sides();
    if (!primary || !replica) throw new Error("no sides");
    const all = { prefix: "" };

    // Act
    const joined: string[] = [];
    for await (const entry of joinByKey(
      listCurrent(primary, all, gate, () => undefined),
      listCurrent(replica, all, gate, () => undefined),
    )) {
      joined.push(`${entry.key}:${entry.primary ? "P" : "-"}${entry.replica ? "R" : "-"}`);
    }

    // Assess
    expect(joined).toEqual([
      "a/1:PR",
      "a/2:P-",
      "b/1:PR",
      "b/2:-R",
      "root.txt:P-",
      "y/only-replica:-R",
      "z/9:P-",
    ]);
  });
});

describe("the key order", () => {
  it("orders keys as S3 does: by UTF-8 bytes, not by UTF-16 code units", () => {
    // U+FF5E (3 UTF-8 bytes, EF BD 9E) sorts before U+1F600 (4 bytes, F0 9F 98 80), although
    // its UTF-16 code unit (0xFF5E) is above the surrogate 0xD83D.
    const keys = ["b", "a/2", "\u{1F600}", "\uFF5E", "a/1", "A", "a0"];

    const sorted = keys.toSorted(compareKeys);

    expect(sorted).toEqual(["A", "a/1", "a/2", "a0", "b", "\uFF5E", "\u{1F600}"]);
    expect(sorted).toEqual(keys.toSorted((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y))));
  });
});
