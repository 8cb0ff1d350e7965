/**
 * Streaming digest engine: reproduces, from an object's bytes read once in order, the ETag or
 * additional checksum that S3 recorded for an object, for any part layout.
 *
 * Why this exists: when metadata alone cannot decide whether a replica equals its source (other
 * part layout, other checksum algorithm, encrypted ETags), reading the bytes and reproducing the
 * digest the other side carries is the only proof left. One pass can reproduce several digests
 * (say the ETag for one layout and a full-object CRC64NVME), so one read proves several things.
 *
 * Memory: only the chunk being hashed plus one running state per digest is held; part digests are
 * folded into the outer digest as soon as each part ends, never collected.
 *
 * Encoding rules:
 * - ETag, single part: hex MD5 of the content.
 * - ETag, multipart: hex MD5 of the concatenated binary part MD5s, then `-N`; `-1` for one part.
 *   https://docs.aws.amazon.com/AmazonS3/latest/API/API_Object.html (ETag)
 * - Additional checksum, FULL_OBJECT: base64 of the big-endian digest of all bytes.
 * - Additional checksum, COMPOSITE: base64 of the digest of the concatenated binary part
 *   digests, then `-N`.
 *   https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html
 */
import { createHash } from "node:crypto";
import { crc32 } from "node:zlib";
import { Crc32c, Crc64Nvme } from "@aws-sdk/checksums/crc";
import { Xxh3_64, Xxh3_128, Xxh64 } from "@aws-sdk/checksums/xxh";
import { CHECKSUM_ALGORITHMS, type ChecksumAlgorithm } from "../s3/object-state.ts";

/** S3 allows at most 10,000 parts per multipart upload. */
export const MAX_PARTS = 10_000;

/** Which recorded digest to reproduce. Part sizes are in bytes, in part-number order. */
export type DigestTarget =
  | { readonly kind: "single-part-etag" }
  | { readonly kind: "multipart-etag"; readonly partSizes: readonly number[] }
  | { readonly kind: "full-object-checksum"; readonly algorithm: ChecksumAlgorithm }
  | {
      readonly kind: "composite-checksum";
      readonly algorithm: ChecksumAlgorithm;
      readonly partSizes: readonly number[];
    };

export interface DigestResult {
  readonly target: DigestTarget;
  /** As S3 shows it: ETags as lower-case hex without quotes, checksums as base64 (`-N` for parts). */
  readonly value: string;
}

/**
 * Feed the object's bytes in order with `update` (awaiting each call), then call `finish` once.
 * Chunks may be of any size; part boundaries may fall anywhere inside them.
 */
export interface DigestCalculator {
  update(chunk: Uint8Array): Promise<void>;
  /** Results in the order of the targets given. Throws if the bytes do not fill every layout. */
  finish(): Promise<DigestResult[]>;
  readonly bytesSeen: number;
}

/** The minimal incremental-hash shape shared by node:crypto, node:zlib and the SDK's checksums. */
interface Hasher {
  update(bytes: Uint8Array): void;
  digest(): Uint8Array | Promise<Uint8Array>;
}

/**
 * Hashers by algorithm, all incremental. MD5 and the SHAs come from node:crypto (OpenSSL), CRC32
 * from node:zlib; CRC32C, CRC64NVME and the xxHash family from the AWS SDK's own implementations,
 * the very ones its flexible-checksums middleware uses, so our bytes-to-digest rules cannot drift
 * from the SDK's. The xxHash classes are marked internal in that package: it is pinned exactly in
 * package.json, and the known-vector tests catch a change of behaviour on upgrade.
 */
const HASHERS: Record<ChecksumAlgorithm, () => Hasher> = {
  CRC32: zlibCrc32,
  CRC32C: () => new Crc32c(),
  CRC64NVME: () => new Crc64Nvme(),
  SHA1: () => nodeHash("sha1"),
  SHA256: () => nodeHash("sha256"),
  SHA512: () => nodeHash("sha512"),
  MD5: () => nodeHash("md5"),
  XXHASH64: () => new Xxh64(),
  XXHASH3: () => new Xxh3_64(),
  XXHASH128: () => new Xxh3_128(),
};

function nodeHash(name: "md5" | "sha1" | "sha256" | "sha512"): Hasher {
  const hash = createHash(name);
  return {
    update: (bytes) => {
      hash.update(bytes);
    },
    digest: () => hash.digest(),
  };
}

/**
 * zlib.crc32 (Node ≥ 22.2) is incremental: its second argument continues a previous value. S3
 * shows CRC32 as the base64 of the 4 big-endian bytes, like the SDK's own Crc32Node.
 */
function zlibCrc32(): Hasher {
  let value = 0;
  return {
    update: (bytes) => {
      value = crc32(bytes, value);
    },
    digest: () => {
      const out = new Uint8Array(4);
      new DataView(out.buffer).setUint32(0, value >>> 0, false);
      return out;
    },
  };
}

/** A running digest over the whole object, or over each part and then over the part digests. */
interface Accumulator {
  update(chunk: Uint8Array): Promise<void> | void;
  /** The outer digest: of all bytes, or of the concatenated part digests. */
  finish(): Promise<Uint8Array>;
}

function wholeObjectAccumulator(algorithm: ChecksumAlgorithm): Accumulator {
  const hasher = HASHERS[algorithm]();
  return {
    update: (chunk) => hasher.update(chunk),
    finish: async () => hasher.digest(),
  };
}

/**
 * Hashes each part on its own and folds each finished part's binary digest into the outer
 * digest at once, so memory does not grow with the part count.
 */
function perPartAccumulator(
  algorithm: ChecksumAlgorithm,
  partSizes: readonly number[],
): Accumulator {
  const outer = HASHERS[algorithm]();
  let part = HASHERS[algorithm]();
  let partIndex = 0;
  let remainingInPart = partSizes[0] ?? 0;
  const layoutBytes = sum(partSizes);
  let bytesSeen = 0;

  // Closes every part that has no bytes left (zero-size parts included).
  async function closeFinishedParts(): Promise<void> {
    while (partIndex < partSizes.length && remainingInPart === 0) {
      outer.update(await part.digest());
      partIndex += 1;
      part = HASHERS[algorithm]();
      remainingInPart = partSizes[partIndex] ?? 0;
    }
  }

  return {
    async update(chunk) {
      let offset = 0;
      while (offset < chunk.length) {
        await closeFinishedParts();
        if (partIndex >= partSizes.length) {
          throw new RangeError(
            `the object has more bytes than its ${partSizes.length}-part layout of ${layoutBytes} bytes`,
          );
        }
        const taken = Math.min(remainingInPart, chunk.length - offset);
        part.update(chunk.subarray(offset, offset + taken));
        offset += taken;
        remainingInPart -= taken;
        bytesSeen += taken;
      }
      await closeFinishedParts();
    },
    async finish() {
      await closeFinishedParts();
      if (partIndex < partSizes.length) {
        throw new RangeError(
          `the object ended after ${bytesSeen} bytes, but its ${partSizes.length}-part layout holds ${layoutBytes}`,
        );
      }
      return outer.digest();
    },
  };
}

/**
 * Creates one calculator for several targets. Targets that need the same running digest (e.g. a
 * single-part ETag and a full-object MD5 checksum, or a multipart ETag and a composite MD5 of the
 * same layout) share it, so each distinct digest is computed once.
 */
export function createDigestCalculator(targets: readonly DigestTarget[]): DigestCalculator {
  if (targets.length === 0) throw new RangeError("no digest target given");
  for (const target of targets) validateTarget(target);

  const accumulators = new Map<string, Accumulator>();
  const accumulatorOfTarget = targets.map((target) => {
    const { algorithm, partSizes } = digestPlan(target);
    const key = `${algorithm}/${partSizes?.join(",") ?? "whole"}`;
    let accumulator = accumulators.get(key);
    if (!accumulator) {
      accumulator = partSizes
        ? perPartAccumulator(algorithm, partSizes)
        : wholeObjectAccumulator(algorithm);
      accumulators.set(key, accumulator);
    }
    return accumulator;
  });

  let bytesSeen = 0;
  let updating = false;
  let finished = false;

  return {
    get bytesSeen() {
      return bytesSeen;
    },
    async update(chunk) {
      // Overlapping calls would interleave bytes out of order and let a caller queue unbounded
      // chunks; the caller must await each call.
      if (updating) throw new Error("update called before the previous update finished");
      if (finished) throw new Error("update called after finish");
      updating = true;
      try {
        for (const accumulator of accumulators.values()) await accumulator.update(chunk);
        bytesSeen += chunk.length;
      } finally {
        updating = false;
      }
    },
    async finish() {
      if (updating) throw new Error("finish called while an update is running");
      if (finished) throw new Error("finish called twice");
      finished = true;
      const digests = new Map<Accumulator, Uint8Array>();
      for (const accumulator of accumulators.values()) {
        digests.set(accumulator, await accumulator.finish());
      }
      return targets.map((target, index) => {
        const accumulator = accumulatorOfTarget[index];
        const digest = accumulator && digests.get(accumulator);
        if (!digest) throw new Error("internal error: digest missing for a target");
        return { target, value: encode(target, digest) };
      });
    },
  };
}

/** Convenience for bytes already in hand, or any in-order stream of chunks. */
export async function digestChunks(
  chunks: Iterable<Uint8Array> | AsyncIterable<Uint8Array>,
  targets: readonly DigestTarget[],
): Promise<DigestResult[]> {
  const calculator = createDigestCalculator(targets);
  for await (const chunk of chunks) await calculator.update(chunk);
  return calculator.finish();
}

/** What a target hashes: its algorithm, and its part layout when hashed part by part. */
function digestPlan(target: DigestTarget): {
  algorithm: ChecksumAlgorithm;
  partSizes?: readonly number[];
} {
  switch (target.kind) {
    case "single-part-etag":
      return { algorithm: "MD5" };
    case "multipart-etag":
      return { algorithm: "MD5", partSizes: target.partSizes };
    case "full-object-checksum":
      return { algorithm: target.algorithm };
    case "composite-checksum":
      return { algorithm: target.algorithm, partSizes: target.partSizes };
  }
}

function encode(target: DigestTarget, digest: Uint8Array): string {
  const bytes = Buffer.from(digest.buffer, digest.byteOffset, digest.byteLength);
  switch (target.kind) {
    case "single-part-etag":
      return bytes.toString("hex");
    case "multipart-etag":
      return `${bytes.toString("hex")}-${target.partSizes.length}`;
    case "full-object-checksum":
      return bytes.toString("base64");
    case "composite-checksum":
      return `${bytes.toString("base64")}-${target.partSizes.length}`;
  }
}

function validateTarget(target: DigestTarget): void {
  if (target.kind === "full-object-checksum" || target.kind === "composite-checksum") {
    if (!CHECKSUM_ALGORITHMS.includes(target.algorithm)) {
      throw new RangeError(`unknown checksum algorithm ${String(target.algorithm)}`);
    }
  }
  if (target.kind === "multipart-etag" || target.kind === "composite-checksum") {
    validatePartSizes(target.partSizes);
  }
}

function validatePartSizes(partSizes: readonly number[]): void {
  if (partSizes.length === 0 || partSizes.length > MAX_PARTS) {
    throw new RangeError(`a part layout has 1 to ${MAX_PARTS} parts, not ${partSizes.length}`);
  }
  for (const size of partSizes) {
    if (!Number.isSafeInteger(size) || size < 0) {
      throw new RangeError(`part sizes are whole numbers of bytes, not ${size}`);
    }
  }
}

function sum(values: readonly number[]): number {
  return values.reduce((total, value) => total + value, 0);
}
