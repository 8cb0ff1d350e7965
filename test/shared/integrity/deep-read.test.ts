/**
 * Deep verification's choice of read and its verdict, over bytes in memory. The same code over
 * S3 (moto) is in test/shared/validator/validate-object.moto.test.ts.
 */
import { describe, expect, it } from "vitest";
import { planDeepRead, runDeepRead } from "../../../shared/integrity/deep-read.ts";
import { digestChunks } from "../../../shared/integrity/digests.ts";
import type { RangeReader } from "../../../shared/integrity/parallel-read.ts";
import type { ObjectState } from "../../../shared/s3/object-state.ts";
import { MiB, randomBytes, referenceMultipartEtag } from "../../helpers/digests.ts";

const bytes = randomBytes(3 * MiB + 17, 31);
const LAYOUT = [MiB, MiB, MiB + 17];

function state(overrides: Partial<ObjectState> = {}): ObjectState {
  return { bucket: "b", key: "k", size: bytes.length, checksums: {}, ...overrides };
}

function memory(content: Uint8Array): RangeReader {
  return async (start, endInclusive) => content.slice(start, endInclusive + 1);
}

function changedAt(position: number): Uint8Array {
  const copy = bytes.slice();
  copy[position] = (copy[position] ?? 0) ^ 0x80;
  return copy;
}

async function fullObject(algorithm: "CRC64NVME" | "SHA256" | "CRC32", content = bytes) {
  const [result] = await digestChunks([content], [{ kind: "full-object-checksum", algorithm }]);
  return result?.value ?? "";
}

const options = { chunkSize: 256 * 1024, concurrency: 4 };

describe("planDeepRead", () => {
  it("reproduces the replica's full-object checksum from the primary's bytes by default", async () => {
    // Prepare
    const replica = state({ checksums: { CRC64NVME: "rosUhgp5mIg=" }, etag: '"x-3"' });

    // Act
    const plan = planDeepRead(state(), replica, "primary");

    // Assess
    expect(plan).toEqual({
      kind: "reproduce",
      read: "primary",
      target: { kind: "full-object-checksum", algorithm: "CRC64NVME" },
      recorded: "rosUhgp5mIg=",
    });
  });

  it("reproduces the primary's value from the replica's bytes when asked to read the replica", () => {
    // Prepare
    const primary = state({ checksums: { SHA256: "c2hh" }, checksumType: "FULL_OBJECT" });

    // Act
    const plan = planDeepRead(primary, state(), "replica");

    // Assess
    expect(plan).toMatchObject({ kind: "reproduce", read: "replica", recorded: "c2hh" });
  });

  it("prefers a value that needs no part layout over a stronger one that does", () => {
    // Prepare: a composite SHA-256 needs the layout; the single-part ETag does not.
    const replica = state({
      etag: `"${"a".repeat(32)}"`,
      checksums: { SHA256: "c2hh-3" },
    });

    // Act
    const plan = planDeepRead(state(), replica, "primary");

    // Assess
    expect(plan).toMatchObject({ kind: "reproduce", target: { kind: "single-part-etag" } });
  });

  it("picks the value cheapest to reproduce: a large object's ETag over its CRC64NVME, not a small one's", () => {
    // Prepare: both record a full-object CRC64NVME (~300 MB/s to compute) and a multipart ETag
    // (MD5 per part, ~770 MB/s, but the part layout must be read first).
    const recorded = (size: number, parts: number) =>
      state({
        size,
        etag: `"${"c".repeat(32)}-${parts}"`,
        checksums: { CRC64NVME: "AAAAAAAAAAA=" },
      });

    // Act
    const large = planDeepRead(state(), recorded(1024 * MiB, 128), "primary");
    const small = planDeepRead(state(), recorded(8 * MiB, 2), "primary");

    // Assess
    expect(large).toEqual({ kind: "needs-part-layout", side: "replica" });
    expect(small).toMatchObject({
      target: { kind: "full-object-checksum", algorithm: "CRC64NVME" },
    });
  });

  it("asks for the replica's part layout to reproduce its multipart ETag, then uses it", () => {
    // Prepare
    const etag = `"${"a".repeat(32)}-3"`;

    // Act
    const before = planDeepRead(state(), state({ etag }), "primary");
    const after = planDeepRead(state(), state({ etag, partSizes: LAYOUT }), "primary");
    const notEstablished = planDeepRead(state(), state({ etag }), "primary", {
      partLayoutsRead: true,
    });

    // Assess
    expect(before).toEqual({ kind: "needs-part-layout", side: "replica" });
    expect(after).toMatchObject({ target: { kind: "multipart-etag", partSizes: LAYOUT } });
    expect(notEstablished).toEqual({
      kind: "compare-bytes",
      because: "the replica's part layout could not be established",
    });
  });

  it("reads both sides when the other side records nothing bytes can reproduce (SSE-KMS, no checksum)", () => {
    // Prepare
    const kms = state({ serverSideEncryption: "aws:kms", etag: `"${"b".repeat(32)}"` });

    // Act
    const plan = planDeepRead(state(), kms, "primary");

    // Assess
    expect(plan).toEqual({
      kind: "compare-bytes",
      because: "the replica records no checksum or ETag that can be computed from bytes",
    });
  });
});

describe("runDeepRead", () => {
  const readers = (primary: Uint8Array, replica: Uint8Array) => ({
    primary: memory(primary),
    replica: memory(replica),
  });

  it("MATCH evidence when the replica's record is reproduced from the primary's bytes", async () => {
    // Prepare
    const recorded = await fullObject("CRC64NVME");
    const plan = planDeepRead(state(), state({ checksums: { CRC64NVME: recorded } }), "primary");
    if (plan.kind === "needs-part-layout") throw new Error("unexpected plan");

    // Act
    const outcome = await runDeepRead(plan, bytes.length, readers(bytes, bytes), options);

    // Assess
    expect(outcome).toEqual({
      read: "primary",
      bytesRead: bytes.length,
      peakBytesHeld: 4 * 256 * 1024,
      evidence: {
        kind: "full-object-checksum",
        algorithm: "CRC64NVME",
        primary: recorded,
        replica: recorded,
        agrees: true,
        computedFrom: "primary",
      },
    });
  });

  it.each([
    ["first", 0],
    ["middle", Math.floor(bytes.length / 2)],
    ["last", bytes.length - 1],
  ])("finds a changed %s byte whatever the read", async (_where, position) => {
    // Prepare: the replica's multipart ETag was recorded over changed bytes.
    const changed = changedAt(position);
    const etag = await referenceMultipartEtag(changed, LAYOUT);
    const replica = state({ etag: `"${etag}"`, partSizes: LAYOUT });
    const reproduce = planDeepRead(state(), replica, "primary");
    const bothSides = planDeepRead(state(), state({ serverSideEncryption: "aws:kms" }), "primary");
    if (reproduce.kind === "needs-part-layout" || bothSides.kind === "needs-part-layout") {
      throw new Error("unexpected plan");
    }

    // Act
    const reproduced = await runDeepRead(reproduce, bytes.length, readers(bytes, changed), options);
    const compared = await runDeepRead(bothSides, bytes.length, readers(bytes, changed), options);

    // Assess
    expect(reproduced.evidence).toMatchObject({ kind: "etag", parts: 3, agrees: false });
    expect(reproduced.evidence?.replica).toBe(etag);
    expect(compared).toMatchObject({
      read: "both",
      bytesRead: 2 * bytes.length,
      evidence: { algorithm: "SHA256", computedFrom: "both", agrees: false },
    });
    expect(compared.evidence?.primary).toBe(await fullObject("SHA256"));
    expect(compared.evidence?.replica).toBe(await fullObject("SHA256", changed));
  });

  it("compares a composite checksum recorded without its -N on the digest", async () => {
    // Prepare
    const [composite] = await digestChunks(
      [bytes],
      [{ kind: "composite-checksum", algorithm: "CRC32", partSizes: LAYOUT }],
    );
    const recorded = (composite?.value ?? "").replace(/-3$/, "");
    const replica = state({
      etag: '"x"',
      checksums: { CRC32: recorded },
      checksumType: "COMPOSITE",
      partSizes: LAYOUT,
    });
    const plan = planDeepRead(state(), replica, "primary");
    if (plan.kind === "needs-part-layout") throw new Error("unexpected plan");

    // Act
    const outcome = await runDeepRead(plan, bytes.length, readers(bytes, bytes), options);

    // Assess
    expect(outcome.evidence).toMatchObject({ kind: "composite-checksum", parts: 3, agrees: true });
  });

  it("gives no evidence when the deadline stops the read, and says how far it got", async () => {
    // Prepare
    const plan = planDeepRead(state(), state({ serverSideEncryption: "aws:kms" }), "primary");
    if (plan.kind === "needs-part-layout") throw new Error("unexpected plan");

    // Act
    const outcome = await runDeepRead(plan, bytes.length, readers(bytes, bytes), {
      ...options,
      deadline: Date.now() - 1,
    });

    // Assess
    expect(outcome).toEqual({
      read: "both",
      bytesRead: 0,
      peakBytesHeld: 0,
      stoppedBy: "deadline",
    });
  });

  it("reports progress over both sides' bytes", async () => {
    // Prepare
    const plan = planDeepRead(state(), state({ serverSideEncryption: "aws:kms" }), "primary");
    if (plan.kind === "needs-part-layout") throw new Error("unexpected plan");
    const seen: [number, number][] = [];

    // Act
    await runDeepRead(plan, bytes.length, readers(bytes, bytes), {
      ...options,
      onProgress: (read, total) => seen.push([read, total]),
    });

    // Assess
    expect(seen.at(-1)).toEqual([2 * bytes.length, 2 * bytes.length]);
  });
});
