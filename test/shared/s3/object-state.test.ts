import { S3ServiceException } from "@aws-sdk/client-s3";
import { describe, expect, it } from "vitest";
import { isNotFound, toObjectState } from "../../../shared/s3/object-state.ts";

describe("isNotFound", () => {
  it.each([
    [
      "a bare 404 from HEAD",
      new S3ServiceException({
        name: "NotFound",
        $fault: "client",
        $metadata: { httpStatusCode: 404 },
      }),
    ],
    ["NoSuchKey", Object.assign(new Error("x"), { name: "NoSuchKey" })],
    ["NoSuchVersion", Object.assign(new Error("x"), { name: "NoSuchVersion" })],
  ])("is true for %s", (_name, error) => {
    expect(isNotFound(error)).toBe(true);
  });

  it.each([
    [
      "403 (a missing key without s3:ListBucket, or a real denial)",
      new S3ServiceException({
        name: "Forbidden",
        $fault: "client",
        $metadata: { httpStatusCode: 403 },
      }),
    ],
    [
      "throttling",
      new S3ServiceException({
        name: "SlowDown",
        $fault: "server",
        $metadata: { httpStatusCode: 503 },
      }),
    ],
    ["a string", "NotFound"],
    ["null", null],
  ])("is false for %s", (_name, error) => {
    expect(isNotFound(error)).toBe(false);
  });
});

describe("toObjectState", () => {
  it("keeps every checksum S3 returned and drops absent fields", () => {
    const state = toObjectState(
      { bucket: "b-1", key: "k", versionId: "asked" },
      {
        $metadata: {},
        ContentLength: 3,
        ETag: '"abc"',
        ChecksumCRC32: "c32",
        ChecksumCRC32C: "c32c",
        ChecksumCRC64NVME: "c64",
        ChecksumSHA1: "s1",
        ChecksumSHA256: "s256",
        ChecksumType: "FULL_OBJECT",
        ReplicationStatus: "COMPLETED",
        LastModified: new Date("2026-01-02T03:04:05Z"),
      },
    );
    expect(state).toEqual({
      bucket: "b-1",
      key: "k",
      versionId: "asked",
      size: 3,
      etag: '"abc"',
      checksums: { CRC32: "c32", CRC32C: "c32c", CRC64NVME: "c64", SHA1: "s1", SHA256: "s256" },
      checksumType: "FULL_OBJECT",
      replicationStatus: "COMPLETED",
      lastModified: "2026-01-02T03:04:05.000Z",
    });
  });
});
