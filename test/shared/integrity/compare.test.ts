import { describe, expect, it } from "vitest";
import { compareObjects, normaliseEtag, parseMd5Etag } from "../../../shared/integrity/compare.ts";
import type { ObjectState } from "../../../shared/s3/object-state.ts";

const MD5_A = "b1946ac92492d2347c6235b4d2611184";
const MD5_B = "d41d8cd98f00b204e9800998ecf8427e";

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

describe("compareObjects", () => {
  it("MATCH on equal single-part MD5 ETags (quotes and case normalised)", () => {
    const result = compareObjects(state(), state({ etag: MD5_A.toUpperCase() }));
    expect(result.verdict).toBe("MATCH");
    expect(result.basis).toMatchObject({ kind: "etag", algorithm: "MD5", agrees: true });
  });

  it("MISMATCH when sizes differ, whatever else agrees", () => {
    const result = compareObjects(state(), state({ size: 6 }));
    expect(result.verdict).toBe("MISMATCH");
    expect(result.basis).toEqual({ kind: "size", primary: "5", replica: "6", agrees: false });
  });

  it("MISMATCH on different single-part ETags of equal size", () => {
    const result = compareObjects(state(), state({ etag: `"${MD5_B}"` }));
    expect(result.verdict).toBe("MISMATCH");
    expect(result.basis).toMatchObject({ kind: "etag", primary: MD5_A, replica: MD5_B });
  });

  it("MATCH on equal multipart ETags with the same part count", () => {
    const etag = `"${MD5_A}-12"`;
    expect(compareObjects(state({ etag }), state({ etag })).verdict).toBe("MATCH");
  });

  it("UNVERIFIABLE for multipart vs single-part ETags with no common checksum", () => {
    const result = compareObjects(state({ etag: `"${MD5_A}-12"` }), state({ etag: `"${MD5_B}"` }));
    expect(result.verdict).toBe("UNVERIFIABLE");
    expect(result.notComparable).toContain(
      "ETag: multipart with 12 parts on the primary vs single-part on the replica (different upload layouts never have equal ETags)",
    );
  });

  it("UNVERIFIABLE (not MISMATCH) for multipart ETags with different part counts", () => {
    const result = compareObjects(
      state({ etag: `"${MD5_A}-12"` }),
      state({ etag: `"${MD5_B}-3"` }),
    );
    expect(result.verdict).toBe("UNVERIFIABLE");
  });

  it("ignores SSE-KMS ETags even when they look like MD5 digests", () => {
    const kms = { serverSideEncryption: "aws:kms" };
    const result = compareObjects(state(kms), state({ ...kms, etag: `"${MD5_B}"` }));
    expect(result.verdict).toBe("UNVERIFIABLE");
    expect(result.notComparable.join()).toMatch(/encrypted with aws:kms/);
  });

  it("ignores SSE-C ETags on the replica side", () => {
    const result = compareObjects(
      state(),
      state({ etag: `"${MD5_B}"`, sseCustomerAlgorithm: "AES256" }),
    );
    expect(result.verdict).toBe("UNVERIFIABLE");
    expect(result.notComparable.join()).toMatch(/replica is encrypted with SSE-C/);
  });

  it("uses a full-object checksum under SSE-KMS and finds corruption there", () => {
    const kms = { serverSideEncryption: "aws:kms" };
    const result = compareObjects(
      state({ ...kms, checksums: { CRC64NVME: "AAAAAAAAAAA=" }, checksumType: "FULL_OBJECT" }),
      state({ ...kms, checksums: { CRC64NVME: "BBBBBBBBBBB=" }, checksumType: "FULL_OBJECT" }),
    );
    expect(result.verdict).toBe("MISMATCH");
    expect(result.basis).toMatchObject({ kind: "full-object-checksum", algorithm: "CRC64NVME" });
  });

  it.each(["SHA256", "SHA1", "CRC64NVME", "CRC32C", "CRC32"] as const)(
    "MATCH on an equal full-object %s checksum, even across different part layouts",
    (algorithm) => {
      const checksums = { [algorithm]: "q83vEjRWeJA=" };
      const result = compareObjects(
        state({ etag: `"${MD5_A}-12"`, checksums, checksumType: "FULL_OBJECT" }),
        state({ etag: `"${MD5_B}"`, checksums, checksumType: "FULL_OBJECT" }),
      );
      expect(result.verdict).toBe("MATCH");
      expect(result.basis).toMatchObject({ kind: "full-object-checksum", algorithm });
    },
  );

  it("prefers the strongest full-object checksum as the basis", () => {
    const checksums = { CRC32: "NhCmhg==", SHA256: "LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ=" };
    const result = compareObjects(state({ checksums }), state({ checksums }));
    expect(result.basis).toMatchObject({ algorithm: "SHA256" });
    expect(result.evidence.map((item) => item.kind)).toEqual([
      "full-object-checksum",
      "full-object-checksum",
      "etag",
      "size",
    ]);
  });

  it("MISMATCH when any comparable evidence disagrees, even if a stronger one agrees", () => {
    const result = compareObjects(
      state({ checksums: { SHA256: "same=", CRC32: "AAAA" } }),
      state({ checksums: { SHA256: "same=", CRC32: "BBBB" } }),
    );
    expect(result.verdict).toBe("MISMATCH");
    expect(result.basis).toMatchObject({ algorithm: "CRC32", agrees: false });
  });

  it("compares composite checksums of the same algorithm and part count", () => {
    const etag = `"${MD5_A}-2"`;
    const same = compareObjects(
      state({ etag, checksums: { CRC32: "14IOnA==-2" }, checksumType: "COMPOSITE" }),
      state({ etag, checksums: { CRC32: "14IOnA==-2" }, checksumType: "COMPOSITE" }),
    );
    expect(same.verdict).toBe("MATCH");
    expect(same.basis).toMatchObject({ kind: "composite-checksum", algorithm: "CRC32" });

    const differ = compareObjects(
      state({ etag: undefined, checksums: { CRC32C: "AAAAAA==-2" } }),
      state({ etag: undefined, checksums: { CRC32C: "BBBBBB==-2" } }),
    );
    expect(differ.verdict).toBe("MISMATCH");
    expect(differ.basis).toMatchObject({ kind: "composite-checksum", algorithm: "CRC32C" });
  });

  it("does not compare composite checksums of different part counts, nor composite with full", () => {
    const result = compareObjects(
      state({ etag: `"${MD5_A}-2"`, checksums: { CRC32: "14IOnA==-2", SHA1: "full=" } }),
      state({ etag: `"${MD5_B}-3"`, checksums: { CRC32: "zzzzzz==-3", SHA1: "other-2" } }),
    );
    expect(result.verdict).toBe("UNVERIFIABLE");
    expect(result.notComparable).toEqual([
      "SHA1 checksum: full-object on the primary vs composite of 2 parts on the replica",
      "CRC32 checksum: composite of 2 parts on the primary vs composite of 3 parts on the replica",
      "ETag: multipart with 2 parts on the primary vs multipart with 3 parts on the replica (different upload layouts never have equal ETags)",
    ]);
  });

  it("treats CRC64NVME as full-object even if the checksum type says COMPOSITE", () => {
    const checksums = { CRC64NVME: "AAAAAAAAAAA=" };
    const result = compareObjects(
      state({ checksums, checksumType: "COMPOSITE" }),
      state({ checksums, checksumType: "COMPOSITE" }),
    );
    expect(result.basis).toMatchObject({ kind: "full-object-checksum", algorithm: "CRC64NVME" });
  });

  it("does not weigh ETags of sides stored with different encryption", () => {
    // An unencrypted source replicated into a default-encrypted bucket gets another ETag.
    const checksums = { CRC64NVME: "AAAAAAAAAAA=" };
    const result = compareObjects(
      state({ checksums, checksumType: "FULL_OBJECT" }),
      state({
        checksums,
        checksumType: "FULL_OBJECT",
        serverSideEncryption: "AES256",
        etag: `"${MD5_B}"`,
      }),
    );
    expect(result.verdict).toBe("MATCH");
    expect(result.basis).toMatchObject({ kind: "full-object-checksum", algorithm: "CRC64NVME" });
    expect(result.notComparable).toEqual([
      "ETag: stored with different encryption (primary none, replica AES256), so the ETags may differ for equal content",
    ]);
  });

  it("never compares a composite checksum whose part count is not shown", () => {
    const result = compareObjects(
      state({ etag: undefined, checksums: { CRC32: "14IOnA==" }, checksumType: "COMPOSITE" }),
      state({ etag: undefined, checksums: { CRC32: "zzzzzz==" }, checksumType: "FULL_OBJECT" }),
    );
    expect(result.verdict).toBe("UNVERIFIABLE");
    expect(result.notComparable[0]).toBe(
      "CRC32 checksum: composite (part count not shown) on the primary vs full-object on the replica",
    );
  });

  it("explains checksums with no algorithm in common", () => {
    const result = compareObjects(
      state({ etag: undefined, checksums: { SHA256: "x" } }),
      state({ etag: undefined, checksums: { CRC32: "y" } }),
    );
    expect(result.verdict).toBe("UNVERIFIABLE");
    expect(result.notComparable).toEqual([
      "checksum: no common algorithm (primary has SHA256 (full-object), replica has CRC32 (full-object))",
      "ETag: missing on one side",
    ]);
  });

  it("explains a side without checksums and non-MD5 ETags", () => {
    const result = compareObjects(
      state({ etag: '"not-an-md5"' }),
      state({ checksums: { CRC32: "y" } }),
    );
    expect(result.verdict).toBe("UNVERIFIABLE");
    expect(result.notComparable).toEqual([
      "checksum: primary has none, replica has CRC32 (full-object)",
      "ETag: not MD5-style on both sides",
    ]);
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
