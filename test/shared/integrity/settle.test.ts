/**
 * How settling spends requests and time, with an in-memory ObjectReader standing in for S3: the
 * requests it makes (none beyond the HEADs when the records decide) and how it stops when part
 * HEADs or reads run past the deadline or the caller gives up, which an emulator cannot be made
 * to do on cue. Verdicts over real S3 answers are in test/shared/validator/*.moto.test.ts.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { deepVerificationSettings, settleComparison } from "../../../shared/integrity/settle.ts";
import type { ObjectReader, ObjectState } from "../../../shared/s3/object-state.ts";
import { MiB, randomBytes } from "../../helpers/digests.ts";

const bytes = randomBytes(2 * MiB, 41);
const settings = deepVerificationSettings({ maxBytes: 64 * MiB, read: "primary", concurrency: 2 });

/** An object uploaded in two parts, described by its multipart ETag only. */
function multipart(digest: string): ObjectState {
  return {
    bucket: "b",
    key: "k",
    size: bytes.length,
    etag: `"${digest.repeat(32)}-2"`,
    checksums: {},
  };
}

/** Serves `bytes`; part HEADs and reads wait `delayMs` first, abortably. */
function memoryReader(delayMs = 0): ObjectReader & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    async head() {
      throw new Error("not used");
    },
    async partSizes(_object, limits) {
      calls.push("partSizes");
      await sleep(delayMs, undefined, { signal: limits.signal });
      return [MiB, MiB];
    },
    async readRange(_object, start, endInclusive, signal) {
      calls.push("readRange");
      await sleep(delayMs, undefined, { signal });
      return bytes.slice(start, endInclusive + 1);
    },
  };
}

describe("settleComparison", () => {
  it("asks S3 nothing more when the recorded values decide", async () => {
    // Prepare
    const reader = memoryReader();

    // Act
    const settled = await settleComparison(
      { primary: { state: multipart("a"), reader }, replica: { state: multipart("a"), reader } },
      settings,
    );

    // Assess
    expect(settled.comparison.verdict).toBe("MATCH");
    expect(settled.deepVerification).toBeUndefined();
    expect(reader.calls).toEqual([]);
  });

  it("stops when the part HEADs run past the deadline, so the check can be handed off", async () => {
    // Prepare: differing multipart ETags of one part count need both layouts first.
    const reader = memoryReader(5_000);
    const startedAt = Date.now();

    // Act
    const settled = await settleComparison(
      { primary: { state: multipart("a"), reader }, replica: { state: multipart("b"), reader } },
      settings,
      { deadline: Date.now() + 50 },
    );

    // Assess
    expect(Date.now() - startedAt).toBeLessThan(2_000);
    expect(settled.comparison.verdict).toBe("UNVERIFIABLE");
    expect(settled.deepVerification).toMatchObject({
      outcome: "stopped",
      stoppedBy: "deadline",
      bytesRead: 0,
    });
    expect(reader.calls).toEqual(["partSizes", "partSizes"]);
  });

  it("says deep verification is off and reads no byte", async () => {
    // Prepare
    const reader = memoryReader();
    const off = deepVerificationSettings({ maxBytes: 0, read: "primary", concurrency: 2 });
    const kms = { serverSideEncryption: "aws:kms" };

    // Act
    const settled = await settleComparison(
      {
        primary: { state: { ...multipart("a"), ...kms }, reader },
        replica: { state: { ...multipart("b"), ...kms }, reader },
      },
      off,
    );

    // Assess
    expect(settled.comparison.verdict).toBe("UNVERIFIABLE");
    expect(settled.deepVerification).toEqual({
      outcome: "off",
      read: "both",
      bytesRead: 0,
      bytesToRead: 2 * bytes.length,
      seconds: 0,
    });
    expect(reader.calls).toEqual([]);
  });

  it("stops a read when the caller gives up (Ctrl-C in verify), saying so", async () => {
    // Prepare
    const reader = memoryReader(200);
    const kms = { serverSideEncryption: "aws:kms" };
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);

    // Act
    const settled = await settleComparison(
      {
        primary: { state: { ...multipart("a"), ...kms }, reader },
        replica: { state: { ...multipart("b"), ...kms }, reader },
      },
      settings,
      { signal: controller.signal },
    );

    // Assess
    expect(settled.deepVerification).toMatchObject({ outcome: "stopped", stoppedBy: "signal" });
    expect(settled.comparison.verdict).toBe("UNVERIFIABLE");
  });
});
