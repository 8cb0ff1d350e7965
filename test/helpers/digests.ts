/** Reference digests and test bytes for the digest engine (shared/integrity/digests.ts). */
import { createHash } from "node:crypto";
import { crc32 } from "node:zlib";
import { Crc32c, Crc64Nvme } from "@aws-sdk/checksums/crc";
import { Xxh3_64, Xxh3_128, Xxh64 } from "@aws-sdk/checksums/xxh";
import type { ChecksumAlgorithm } from "../../shared/s3/object-state.ts";

export const MiB = 1024 * 1024;

/** Deterministic pseudo-random bytes (xorshift32), so failures reproduce. */
export function randomBytes(length: number, seed = 0x9e3779b9): Uint8Array {
  const out = new Uint8Array(length);
  let state = seed >>> 0 || 1;
  for (let i = 0; i < length; i += 1) {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    out[i] = state & 0xff;
  }
  return out;
}

/** Splits bytes into chunks of the given sizes, repeating the last size. */
export function* chunked(bytes: Uint8Array, sizes: readonly number[]): Generator<Uint8Array> {
  let offset = 0;
  let index = 0;
  while (offset < bytes.length) {
    const size = sizes[Math.min(index, sizes.length - 1)] ?? bytes.length;
    yield bytes.subarray(offset, offset + size);
    offset += size;
    index += 1;
  }
}

/**
 * One-shot reference digest of whole buffers, with no streaming or boundary logic, so the
 * engine's part-splitting is checked against an independent computation.
 */
export async function oneShot(algorithm: ChecksumAlgorithm, bytes: Uint8Array): Promise<Buffer> {
  switch (algorithm) {
    case "MD5":
    case "SHA1":
    case "SHA256":
    case "SHA512":
      return createHash(algorithm.toLowerCase()).update(bytes).digest();
    case "CRC32": {
      const out = Buffer.alloc(4);
      out.writeUInt32BE(crc32(bytes) >>> 0);
      return out;
    }
    default: {
      const hasher = {
        CRC32C: () => new Crc32c(),
        CRC64NVME: () => new Crc64Nvme(),
        XXHASH64: () => new Xxh64(),
        XXHASH3: () => new Xxh3_64(),
        XXHASH128: () => new Xxh3_128(),
      }[algorithm]();
      hasher.update(bytes);
      return Buffer.from(await hasher.digest());
    }
  }
}

function slices(bytes: Uint8Array, partSizes: readonly number[]): Uint8Array[] {
  const parts: Uint8Array[] = [];
  let offset = 0;
  for (const size of partSizes) {
    parts.push(bytes.subarray(offset, offset + size));
    offset += size;
  }
  if (offset !== bytes.length) throw new Error("layout does not cover the bytes");
  return parts;
}

/** Reference multipart ETag: slice, MD5 each slice, MD5 the concatenation, hex, `-N`. */
export async function referenceMultipartEtag(
  bytes: Uint8Array,
  partSizes: readonly number[],
): Promise<string> {
  const partDigests = await Promise.all(slices(bytes, partSizes).map((p) => oneShot("MD5", p)));
  const outer = await oneShot("MD5", Buffer.concat(partDigests));
  return `${outer.toString("hex")}-${partSizes.length}`;
}

/** Reference composite checksum: the same with the given algorithm, base64, `-N`. */
export async function referenceComposite(
  algorithm: ChecksumAlgorithm,
  bytes: Uint8Array,
  partSizes: readonly number[],
): Promise<string> {
  const partDigests = await Promise.all(slices(bytes, partSizes).map((p) => oneShot(algorithm, p)));
  const outer = await oneShot(algorithm, Buffer.concat(partDigests));
  return `${outer.toString("base64")}-${partSizes.length}`;
}
