import { describe, expect, it } from "vitest";
import {
  createDigestCalculator,
  type DigestTarget,
  digestChunks,
  MAX_PARTS,
} from "../../../shared/integrity/digests.ts";
import { CHECKSUM_ALGORITHMS, type ChecksumAlgorithm } from "../../../shared/s3/object-state.ts";
import {
  chunked,
  MiB,
  oneShot,
  randomBytes,
  referenceComposite,
  referenceMultipartEtag,
} from "../../helpers/digests.ts";

const text = (value: string) => new TextEncoder().encode(value);
const hexToBase64 = (hex: string) => Buffer.from(hex, "hex").toString("base64");

async function fullObject(algorithm: ChecksumAlgorithm, bytes: Uint8Array): Promise<string> {
  const [result] = await digestChunks([bytes], [{ kind: "full-object-checksum", algorithm }]);
  return result?.value ?? "";
}

/**
 * Published check values, as hex of the digest bytes:
 * - CRCs: the CRC catalogue "check" value (input "123456789"); CRC64NVME and CRC32C also from the
 *   AWS SDK's own test fixtures (packages-internal/checksums/src/checksum.fixture.ts).
 * - MD5: RFC 1321 appendix A.5; SHA-1/256/512: NIST FIPS 180 examples ("abc").
 * - xxHash: reference implementation values (xxhash.h), as used in the SDK's specs; canonical
 *   (big-endian) form, high 64 bits first for XXH128.
 */
const KNOWN_VECTORS: readonly { algorithm: ChecksumAlgorithm; input: string; hex: string }[] = [
  { algorithm: "CRC32", input: "123456789", hex: "cbf43926" },
  { algorithm: "CRC32", input: "", hex: "00000000" },
  { algorithm: "CRC32C", input: "123456789", hex: "e3069283" },
  { algorithm: "CRC32C", input: "The quick brown fox jumps over the lazy dog", hex: "22620404" },
  { algorithm: "CRC64NVME", input: "123456789", hex: "ae8b14860a799888" },
  { algorithm: "CRC64NVME", input: "", hex: "0000000000000000" },
  { algorithm: "MD5", input: "", hex: "d41d8cd98f00b204e9800998ecf8427e" },
  { algorithm: "MD5", input: "abc", hex: "900150983cd24fb0d6963f7d28e17f72" },
  { algorithm: "SHA1", input: "abc", hex: "a9993e364706816aba3e25717850c26c9cd0d89d" },
  {
    algorithm: "SHA256",
    input: "abc",
    hex: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
  },
  {
    algorithm: "SHA512",
    input: "abc",
    hex:
      "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a" +
      "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
  },
  { algorithm: "XXHASH64", input: "", hex: "ef46db3751d8e999" },
  { algorithm: "XXHASH64", input: "abc", hex: "44bc2cf5ad770999" },
  { algorithm: "XXHASH3", input: "", hex: "2d06800538d394c2" },
  { algorithm: "XXHASH3", input: "abc", hex: "78af5f94892f3950" },
  { algorithm: "XXHASH128", input: "", hex: "99aa06d3014798d86001c324468d497f" },
  { algorithm: "XXHASH128", input: "abc", hex: "06b05ab6733a618578af5f94892f3950" },
];

describe("known vectors", () => {
  it.each(KNOWN_VECTORS)("$algorithm of '$input' is $hex, base64 as S3 shows it", async (v) => {
    expect(await fullObject(v.algorithm, text(v.input))).toBe(hexToBase64(v.hex));
  });

  it("covers every algorithm", () => {
    const covered = new Set(KNOWN_VECTORS.map((v) => v.algorithm));
    expect([...covered].sort()).toEqual([...CHECKSUM_ALGORITHMS].sort());
  });

  it("encodes CRC values the way S3 shows them (base64 of the big-endian bytes)", async () => {
    // 0xCBF43926 → bytes cb f4 39 26 → "y/Q5Jg==", as the SDK's Crc32Node + base64 would send.
    expect(await fullObject("CRC32", text("123456789"))).toBe("y/Q5Jg==");
    expect(await fullObject("CRC64NVME", text("123456789"))).toBe("rosUhgp5mIg=");
    expect(await fullObject("CRC64NVME", new Uint8Array(0))).toBe("AAAAAAAAAAA=");
  });

  it("gives an empty object the well-known empty ETag", async () => {
    const [etag] = await digestChunks([], [{ kind: "single-part-etag" }]);
    expect(etag?.value).toBe("d41d8cd98f00b204e9800998ecf8427e");
  });

  // Every implementation is incremental: byte-by-byte equals one call, for a length that
  // crosses the block sizes of all of them (64-byte MD5/SHA, 128-byte SHA512, 32-byte XXH64
  // stripes, 240-byte/1 KiB XXH3 limits).
  it.each(CHECKSUM_ALGORITHMS)("%s is incremental (byte by byte = one call)", async (algorithm) => {
    const bytes = randomBytes(3000, 7);
    const [oneByOne] = await digestChunks(chunked(bytes, [1]), [
      { kind: "full-object-checksum", algorithm },
    ]);
    expect(oneByOne?.value).toBe((await oneShot(algorithm, bytes)).toString("base64"));
  });
});

describe("multipart ETag", () => {
  const bytes = randomBytes(11 * MiB, 1);
  const evenLayout = [5 * MiB, 5 * MiB, 1 * MiB];
  const unevenLayout = [5.5 * MiB, 5 * MiB, 0.5 * MiB];

  it("depends on every part boundary, and both layouts reproduce correctly", async () => {
    // Act
    const [even, uneven, single] = await digestChunks(chunked(bytes, [MiB]), [
      { kind: "multipart-etag", partSizes: evenLayout },
      { kind: "multipart-etag", partSizes: unevenLayout },
      { kind: "single-part-etag" },
    ]);

    // Assess
    expect(even?.value).toBe(await referenceMultipartEtag(bytes, evenLayout));
    expect(uneven?.value).toBe(await referenceMultipartEtag(bytes, unevenLayout));
    expect(even?.value).toMatch(/^[0-9a-f]{32}-3$/);
    expect(uneven?.value).toMatch(/^[0-9a-f]{32}-3$/);
    // Same bytes, same part count, different boundaries: never equal.
    expect(even?.value).not.toBe(uneven?.value);
    // Nor is either the MD5 of the content.
    expect(single?.value).toBe((await oneShot("MD5", bytes)).toString("hex"));
    expect(single?.value.slice(0, 32)).not.toBe(even?.value.slice(0, 32));
  });

  it("keeps -1 for a multipart upload of exactly one part", async () => {
    // Prepare
    const small = randomBytes(1000, 2);

    // Act
    const [multipart, single] = await digestChunks(
      [small],
      [{ kind: "multipart-etag", partSizes: [1000] }, { kind: "single-part-etag" }],
    );

    // Assess
    const md5 = await oneShot("MD5", small);
    expect(single?.value).toBe(md5.toString("hex"));
    expect(multipart?.value).toBe(`${(await oneShot("MD5", md5)).toString("hex")}-1`);
  });
});

describe("composite and full-object checksums", () => {
  const bytes = randomBytes(3 * MiB + 123, 3);
  const layout = [MiB, MiB, MiB + 123];

  it.each(CHECKSUM_ALGORITHMS)(
    "%s composite reproduces the checksum of part checksums",
    async (algorithm) => {
      const [composite, full] = await digestChunks(chunked(bytes, [256 * 1024 + 1]), [
        { kind: "composite-checksum", algorithm, partSizes: layout },
        { kind: "full-object-checksum", algorithm },
      ]);
      expect(composite?.value).toBe(await referenceComposite(algorithm, bytes, layout));
      expect(composite?.value).toMatch(/^[A-Za-z0-9+/]+=*-3$/);
      expect(full?.value).toBe((await oneShot(algorithm, bytes)).toString("base64"));
      expect(composite?.value.replace(/-3$/, "")).not.toBe(full?.value);
    },
  );

  it("full-object checksums do not depend on the layout; composites do", async () => {
    // Prepare
    const other = [2 * MiB, MiB + 123];

    // Act
    const [a, b, full] = await digestChunks(
      [bytes],
      [
        { kind: "composite-checksum", algorithm: "CRC32", partSizes: layout },
        { kind: "composite-checksum", algorithm: "CRC32", partSizes: other },
        { kind: "full-object-checksum", algorithm: "CRC32" },
      ],
    );

    // Assess
    expect(a?.value).not.toBe(b?.value);
    expect(full?.value).toBe(await fullObject("CRC32", bytes));
  });

  it("a composite MD5 checksum is the multipart ETag in base64 (same digest, shared pass)", async () => {
    // Act
    const [etag, compositeMd5, single, fullMd5] = await digestChunks(
      [bytes],
      [
        { kind: "multipart-etag", partSizes: layout },
        { kind: "composite-checksum", algorithm: "MD5", partSizes: layout },
        { kind: "single-part-etag" },
        { kind: "full-object-checksum", algorithm: "MD5" },
      ],
    );

    // Assess
    const [etagHex] = (etag?.value ?? "").split("-");
    const [compositeBase64] = (compositeMd5?.value ?? "").split("-");
    expect(hexToBase64(etagHex ?? "")).toBe(compositeBase64);
    expect(hexToBase64(single?.value ?? "")).toBe(fullMd5?.value);
  });
});

describe("any change to the bytes changes every digest", () => {
  const original = randomBytes(2 * MiB + 5, 4);
  const layout = [MiB, MiB, 5];
  const targets: DigestTarget[] = [
    { kind: "single-part-etag" },
    { kind: "multipart-etag", partSizes: layout },
    ...CHECKSUM_ALGORITHMS.flatMap((algorithm): DigestTarget[] => [
      { kind: "full-object-checksum", algorithm },
      { kind: "composite-checksum", algorithm, partSizes: layout },
    ]),
  ];

  it.each([
    ["first", 0],
    ["middle", MiB],
    ["last", original.length - 1],
  ])("flipping the %s byte", async (_where, position) => {
    // Prepare
    const changed = original.slice();
    changed[position] = (changed[position] ?? 0) ^ 0x01;

    // Act
    const before = await digestChunks(chunked(original, [100_000]), targets);
    const after = await digestChunks(chunked(changed, [100_000]), targets);

    // Assess
    expect(before).toHaveLength(targets.length);
    for (const [index, result] of before.entries()) {
      expect(after[index]?.value, JSON.stringify(result.target)).not.toBe(result.value);
    }
  });
});

describe("part boundaries inside chunks", () => {
  const bytes = randomBytes(64 * 1024 + 17, 5);
  // Boundaries at odd offsets, a tiny part, and the object's last byte as its own part.
  const layout = [10_000, 3, 40_000, bytes.length - 50_004, 1];
  const targets: DigestTarget[] = [
    { kind: "multipart-etag", partSizes: layout },
    ...CHECKSUM_ALGORITHMS.map(
      (algorithm): DigestTarget => ({ kind: "composite-checksum", algorithm, partSizes: layout }),
    ),
  ];

  it.each([
    ["one chunk", [bytes.length]],
    ["1-byte chunks", [1]],
    ["7-byte chunks", [7]],
    ["4 KiB + 1 chunks", [4097]],
    ["uneven chunks", [9_999, 2, 1, 30_000, 5, 100_000]],
  ])("give the same results with %s", async (_name, sizes) => {
    // Act
    const results = await digestChunks(chunked(bytes, sizes), targets);

    // Assess
    expect(results[0]?.value).toBe(await referenceMultipartEtag(bytes, layout));
    for (const [index, algorithm] of CHECKSUM_ALGORITHMS.entries()) {
      expect(results[index + 1]?.value).toBe(await referenceComposite(algorithm, bytes, layout));
    }
  });

  it("treat empty chunks as nothing", async () => {
    // Prepare
    const withEmpties = [bytes.subarray(0, 10), new Uint8Array(0), bytes.subarray(10)];

    // Act
    const [result] = await digestChunks(withEmpties, [targets[0] as DigestTarget]);

    // Assess
    expect(result?.value).toBe(await referenceMultipartEtag(bytes, layout));
  });

  it("handle an empty object uploaded as one empty part", async () => {
    // Act
    const [result] = await digestChunks([], [{ kind: "multipart-etag", partSizes: [0] }]);

    // Assess
    const emptyMd5 = await oneShot("MD5", new Uint8Array(0));
    expect(result?.value).toBe(`${(await oneShot("MD5", emptyMd5)).toString("hex")}-1`);
  });
});

describe("refusals", () => {
  it("rejects more bytes than the layout holds", async () => {
    // Prepare
    const calculator = createDigestCalculator([{ kind: "multipart-etag", partSizes: [2, 2] }]);

    // Act, Assess
    await expect(calculator.update(new Uint8Array(5))).rejects.toThrow(/more bytes than/);
  });

  it("rejects fewer bytes than the layout holds", async () => {
    // Prepare
    const calculator = createDigestCalculator([
      { kind: "composite-checksum", algorithm: "SHA256", partSizes: [2, 2] },
    ]);

    // Act
    await calculator.update(new Uint8Array(3));

    // Assess
    await expect(calculator.finish()).rejects.toThrow(/ended after 3 bytes.*holds 4/);
  });

  it.each([
    ["no target", []],
    ["an empty layout", [{ kind: "multipart-etag", partSizes: [] }]],
    ["a negative part", [{ kind: "multipart-etag", partSizes: [5, -1] }]],
    ["a fractional part", [{ kind: "multipart-etag", partSizes: [1.5] }]],
    ["too many parts", [{ kind: "multipart-etag", partSizes: Array(MAX_PARTS + 1).fill(1) }]],
    ["an unknown algorithm", [{ kind: "full-object-checksum", algorithm: "CRC16" }]],
  ])("refuses %s", (_name, targets) => {
    expect(() => createDigestCalculator(targets as DigestTarget[])).toThrow(RangeError);
  });

  it("refuses overlapping updates and a second finish", async () => {
    // Prepare
    const calculator = createDigestCalculator([
      { kind: "composite-checksum", algorithm: "CRC32", partSizes: [4, 4] },
    ]);

    // Act, Assess
    const first = calculator.update(new Uint8Array(4));
    await expect(calculator.update(new Uint8Array(4))).rejects.toThrow(/previous update/);
    await first;
    await calculator.update(new Uint8Array(4));
    expect(calculator.bytesSeen).toBe(8);
    await calculator.finish();
    await expect(calculator.finish()).rejects.toThrow(/twice/);
    await expect(calculator.update(new Uint8Array(1))).rejects.toThrow(/after finish/);
  });
});
