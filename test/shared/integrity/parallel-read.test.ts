import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import {
  createDigestCalculator,
  type DigestTarget,
  digestChunks,
} from "../../../shared/integrity/digests.ts";
import {
  createRangeSlots,
  digestObject,
  type RangeReader,
  rangeAt,
  rangeCount,
  readInOrder,
} from "../../../shared/integrity/parallel-read.ts";
import { MiB, randomBytes } from "../../helpers/digests.ts";

/** Every range of an object, in order. */
function planRanges(size: number, chunkSize: number) {
  return Array.from({ length: rangeCount(size, chunkSize) }, (_, index) =>
    rangeAt(index, size, chunkSize),
  );
}

/** A reader over bytes in memory that records what it was asked and how it was stopped. */
function memoryReader(bytes: Uint8Array, delayOf: (index: number) => number = () => 0) {
  const calls: { start: number; endInclusive: number; signal: AbortSignal }[] = [];
  const completed: number[] = [];
  let running = 0;
  let maxRunning = 0;
  const readRange: RangeReader = async (start, endInclusive, signal) => {
    const index = calls.length;
    calls.push({ start, endInclusive, signal });
    running += 1;
    maxRunning = Math.max(maxRunning, running);
    try {
      await sleep(delayOf(index), undefined, { signal });
      completed.push(start);
      return bytes.slice(start, endInclusive + 1);
    } finally {
      running -= 1;
    }
  };
  return {
    readRange,
    calls,
    completed,
    get maxRunning() {
      return maxRunning;
    },
  };
}

const targets: DigestTarget[] = [
  { kind: "multipart-etag", partSizes: [300_000, 300_000, 100_123] },
  { kind: "full-object-checksum", algorithm: "CRC64NVME" },
  { kind: "composite-checksum", algorithm: "SHA256", partSizes: [300_000, 400_123] },
];

describe("rangeAt and rangeCount", () => {
  it("covers the object with inclusive ranges", () => {
    expect(planRanges(10, 4)).toEqual([
      { start: 0, endInclusive: 3 },
      { start: 4, endInclusive: 7 },
      { start: 8, endInclusive: 9 },
    ]);
    expect(planRanges(8, 4)).toHaveLength(2);
    // An empty object needs no read (a ranged GET of it would answer 416).
    expect(planRanges(0, 4)).toEqual([]);
  });

  it("refuses nonsense", () => {
    expect(() => planRanges(-1, 4)).toThrow(RangeError);
    expect(() => planRanges(10, 0)).toThrow(RangeError);
  });
});

describe("readInOrder", () => {
  it("hands ranges over strictly in order even when they complete out of order", async () => {
    // Prepare
    const bytes = randomBytes(700_123, 11);
    // Deterministic, scrambled delays: later ranges often finish before earlier ones.
    const reader = memoryReader(bytes, (index) => (index * 7) % 5);
    const seen: number[] = [];
    let offset = 0;

    // Act
    const outcome = await readInOrder({
      size: bytes.length,
      chunkSize: 32 * 1024,
      concurrency: 6,
      readRange: reader.readRange,
      consume: (chunk) => {
        seen.push(offset);
        expect(chunk).toEqual(bytes.subarray(offset, offset + chunk.length));
        offset += chunk.length;
      },
    });

    // Assess
    expect(outcome).toMatchObject({ finished: true, bytesRead: bytes.length });
    expect(seen).toEqual(planRanges(bytes.length, 32 * 1024).map((range) => range.start));
    // The scenario really was out of order, and really was concurrent.
    expect(reader.completed).not.toEqual([...reader.completed].sort((a, b) => a - b));
    expect(reader.maxRunning).toBe(6);
  });

  it("reproduces the same digests as a sequential pass", async () => {
    // Prepare
    const bytes = randomBytes(700_123, 12);
    const reader = memoryReader(bytes, (index) => (index * 13) % 4);

    // Act
    const outcome = await digestObject({
      size: bytes.length,
      chunkSize: 50_000,
      concurrency: 4,
      readRange: reader.readRange,
      targets,
    });

    // Assess
    expect(outcome.finished).toBe(true);
    expect(outcome.results).toEqual(await digestChunks([bytes], targets));
  });

  it("reads nothing for an empty object and still gives its digests", async () => {
    // Prepare
    const reader = memoryReader(new Uint8Array(0));

    // Act
    const outcome = await digestObject({
      size: 0,
      chunkSize: MiB,
      concurrency: 4,
      readRange: reader.readRange,
      targets: [
        { kind: "single-part-etag" },
        { kind: "full-object-checksum", algorithm: "CRC64NVME" },
      ],
    });

    // Assess
    expect(reader.calls).toHaveLength(0);
    expect(outcome.results?.map((result) => result.value)).toEqual([
      "d41d8cd98f00b204e9800998ecf8427e",
      "AAAAAAAAAAA=",
    ]);
  });

  it("keeps memory within concurrency × chunkSize for a 256 MiB object", {
    timeout: 120_000,
  }, async () => {
    // Prepare
    const size = 256 * MiB;
    const chunkSize = MiB;
    const concurrency = 8;
    // Content made on the fly from a 1 MiB + 7 block, so no 256 MiB buffer ever exists.
    const block = randomBytes(MiB + 7, 13);
    const contentAt = (start: number, length: number) => {
      const out = new Uint8Array(length);
      for (let written = 0; written < length; ) {
        const from = (start + written) % block.length;
        const piece = block.subarray(from, Math.min(block.length, from + length - written));
        out.set(piece, written);
        written += piece.length;
      }
      return out;
    };
    let held = 0;
    let maxHeld = 0;
    let running = 0;
    let maxRunning = 0;
    const calculator = createDigestCalculator([
      { kind: "multipart-etag", partSizes: Array(32).fill(8 * MiB) },
      { kind: "full-object-checksum", algorithm: "CRC32" },
    ]);

    // Act
    const outcome = await readInOrder({
      size,
      chunkSize,
      concurrency,
      readRange: async (start, endInclusive) => {
        const length = endInclusive - start + 1;
        held += length; // memory for this range is taken from the moment it is asked for
        maxHeld = Math.max(maxHeld, held);
        running += 1;
        maxRunning = Math.max(maxRunning, running);
        // Random completion order, like parallel network reads.
        await sleep(Math.floor(Math.random() * 3));
        running -= 1;
        return contentAt(start, length);
      },
      consume: async (chunk) => {
        await calculator.update(chunk);
        held -= chunk.length; // and given back once the digest has taken it
      },
    });

    // Assess
    expect(outcome).toMatchObject({ finished: true, bytesRead: size });
    expect(maxHeld).toBeLessThanOrEqual(concurrency * chunkSize);
    expect(outcome.peakBytesHeld).toBeLessThanOrEqual(concurrency * chunkSize);
    expect(maxRunning).toBeLessThanOrEqual(concurrency);
    const results = await calculator.finish();

    // The same bytes read sequentially give the same digests.
    const sequential = function* () {
      for (const range of planRanges(size, 4 * MiB)) {
        yield contentAt(range.start, range.endInclusive - range.start + 1);
      }
    };
    expect(results).toEqual(
      await digestChunks(
        sequential(),
        results.map((result) => result.target),
      ),
    );
  });

  it("stops at the deadline, says so, and aborts the reads in flight", async () => {
    // Prepare
    const bytes = randomBytes(100 * 1024, 14);
    const reader = memoryReader(bytes, () => 40);
    const startedAt = Date.now();

    // Act
    const outcome = await readInOrder({
      size: bytes.length,
      chunkSize: 10 * 1024,
      concurrency: 2,
      readRange: reader.readRange,
      consume: () => undefined,
      deadline: Date.now() + 100,
    });

    // Assess
    expect(outcome.finished).toBe(false);
    expect(outcome.stoppedBy).toBe("deadline");
    expect(outcome.bytesRead).toBeGreaterThan(0);
    expect(outcome.bytesRead).toBeLessThan(bytes.length);
    expect(Date.now() - startedAt).toBeLessThan(1000);
    expect(reader.calls.every((call) => call.signal.aborted)).toBe(true);
  });

  it("stops when the caller's signal aborts, and never starts when already aborted", async () => {
    // Prepare
    const bytes = randomBytes(100 * 1024, 15);
    const controller = new AbortController();
    const reader = memoryReader(bytes, () => 5);
    const idle = memoryReader(bytes);

    // Act
    const outcome = await digestObject({
      size: bytes.length,
      chunkSize: 10 * 1024,
      concurrency: 3,
      readRange: async (start, end, signal) => {
        if (start >= 30 * 1024) controller.abort();
        return reader.readRange(start, end, signal);
      },
      signal: controller.signal,
      targets,
    });
    const never = await readInOrder({
      size: bytes.length,
      chunkSize: 10 * 1024,
      concurrency: 3,
      readRange: idle.readRange,
      consume: () => undefined,
      signal: AbortSignal.abort(),
    });

    // Assess
    expect(outcome).toMatchObject({ finished: false, stoppedBy: "signal" });
    // A partial read proves nothing, so no digest is given.
    expect(outcome.results).toBeUndefined();
    expect(never).toMatchObject({ finished: false, stoppedBy: "signal", bytesRead: 0 });
    expect(idle.calls).toHaveLength(0);
  });

  it("propagates a reader error at once and aborts the other reads", async () => {
    // Prepare
    const bytes = randomBytes(100 * 1024, 16);
    const failure = new Error("503 SlowDown");
    const signals: AbortSignal[] = [];
    const startedAt = Date.now();

    // Act
    const reading = readInOrder({
      size: bytes.length,
      chunkSize: 10 * 1024,
      concurrency: 4,
      readRange: async (start, end, signal) => {
        signals.push(signal);
        // Range 0 is slow; range 2 fails first: the error must not wait for range 0.
        if (start === 20 * 1024) throw failure;
        await sleep(start === 0 ? 5_000 : 1, undefined, { signal });
        return bytes.slice(start, end + 1);
      },
      consume: () => undefined,
    });

    // Assess
    await expect(reading).rejects.toBe(failure);
    expect(Date.now() - startedAt).toBeLessThan(1000);
    expect(signals.every((signal) => signal.aborted)).toBe(true);
  });

  it("propagates a consumer error", async () => {
    // Prepare
    const bytes = randomBytes(50_000, 17);
    const reader = memoryReader(bytes);

    // Act
    // A layout that does not fit the object is the consumer failing.
    const reading = digestObject({
      size: bytes.length,
      chunkSize: 8 * 1024,
      concurrency: 3,
      readRange: reader.readRange,
      targets: [{ kind: "multipart-etag", partSizes: [10_000, 10_000] }],
    });

    // Assess
    await expect(reading).rejects.toThrow(/more bytes than/);
  });

  it("refuses a range answered with the wrong number of bytes", async () => {
    // Act
    const reading = readInOrder({
      size: 100,
      chunkSize: 40,
      concurrency: 2,
      readRange: async (start, end) => new Uint8Array(start === 40 ? 39 : end - start + 1),
      consume: () => undefined,
    });

    // Assess
    await expect(reading).rejects.toThrow("range 40-79 returned 39 bytes, expected 40");
  });
});

describe("shared range slots", () => {
  it("bound the ranges in flight of every read together, and each read still finishes", async () => {
    // Prepare
    const slots = createRangeSlots(3);
    const first = randomBytes(300_000, 21);
    const second = randomBytes(250_000, 22);
    let running = 0;
    let maxRunning = 0;
    const counted =
      (bytes: Uint8Array): RangeReader =>
      async (start, endInclusive, signal) => {
        running += 1;
        maxRunning = Math.max(maxRunning, running);
        try {
          await sleep(2, undefined, { signal });
          return bytes.slice(start, endInclusive + 1);
        } finally {
          running -= 1;
        }
      };
    const read = (bytes: Uint8Array) =>
      digestObject({
        size: bytes.length,
        chunkSize: 10_000,
        concurrency: 3,
        readRange: counted(bytes),
        slots,
        targets: [{ kind: "single-part-etag" }],
      });

    // Act
    const [a, b] = await Promise.all([read(first), read(second)]);

    // Assess
    expect(maxRunning).toBe(3);
    expect(a.results).toEqual(await digestChunks([first], [{ kind: "single-part-etag" }]));
    expect(b.results).toEqual(await digestChunks([second], [{ kind: "single-part-etag" }]));
    const all = [slots.tryAcquire(), slots.tryAcquire(), slots.tryAcquire(), slots.tryAcquire()];
    expect(all).toEqual([true, true, true, false]);
  });

  it("let a read that waits for a slot stop at its deadline, and give every slot back", async () => {
    // Prepare
    const slots = createRangeSlots(1);
    const bytes = randomBytes(50_000, 23);
    const slow = readInOrder({
      size: bytes.length,
      chunkSize: 10_000,
      concurrency: 2,
      readRange: async (start, endInclusive, signal) => {
        await sleep(40, undefined, { signal });
        return bytes.slice(start, endInclusive + 1);
      },
      consume: () => undefined,
      slots,
    });

    // Act
    const starved = await readInOrder({
      size: bytes.length,
      chunkSize: 10_000,
      concurrency: 2,
      readRange: async (start, endInclusive) => bytes.slice(start, endInclusive + 1),
      consume: () => undefined,
      slots,
      deadline: Date.now() + 30,
    });

    // Assess
    expect(starved).toMatchObject({ finished: false, stoppedBy: "deadline", bytesRead: 0 });
    expect(await slow).toMatchObject({ finished: true, bytesRead: bytes.length });
    expect([slots.tryAcquire(), slots.tryAcquire()]).toEqual([true, false]);
  });

  it("refuses a pool without slots", () => {
    expect(() => createRangeSlots(0)).toThrow(RangeError);
  });
});
