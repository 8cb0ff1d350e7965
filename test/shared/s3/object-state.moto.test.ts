/**
 * The S3 adapter (s3ObjectReader) over HTTP against moto_server, a second emulator with what the
 * in-process one lacks: every checksum algorithm, versioned buckets, HeadObject with PartNumber.
 * Expectations are AWS's documented behaviour (see test/helpers/moto.ts for moto's gaps).
 */
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { digestChunks } from "../../../shared/integrity/digests.ts";
import { CHECKSUM_ALGORITHMS, s3ObjectReader } from "../../../shared/s3/object-state.ts";
import { type MotoS3, startMotoS3 } from "../../helpers/moto.ts";
import { content, MIN_PART_SIZE, multipartUpload } from "../../helpers/uploads.ts";

const VERSIONED = "bv-moto-state-versioned";
const UNVERSIONED = "bv-moto-state-plain";
let moto: MotoS3;

beforeAll(async () => {
  moto = await startMotoS3();
  await moto.createBuckets({ primary: VERSIONED, replica: `${VERSIONED}-replica` });
  await moto.createBuckets({ primary: UNVERSIONED, replica: `${UNVERSIONED}-replica` }, false);
}, 60_000);

afterAll(async () => {
  await moto?.stop();
});

describe("s3ObjectReader.head", () => {
  // MD5 is left out: moto stores a SHA-256 digest under ChecksumMD5 (AWS stores the MD5).
  const algorithms = CHECKSUM_ALGORITHMS.filter((algorithm) => algorithm !== "MD5");

  it.each(algorithms)(
    "reads a %s checksum, equal to the digest engine's full-object value of the bytes",
    async (algorithm) => {
      // Prepare: the SDK computes the checksum it sends; S3 records it as the object's.
      const body = content(70_000, algorithm.length);
      const key = `algorithms/${algorithm}.bin`;
      await moto.primary.send(
        new PutObjectCommand({
          Bucket: UNVERSIONED,
          Key: key,
          Body: body,
          ChecksumAlgorithm: algorithm,
        }),
      );
      const [expected] = await digestChunks([body], [{ kind: "full-object-checksum", algorithm }]);

      // Act
      const state = await s3ObjectReader(moto.primary).head({ bucket: UNVERSIONED, key });

      // Assess
      expect(state?.checksums[algorithm]).toBe(expected?.value);
      expect(state?.size).toBe(body.length);
    },
  );

  it("says an absent object is absent", async () => {
    // Act
    const state = await s3ObjectReader(moto.primary).head({ bucket: UNVERSIONED, key: "none" });

    // Assess
    expect(state).toBeUndefined();
  });
});

describe("s3ObjectReader.partSizes", () => {
  it("reads every part's size with one HEAD per part, parts of unequal size included", async () => {
    // Prepare
    const layout = [MIN_PART_SIZE + MIN_PART_SIZE / 10, MIN_PART_SIZE, 1000];
    const body = content(layout.reduce((sum, size) => sum + size, 0));
    await multipartUpload(moto.primary, UNVERSIONED, "parts/uneven.bin", body, layout, {
      checksumAlgorithm: "CRC32",
      checksumType: "COMPOSITE",
    });
    const reader = s3ObjectReader(moto.primary);
    const state = await reader.head({ bucket: UNVERSIONED, key: "parts/uneven.bin" });
    if (!state) throw new Error("object not found");

    // Act
    const sizes = await reader.partSizes(state, { concurrency: 2 });

    // Assess
    expect(sizes).toEqual(layout);
  });

  it("gives an object uploaded in one request one part of its whole size", async () => {
    // Prepare
    const reader = s3ObjectReader(moto.primary);
    await moto.put(moto.primary, { Bucket: UNVERSIONED, Key: "parts/single.bin", Body: "12345" });
    const state = await reader.head({ bucket: UNVERSIONED, key: "parts/single.bin" });
    if (!state) throw new Error("object not found");

    // Act
    const sizes = await reader.partSizes(state, { concurrency: 2 });

    // Assess
    expect(sizes).toEqual([5]);
  });
});

describe("s3ObjectReader.readRange", () => {
  it("reads the version it was given, not the current one", async () => {
    // Prepare
    const reader = s3ObjectReader(moto.primary);
    const first = await moto.put(moto.primary, { Bucket: VERSIONED, Key: "v.txt", Body: "first" });
    await moto.put(moto.primary, { Bucket: VERSIONED, Key: "v.txt", Body: "SECOND" });
    const state = await reader.head({ bucket: VERSIONED, key: "v.txt", versionId: first });
    if (!state) throw new Error("version not found");

    // Act
    const bytes = await reader.readRange(state, 1, 3, new AbortController().signal);

    // Assess
    expect(Buffer.concat(bytes instanceof Uint8Array ? [bytes] : bytes).toString()).toBe("irs");
  });

  it("refuses to read an unversioned object that was overwritten after it was described", async () => {
    // Prepare: pinned by ETag (If-Match), a read after an overwrite fails with 412 rather than
    // mixing two objects' bytes.
    const reader = s3ObjectReader(moto.primary);
    await moto.put(moto.primary, { Bucket: UNVERSIONED, Key: "o.txt", Body: "before" });
    const state = await reader.head({ bucket: UNVERSIONED, key: "o.txt" });
    if (!state) throw new Error("object not found");
    await moto.put(moto.primary, { Bucket: UNVERSIONED, Key: "o.txt", Body: "AFTER!" });

    // Act
    const reading = reader.readRange(state, 0, 5, new AbortController().signal);

    // Assess
    await expect(reading).rejects.toMatchObject({ $metadata: { httpStatusCode: 412 } });
  });
});
