/**
 * The comparison rules, each written from AWS's documented behaviour (S3 API reference, Object:
 * ETag; user guide, "Checking object integrity"), never from what an emulator returns.
 */
import { describe, expect, it } from "vitest";
import {
  compareObjects,
  describeEvidence,
  type Evidence,
  evidenceName,
  normaliseEtag,
  parseMd5Etag,
  strongestFirst,
} from "../../../shared/integrity/compare.ts";
import { CHECKSUM_ALGORITHMS, type ObjectState } from "../../../shared/s3/object-state.ts";

const MD5_A = "b1946ac92492d2347c6235b4d2611184";
const MD5_B = "d41d8cd98f00b204e9800998ecf8427e";
const MiB = 1024 * 1024;
/** 11 MiB as 5+5+1 MiB and as 5.5+5+0.5 MiB: the same part count, other boundaries. */
const EVEN = [5 * MiB, 5 * MiB, MiB];
const UNEVEN = [5.5 * MiB, 5 * MiB, 0.5 * MiB];

function state(overrides: Partial<ObjectState> = {}): ObjectState {
  return {
    bucket: "primary-bucket",
    key: "k",
    size: 5,
    etag: `"${MD5_A}"`,
    checksums: {},
    ...overrides,
  };
}

/** An 11 MiB object uploaded in three parts, with the given ETag digest and layout. */
function multipart(digest: string, overrides: Partial<ObjectState> = {}): ObjectState {
  return state({ size: 11 * MiB, etag: `"${digest}-3"`, ...overrides });
}

describe("compareObjects: size and single-part ETags", () => {
  it("MATCH on equal single-part MD5 ETags (quotes and case normalised)", () => {
    // Act
    const result = compareObjects(state(), state({ etag: MD5_A.toUpperCase() }));

    // Assess
    expect(result.verdict).toBe("MATCH");
    expect(result.basis).toMatchObject({ kind: "etag", algorithm: "MD5", agrees: true });
  });

  it("MISMATCH when sizes differ, whatever else agrees", () => {
    // Act
    const result = compareObjects(state(), state({ size: 6 }));

    // Assess
    expect(result.verdict).toBe("MISMATCH");
    expect(result.basis).toEqual({ kind: "size", primary: "5", replica: "6", agrees: false });
  });

  it("MISMATCH on different single-part ETags of equal size", () => {
    // Act
    const result = compareObjects(state(), state({ etag: `"${MD5_B}"` }));

    // Assess
    expect(result.verdict).toBe("MISMATCH");
    expect(result.basis).toMatchObject({ kind: "etag", primary: MD5_A, replica: MD5_B });
  });

  it("compares a plaintext with an SSE-S3 single-part ETag: both are MD5s of the data", () => {
    // Prepare
    const sseS3 = { serverSideEncryption: "AES256" };

    // Act
    const same = compareObjects(state(), state(sseS3));
    const other = compareObjects(state(), state({ ...sseS3, etag: `"${MD5_B}"` }));

    // Assess
    expect(same.verdict).toBe("MATCH");
    expect(other.verdict).toBe("MISMATCH");
  });

  it.each([
    ["SSE-KMS", { serverSideEncryption: "aws:kms" }, "aws:kms"],
    ["DSSE-KMS", { serverSideEncryption: "aws:kms:dsse" }, "aws:kms:dsse"],
    ["SSE-C", { sseCustomerAlgorithm: "AES256" }, "SSE-C"],
  ])("never weighs %s ETags, even when they look like MD5 digests", (_name, encryption, shown) => {
    // Act
    const result = compareObjects(state(encryption), state({ ...encryption, etag: `"${MD5_B}"` }));

    // Assess
    expect(result.verdict).toBe("UNVERIFIABLE");
    expect(result.settleBy).toBe("deep-read");
    expect(result.notComparable).toContain(
      `ETag: primary is encrypted with ${shown}, so its ETag is not an MD5 of the content; replica is encrypted with ${shown}, so its ETag is not an MD5 of the content`,
    );
  });
});

describe("compareObjects: layout-dependent evidence (multipart ETags, composite checksums)", () => {
  it("MATCH on equal multipart ETags: equal digests of the part digests mean equal parts", () => {
    // Act
    const result = compareObjects(multipart(MD5_A), multipart(MD5_A));

    // Assess
    expect(result.verdict).toBe("MATCH");
    expect(result.basis).toMatchObject({ kind: "etag", parts: 3, agrees: true });
  });

  it("asks for the part layouts when multipart ETags of one part count differ", () => {
    // Act
    const result = compareObjects(multipart(MD5_A), multipart(MD5_B));

    // Assess
    expect(result.verdict).toBe("UNVERIFIABLE");
    expect(result.settleBy).toBe("part-layouts");
    expect(result.notComparable).toEqual([
      "checksum: primary has none, replica has none",
      "ETag (multipart, 3 parts): values differ; that counts only if both sides have the same part layout (not read yet)",
    ]);
  });

  it("MISMATCH when the differing ETags belong to equal part layouts", () => {
    // Act
    const result = compareObjects(
      multipart(MD5_A, { partSizes: EVEN }),
      multipart(MD5_B, { partSizes: EVEN }),
      { partLayoutsRead: true },
    );

    // Assess
    expect(result.verdict).toBe("MISMATCH");
    expect(result.basis).toMatchObject({ kind: "etag", parts: 3, agrees: false });
  });

  it("no evidence, not MISMATCH, when identical bytes were cut at other boundaries (5+5+1 vs 5.5+5+0.5 MiB)", () => {
    // Act
    const result = compareObjects(
      multipart(MD5_A, { partSizes: EVEN }),
      multipart(MD5_B, { partSizes: UNEVEN }),
      { partLayoutsRead: true },
    );

    // Assess
    expect(result.verdict).toBe("UNVERIFIABLE");
    expect(result.settleBy).toBe("deep-read");
    expect(result.notComparable).toContain(
      "ETag (multipart, 3 parts): values differ, but so do the part layouts (part 1 is 5242880 bytes on the primary, 5767168 on the replica), so they would differ for equal content",
    );
  });

  it("no evidence when the part layouts were asked for but could not be established", () => {
    // Act
    const result = compareObjects(multipart(MD5_A), multipart(MD5_B, { partSizes: EVEN }), {
      partLayoutsRead: true,
    });

    // Assess
    expect(result.verdict).toBe("UNVERIFIABLE");
    expect(result.settleBy).toBe("deep-read");
    expect(result.notComparable).toContain(
      "ETag (multipart, 3 parts): values differ, but the part layouts could not be established, so this proves nothing",
    );
  });

  it("says which layouts differ by their part counts", () => {
    // Act
    const result = compareObjects(
      multipart(MD5_A, { partSizes: EVEN }),
      multipart(MD5_B, { partSizes: [10 * MiB, MiB] }),
      { partLayoutsRead: true },
    );

    // Assess
    expect(result.notComparable.join()).toContain("3 parts on the primary, 2 parts on the replica");
  });

  it("UNVERIFIABLE for multipart vs single-part ETags, and for other part counts", () => {
    // Act
    const single = compareObjects(multipart(MD5_A), state({ size: 11 * MiB, etag: MD5_B }));
    const counts = compareObjects(
      multipart(MD5_A),
      state({ size: 11 * MiB, etag: `"${MD5_B}-2"` }),
    );

    // Assess
    expect(single.verdict).toBe("UNVERIFIABLE");
    expect(single.settleBy).toBe("deep-read");
    expect(single.notComparable).toContain(
      "ETag: multipart with 3 parts on the primary vs single-part on the replica (different upload layouts never have equal ETags)",
    );
    expect(counts.notComparable).toContain(
      "ETag: multipart with 3 parts on the primary vs multipart with 2 parts on the replica (different upload layouts never have equal ETags)",
    );
  });

  it("treats composite checksums like multipart ETags", () => {
    // Prepare
    // No ETag: only the composite checksum speaks.
    const composite = (value: string, partSizes?: number[]) =>
      multipart(MD5_A, {
        etag: undefined,
        checksums: { CRC32: value },
        checksumType: "COMPOSITE",
        ...(partSizes ? { partSizes } : {}),
      });

    // Act
    const same = compareObjects(composite("14IOnA==-3"), composite("14IOnA==-3"));
    const unknownLayouts = compareObjects(composite("AAAAAA==-3"), composite("BBBBBB==-3"));
    const equalLayouts = compareObjects(
      composite("AAAAAA==-3", EVEN),
      composite("BBBBBB==-3", EVEN),
    );
    const otherLayouts = compareObjects(
      composite("AAAAAA==-3", EVEN),
      composite("BBBBBB==-3", UNEVEN),
    );

    // Assess
    expect(same.verdict).toBe("MATCH");
    expect(same.basis).toMatchObject({ kind: "composite-checksum", algorithm: "CRC32", parts: 3 });
    expect(unknownLayouts.settleBy).toBe("part-layouts");
    expect(equalLayouts.verdict).toBe("MISMATCH");
    expect(equalLayouts.basis).toMatchObject({ kind: "composite-checksum", agrees: false });
    expect(otherLayouts.verdict).toBe("UNVERIFIABLE");
    expect(otherLayouts.settleBy).toBe("deep-read");
  });

  it("takes a composite's part count from the multipart ETag when the value shows none", () => {
    // Prepare
    const side = (value: string) =>
      multipart(MD5_A, { checksums: { SHA256: value }, checksumType: "COMPOSITE" });

    // Act
    const result = compareObjects(side("c2FtZQ=="), side("c2FtZQ==-3"));

    // Assess
    expect(result.verdict).toBe("MATCH");
    expect(result.basis).toMatchObject({ kind: "composite-checksum", parts: 3 });
  });

  it("never compares a composite checksum with a full-object one, nor composites of other part counts", () => {
    // Act
    const result = compareObjects(
      state({ etag: undefined, checksums: { CRC32: "14IOnA==-2", CRC32C: "AAAAAA==-2" } }),
      state({
        etag: undefined,
        checksums: { CRC32: "zzzzzz==", CRC32C: "BBBBBB==-3" },
        checksumType: "FULL_OBJECT",
      }),
    );

    // Assess
    expect(result.verdict).toBe("UNVERIFIABLE");
    expect(result.notComparable).toEqual([
      "CRC32C checksum: composite of 2 parts on the primary vs full-object on the replica",
      "CRC32 checksum: composite of 2 parts on the primary vs full-object on the replica",
      "ETag: primary has no ETag; replica has no ETag",
    ]);
  });

  it("never weighs a multipart object's checksum whose type S3 did not show", () => {
    // Act
    const result = compareObjects(
      multipart(MD5_A, { checksums: { SHA1: "AAAA" } }),
      multipart(MD5_A, { checksums: { SHA1: "BBBB" } }),
    );

    // Assess
    expect(result.verdict).toBe("MATCH");
    expect(result.basis).toMatchObject({ kind: "etag" });
    expect(result.notComparable).toEqual([
      "SHA1 checksum: type not shown on the primary vs type not shown on the replica (S3 did not say whether a multipart object's checksum is full-object or composite)",
    ]);
  });
});

describe("compareObjects: full-object checksums", () => {
  it.each(CHECKSUM_ALGORITHMS)(
    "MATCH on an equal full-object %s checksum, whatever the part layouts",
    (algorithm) => {
      // Prepare
      const checksums = { [algorithm]: "q83vEjRWeJA=" };

      // Act
      const result = compareObjects(
        multipart(MD5_A, { checksums, checksumType: "FULL_OBJECT" }),
        state({ size: 11 * MiB, etag: `"${MD5_B}"`, checksums, checksumType: "FULL_OBJECT" }),
      );

      // Assess
      expect(result.verdict).toBe("MATCH");
      expect(result.basis).toMatchObject({ kind: "full-object-checksum", algorithm });
    },
  );

  it("MATCH (not MISMATCH) when an equal full-object CRC64NVME sits beside multipart ETags that differ", () => {
    // Prepare: S3's default since December 2024 for multipart uploads without a checksum, e.g. a
    // replica written again by `aws s3 cp` with other part sizes.
    const crc = { checksums: { CRC64NVME: "rosUhgp5mIg=" }, checksumType: "FULL_OBJECT" };

    // Act
    const result = compareObjects(multipart(MD5_A, crc), multipart(MD5_B, crc));

    // Assess
    expect(result.verdict).toBe("MATCH");
    expect(result.settleBy).toBeUndefined();
    expect(result.basis).toMatchObject({ kind: "full-object-checksum", algorithm: "CRC64NVME" });
  });

  it("MISMATCH on a differing full-object checksum, whatever the part layouts", () => {
    // Act
    const result = compareObjects(
      multipart(MD5_A, { checksums: { CRC32: "AAAAAA==" }, checksumType: "FULL_OBJECT" }),
      state({ size: 11 * MiB, checksums: { CRC32: "BBBBBB==" }, checksumType: "FULL_OBJECT" }),
    );

    // Assess
    expect(result.verdict).toBe("MISMATCH");
    expect(result.basis).toMatchObject({ kind: "full-object-checksum", algorithm: "CRC32" });
  });

  it("treats CRC64NVME as full-object even if the checksum type says COMPOSITE", () => {
    // Prepare
    const checksums = { CRC64NVME: "AAAAAAAAAAA=" };

    // Act
    const result = compareObjects(
      state({ checksums, checksumType: "COMPOSITE" }),
      state({ checksums, checksumType: "COMPOSITE" }),
    );

    // Assess
    expect(result.basis).toMatchObject({ kind: "full-object-checksum", algorithm: "CRC64NVME" });
  });

  it("uses a full-object checksum under SSE-KMS and finds corruption there", () => {
    // Prepare
    const kms = { serverSideEncryption: "aws:kms", checksumType: "FULL_OBJECT" };

    // Act
    const result = compareObjects(
      state({ ...kms, checksums: { CRC64NVME: "AAAAAAAAAAA=" } }),
      state({ ...kms, checksums: { CRC64NVME: "BBBBBBBBBBB=" } }),
    );

    // Assess
    expect(result.verdict).toBe("MISMATCH");
    expect(result.basis).toMatchObject({ kind: "full-object-checksum", algorithm: "CRC64NVME" });
  });

  it("MISMATCH when any evidence that counts disagrees, even if a stronger one agrees", () => {
    // Act
    const result = compareObjects(
      state({ checksums: { SHA256: "same=", CRC32: "AAAA" } }),
      state({ checksums: { SHA256: "same=", CRC32: "BBBB" } }),
    );

    // Assess
    expect(result.verdict).toBe("MISMATCH");
    expect(result.basis).toMatchObject({ algorithm: "CRC32", agrees: false });
  });

  it("explains checksums with no algorithm in common, and a side without any", () => {
    // Act
    const noneInCommon = compareObjects(
      state({ etag: undefined, checksums: { SHA256: "x" } }),
      state({ etag: undefined, checksums: { CRC32: "y" } }),
    );
    const oneWithout = compareObjects(
      state({ etag: '"not-an-md5"' }),
      state({ checksums: { CRC32: "y" } }),
    );

    // Assess
    expect(noneInCommon.notComparable).toEqual([
      "checksum: no common algorithm (primary has SHA256 (full-object), replica has CRC32 (full-object))",
      "ETag: primary has no ETag; replica has no ETag",
    ]);
    expect(oneWithout.notComparable).toEqual([
      "checksum: primary has none, replica has CRC32 (full-object)",
      "ETag: primary has an ETag that is not MD5-style",
    ]);
  });
});

describe("evidence strength and names", () => {
  it("ranks SHA-512, SHA-256, SHA-1, MD5, CRC64NVME, the xxHash family, CRC32C, CRC32, then the ETag and the size", () => {
    // Prepare
    const checksums = Object.fromEntries(CHECKSUM_ALGORITHMS.map((name) => [name, `${name}=`]));

    // Act
    const result = compareObjects(state({ checksums }), state({ checksums }));

    // Assess
    expect(result.basis).toMatchObject({ algorithm: "SHA512" });
    expect(result.evidence.map((item) => item.algorithm ?? item.kind)).toEqual([
      "SHA512",
      "SHA256",
      "SHA1",
      "MD5",
      "CRC64NVME",
      "XXHASH128",
      "XXHASH3",
      "XXHASH64",
      "CRC32C",
      "CRC32",
      "MD5",
      "size",
    ]);
  });

  it("puts a full-object value before a composite one of the same algorithm", () => {
    // Prepare
    const base = { primary: "a", replica: "a", agrees: true, algorithm: "SHA256" as const };
    const composite: Evidence = { ...base, kind: "composite-checksum", parts: 2 };
    const full: Evidence = { ...base, kind: "full-object-checksum" };

    // Act
    const ordered = strongestFirst([composite, full]);

    // Assess
    expect(ordered).toEqual([full, composite]);
  });

  it("names what was read when bytes were computed, and never calls a record a byte match", () => {
    // Prepare
    const item: Evidence = {
      kind: "full-object-checksum",
      algorithm: "CRC64NVME",
      primary: "computed=",
      replica: "recorded=",
      agrees: true,
      computedFrom: "primary",
    };

    // Act
    const fromPrimary = describeEvidence(item);
    const fromReplica = describeEvidence({
      ...item,
      primary: "recorded=",
      replica: "computed=",
      computedFrom: "replica",
    });
    const fromBoth = evidenceName({ ...item, algorithm: "SHA256", computedFrom: "both" });

    // Assess
    expect(fromPrimary).toBe(
      "replica's CRC64NVME checksum (full object) reproduced from the primary's bytes: computed computed=, replica records recorded= -> agree",
    );
    expect(fromReplica).toBe(
      "primary's CRC64NVME checksum (full object) reproduced from the replica's bytes: computed computed=, primary records recorded= -> agree",
    );
    expect(fromBoth).toBe("SHA256 checksum (full object) of both sides' bytes");
  });
});

describe("ETag parsing", () => {
  it("normalises quotes, weak prefixes and case", () => {
    expect(normaliseEtag(` W/"${MD5_A.toUpperCase()}" `)).toBe(MD5_A);
  });

  it("recognises single-part and multipart MD5 ETags only", () => {
    expect(parseMd5Etag(`"${MD5_A}"`)).toEqual({ digest: MD5_A });
    expect(parseMd5Etag(`${MD5_A}-12`)).toEqual({ digest: MD5_A, parts: 12 });
    expect(parseMd5Etag("abc")).toBeUndefined();
    expect(parseMd5Etag(`${MD5_A}-x`)).toBeUndefined();
  });
});
