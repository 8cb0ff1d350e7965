/**
 * validateObject, the code the Lambda and `npm run verify` run, over HTTP against moto_server:
 * versioned buckets, every evidence path, part layouts read with HeadObject PartNumber, deep
 * verification of single-part, multipart and SSE-KMS objects, and memory that does not grow
 * with the object. Each expected verdict follows from AWS's documented behaviour (S3 API
 * reference, Object: ETag; "Checking object integrity"), never from what moto happens to answer;
 * test/helpers/moto.ts lists the answers worked around.
 */
import type { ChecksumAlgorithm, ChecksumType, S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { BucketPair } from "../../../shared/contracts/bucket-pairs.ts";
import { planDeepRead, runDeepRead } from "../../../shared/integrity/deep-read.ts";
import { deepVerificationSettings } from "../../../shared/integrity/settle.ts";
import { CHECKSUM_ALGORITHMS, s3ObjectReader } from "../../../shared/s3/object-state.ts";
import {
  type ValidationContext,
  type ValidationResult,
  validateObject,
} from "../../../shared/validator/validate-object.ts";
import { keepVersionIds, type MotoS3, recordRequests, startMotoS3 } from "../../helpers/moto.ts";
import { content, MIN_PART_SIZE, multipartUpload } from "../../helpers/uploads.ts";

const MiB = 1024 * 1024;
const pair: BucketPair = {
  primaryBucket: "bv-moto-documents-primary",
  replicaBucket: "bv-moto-documents-replica",
  category: "documents",
};
/** 11 MiB cut as 5+5+1 MiB and as 5.5+5+0.5 MiB: the same part count, other boundaries. */
const EVEN = [MIN_PART_SIZE, MIN_PART_SIZE, MiB];
const UNEVEN = [MIN_PART_SIZE + MiB / 2, MIN_PART_SIZE, MiB / 2];
/** 6 MiB as 5+1 and as 5.5+0.5 MiB. */
const SHORT = [MIN_PART_SIZE, MiB];
const SHORT_OTHER = [MIN_PART_SIZE + MiB / 2, MiB / 2];

let moto: MotoS3;
/** Requests the code under test made in the current test. */
const requests: string[] = [];
let versions: ReturnType<typeof keepVersionIds>;

beforeAll(async () => {
  moto = await startMotoS3();
  await moto.createBuckets({ primary: pair.primaryBucket, replica: pair.replicaBucket });
  versions = keepVersionIds(moto.replica);
  recordRequests(moto.primary, "primary", requests);
  recordRequests(moto.replica, "replica", requests);
}, 60_000);

beforeEach(() => {
  requests.length = 0;
});

afterAll(async () => {
  await moto?.stop();
});

function context(overrides: Partial<ValidationContext> = {}): ValidationContext {
  return {
    primary: s3ObjectReader(moto.primary),
    replica: s3ObjectReader(moto.replica),
    replicationDeadlineSeconds: 900,
    deepVerification: deepVerificationSettings({
      maxBytes: 1024 * MiB,
      read: "primary",
      concurrency: 4,
    }),
    stage: "test",
    now: () => new Date(),
    ...overrides,
  };
}

/** How one side is uploaded. */
interface Upload {
  readonly body: Uint8Array;
  /** Part sizes of a multipart upload; one request without. */
  readonly parts?: readonly number[];
  readonly checksum?: ChecksumAlgorithm;
  readonly checksumType?: ChecksumType;
  readonly kms?: boolean;
}

const KMS_KEY = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";

async function upload(client: S3Client, bucket: string, key: string, side: Upload) {
  const kms = side.kms ? { serverSideEncryption: "aws:kms" as const, sseKmsKeyId: KMS_KEY } : {};
  if (side.parts) {
    return multipartUpload(client, bucket, key, side.body, side.parts, {
      checksumAlgorithm: side.checksum,
      checksumType: side.checksumType,
      ...kms,
    });
  }
  return moto.put(client, {
    Bucket: bucket,
    Key: key,
    Body: side.body,
    ChecksumAlgorithm: side.checksum,
    ...(side.kms ? { ServerSideEncryption: "aws:kms", SSEKMSKeyId: KMS_KEY } : {}),
  });
}

/**
 * Writes the primary and its "replica" (moto does not replicate), keeping the source's version
 * ID on the replica as CRR does, and checks the primary's version.
 */
async function check(
  key: string,
  primary: Upload,
  replica: Upload,
  overrides: Partial<ValidationContext> = {},
): Promise<ValidationResult> {
  const versionId = await upload(moto.primary, pair.primaryBucket, key, primary);
  const copy = await upload(moto.replica, pair.replicaBucket, key, replica);
  if (!versionId || !copy) throw new Error("moto gave no version ID");
  versions.replicated(versionId, copy);
  requests.length = 0;
  return validateObject(context(overrides), { pair, key, versionId });
}

function changed(bytes: Uint8Array, position: number): Uint8Array {
  const copy = Uint8Array.from(bytes);
  copy[position] = (copy[position] ?? 0) ^ 0x01;
  return copy;
}

describe("versioned buckets", () => {
  it("checks the version the event names on both sides, not the current objects", async () => {
    // Prepare: version 1 was replicated wrongly; version 2 (current) correctly.
    const key = "versions/report.csv";
    const v1 = await moto.put(moto.primary, { Bucket: pair.primaryBucket, Key: key, Body: "v1" });
    const v1Copy = await moto.put(moto.replica, {
      Bucket: pair.replicaBucket,
      Key: key,
      Body: "V1",
    });
    const v2 = await moto.put(moto.primary, { Bucket: pair.primaryBucket, Key: key, Body: "v2" });
    const v2Copy = await moto.put(moto.replica, {
      Bucket: pair.replicaBucket,
      Key: key,
      Body: "v2",
    });
    if (!v1 || !v1Copy || !v2 || !v2Copy) throw new Error("moto gave no version ID");
    versions.replicated(v1, v1Copy);
    versions.replicated(v2, v2Copy);

    // Act
    const first = await validateObject(context(), { pair, key, versionId: v1 });
    const second = await validateObject(context(), { pair, key, versionId: v2 });

    // Assess
    expect(first).toMatchObject({ verdict: "MISMATCH", primary: { versionId: v1 } });
    expect(first.replica?.versionId).toBe(v1);
    expect(second).toMatchObject({ verdict: "MATCH", primary: { versionId: v2 } });
  });

  it("waits for a version the replica bucket does not have yet", async () => {
    // Prepare: the replica holds an older version of the key only.
    const key = "versions/late.csv";
    const old = await moto.put(moto.primary, { Bucket: pair.primaryBucket, Key: key, Body: "a" });
    const oldCopy = await moto.put(moto.replica, {
      Bucket: pair.replicaBucket,
      Key: key,
      Body: "a",
    });
    if (!old || !oldCopy) throw new Error("moto gave no version ID");
    versions.replicated(old, oldCopy);
    const latest = await moto.put(moto.primary, {
      Bucket: pair.primaryBucket,
      Key: key,
      Body: "b",
    });

    // Act
    const result = await validateObject(context(), { pair, key, versionId: latest });

    // Assess
    expect(result.verdict).toBe("PENDING");
  });
});

describe("evidence from what S3 recorded", () => {
  // MD5 is left out: moto records a SHA-256 digest as ChecksumMD5.
  it.each(CHECKSUM_ALGORITHMS.filter((algorithm) => algorithm !== "MD5"))(
    "a full-object %s checksum decides, for and against",
    async (algorithm) => {
      // Prepare
      const body = content(40_000, 3);
      const same = { body, checksum: algorithm };

      // Act
      const equal = await check(`algorithms/${algorithm}.bin`, same, same);
      const other = await check(`algorithms/${algorithm}-bad.bin`, same, {
        body: changed(body, 20_000),
        checksum: algorithm,
      });

      // Assess
      expect(equal.verdict).toBe("MATCH");
      expect(equal.comparison?.basis).toMatchObject({ kind: "full-object-checksum", algorithm });
      expect(other.verdict).toBe("MISMATCH");
      expect(other.comparison?.basis).toMatchObject({ algorithm, agrees: false });
      expect(requests.filter((request) => request.includes("GetObject"))).toEqual([]);
    },
  );

  it("compares a plaintext with an SSE-S3 single-part ETag (both MD5s of the data)", async () => {
    // Prepare: no checksum algorithm in common, so only the ETags speak.
    const body = content(30_000, 4);
    const key = "etags/sse-s3.bin";
    const versionId = await upload(moto.primary, pair.primaryBucket, key, {
      body,
      checksum: "SHA256",
    });
    const copy = await moto.put(moto.replica, {
      Bucket: pair.replicaBucket,
      Key: key,
      Body: body,
      ChecksumAlgorithm: "CRC32",
      ServerSideEncryption: "AES256",
    });
    if (!versionId || !copy) throw new Error("moto gave no version ID");
    versions.replicated(versionId, copy);

    // Act
    const result = await validateObject(context(), { pair, key, versionId });

    // Assess
    expect(result.verdict).toBe("MATCH");
    expect(result.comparison?.basis).toMatchObject({ kind: "etag", algorithm: "MD5" });
    expect(result.deepVerification).toBeUndefined();
  });

  it("an equal full-object CRC32 decides across other part layouts, without reading a part or a byte", async () => {
    // Prepare
    const body = content(6 * MiB, 5);
    const full = { checksum: "CRC32", checksumType: "FULL_OBJECT" } as const;

    // Act
    const result = await check(
      "layouts/full-object.bin",
      { body, parts: SHORT, ...full },
      { body, parts: SHORT_OTHER, ...full },
    );

    // Assess
    expect(result.verdict).toBe("MATCH");
    expect(result.comparison?.basis).toMatchObject({ kind: "full-object-checksum" });
    expect(requests.sort()).toEqual(["primary HeadObject", "replica HeadObject"]);
  });

  it("MISMATCH for a changed byte between equal part layouts, shown equal by one HEAD per part", async () => {
    // Prepare
    const body = content(11 * MiB, 6);
    const composite = { checksum: "CRC32", checksumType: "COMPOSITE" } as const;

    // Act
    const result = await check(
      "layouts/equal-changed.bin",
      { body, parts: EVEN, ...composite },
      { body: changed(body, 7 * MiB), parts: EVEN, ...composite },
    );

    // Assess
    expect(result.verdict).toBe("MISMATCH");
    expect(result.comparison?.basis).toMatchObject({ kind: "composite-checksum", parts: 3 });
    expect(result.deepVerification).toBeUndefined();
    expect(result.primary?.partSizes).toEqual(EVEN);
    expect(requests.filter((request) => request.endsWith("part")).length).toBe(6);
  });
});

describe("deep verification settles what the records cannot", () => {
  it("MATCH, not MISMATCH, for identical bytes cut at other boundaries with the same part count", async () => {
    // Prepare: 5+5+1 MiB vs 5.5+5+0.5 MiB; both the multipart ETags and the composite CRC32s
    // differ, and neither is evidence.
    const body = content(11 * MiB, 7);
    const composite = { checksum: "CRC32", checksumType: "COMPOSITE" } as const;

    // Act
    const result = await check(
      "layouts/relaid.bin",
      { body, parts: EVEN, ...composite },
      { body, parts: UNEVEN, ...composite },
    );

    // Assess
    expect(result.verdict).toBe("MATCH");
    expect(result.comparison?.notComparable).toEqual(
      expect.arrayContaining([expect.stringContaining("so do the part layouts (part 1 is")]),
    );
    // The replica's composite CRC32 over its own layout, computed from the primary's bytes.
    expect(result.comparison?.basis).toMatchObject({
      kind: "composite-checksum",
      algorithm: "CRC32",
      parts: 3,
      computedFrom: "primary",
      agrees: true,
    });
    expect(result.deepVerification).toMatchObject({
      outcome: "verified",
      read: "primary",
      bytesRead: body.length,
    });
    expect(requests.filter((request) => request.startsWith("replica GetObject"))).toEqual([]);
  });

  it.each([
    ["first", 0],
    ["middle", 3 * MiB],
    ["last", 6 * MiB - 1],
  ])("MISMATCH for a changed %s byte behind other part layouts", async (where, position) => {
    // Prepare
    const body = content(6 * MiB, 8);
    const composite = { checksum: "CRC32", checksumType: "COMPOSITE" } as const;

    // Act
    const result = await check(
      `layouts/changed-${where}.bin`,
      { body, parts: SHORT, ...composite },
      { body: changed(body, position), parts: SHORT_OTHER, ...composite },
    );

    // Assess
    expect(result.verdict).toBe("MISMATCH");
    expect(result.comparison?.basis).toMatchObject({ computedFrom: "primary", agrees: false });
  });

  it("reproduces a full-object checksum from a side with a composite one", async () => {
    // Prepare: composite CRC32 on the primary, full-object CRC32 on the replica.
    const body = content(6 * MiB, 9);

    // Act
    const same = await check(
      "types/full-vs-composite.bin",
      { body, parts: SHORT, checksum: "CRC32", checksumType: "COMPOSITE" },
      { body, parts: SHORT_OTHER, checksum: "CRC32", checksumType: "FULL_OBJECT" },
    );
    const other = await check(
      "types/full-vs-composite-bad.bin",
      { body, parts: SHORT, checksum: "CRC32", checksumType: "COMPOSITE" },
      {
        body: changed(body, 1),
        parts: SHORT_OTHER,
        checksum: "CRC32",
        checksumType: "FULL_OBJECT",
      },
    );

    // Assess
    expect(same.comparison?.notComparable).toContain(
      "CRC32 checksum: composite of 2 parts on the primary vs full-object on the replica",
    );
    expect(same.verdict).toBe("MATCH");
    expect(same.comparison?.basis).toMatchObject({ kind: "full-object-checksum", agrees: true });
    expect(other.verdict).toBe("MISMATCH");
  });

  it("MATCH for a multipart primary and a single-part replica of the same bytes", async () => {
    // Prepare
    const body = content(6 * MiB, 10);

    // Act
    const result = await check(
      "layouts/multi-vs-single.bin",
      { body, parts: SHORT, checksum: "SHA256", checksumType: "COMPOSITE" },
      { body, checksum: "SHA256" },
    );

    // Assess
    expect(result.verdict).toBe("MATCH");
    expect(result.comparison?.basis).toMatchObject({
      kind: "full-object-checksum",
      algorithm: "SHA256",
      computedFrom: "primary",
    });
  });

  it("reads both sides of SSE-KMS objects without checksums, whose ETags are no evidence", async () => {
    // Prepare: no additional checksum (moto stores none when the SDK sends none); on AWS the
    // ETags of SSE-KMS objects are not MD5s of the data, so only the bytes can decide.
    const noChecksum = moto.client("us-east-1", { requestChecksumCalculation: "WHEN_REQUIRED" });
    const body = content(3 * MiB, 11);
    const key = "kms/no-checksum.bin";
    const badKey = "kms/no-checksum-bad.bin";
    const put = (bucket: string, name: string, bytes: Uint8Array) =>
      moto.put(noChecksum, {
        Bucket: bucket,
        Key: name,
        Body: bytes,
        ServerSideEncryption: "aws:kms",
        SSEKMSKeyId: KMS_KEY,
      });
    for (const [name, replicaBytes] of [
      [key, body],
      [badKey, changed(body, MiB)],
    ] as const) {
      const versionId = await put(pair.primaryBucket, name, body);
      const copy = await put(pair.replicaBucket, name, replicaBytes);
      if (!versionId || !copy) throw new Error("moto gave no version ID");
      versions.replicated(versionId, copy);
    }
    noChecksum.destroy();

    // Act
    const same = await validateObject(context(), { pair, key });
    const other = await validateObject(context(), { pair, key: badKey });

    // Assess
    expect(same.comparison?.notComparable).toContain(
      "ETag: primary is encrypted with aws:kms, so its ETag is not an MD5 of the content; replica is encrypted with aws:kms, so its ETag is not an MD5 of the content",
    );
    expect(same.verdict).toBe("MATCH");
    expect(same.deepVerification).toMatchObject({ read: "both", bytesRead: 2 * body.length });
    expect(same.comparison?.basis).toMatchObject({ algorithm: "SHA256", computedFrom: "both" });
    expect(other.verdict).toBe("MISMATCH");
  });

  it("reads the replica's own bytes when told to", async () => {
    // Prepare
    const body = content(6 * MiB, 12);
    const replicaRead = context({
      deepVerification: deepVerificationSettings({
        maxBytes: 1024 * MiB,
        read: "replica",
        concurrency: 4,
      }),
    });

    // Act
    const result = await check(
      "reads/replica.bin",
      { body, checksum: "CRC64NVME" },
      { body, parts: SHORT, checksum: "CRC32", checksumType: "COMPOSITE" },
      replicaRead,
    );

    // Assess
    expect(result.verdict).toBe("MATCH");
    // The primary's single-part ETag (MD5) costs less to reproduce than its CRC64NVME.
    expect(result.comparison?.basis).toMatchObject({ kind: "etag", computedFrom: "replica" });
    expect(requests.filter((request) => request.includes("GetObject"))[0]).toBe(
      "replica GetObject",
    );
  });

  it("leaves an object above the size limit UNVERIFIABLE with the command that settles it", async () => {
    // Prepare
    const body = content(6 * MiB, 13);
    const small = context({
      deepVerification: deepVerificationSettings({
        maxBytes: MiB,
        read: "primary",
        concurrency: 4,
      }),
    });

    // Act
    const result = await check(
      "limits/too-large.bin",
      { body, parts: SHORT, checksum: "CRC32", checksumType: "COMPOSITE" },
      { body, checksum: "CRC32" },
      small,
    );

    // Assess
    expect(result.verdict).toBe("UNVERIFIABLE");
    expect(result.deepVerification).toMatchObject({ outcome: "too-large", bytesRead: 0 });
    expect(result.reason).toMatch(
      /above the deep-verification size limit .*: npm run verify -- s3:\/\/bv-moto-documents-primary\/limits\/too-large\.bin --version-id \S+ --stage test --deep$/,
    );
    expect(requests.filter((request) => request.includes("GetObject"))).toEqual([]);
  });
});

describe("memory", () => {
  it("holds the same bytes reading a 4 MiB and a 40 MiB object: concurrency x chunk size", async () => {
    // Prepare
    const reader = s3ObjectReader(moto.primary);
    const peaks: number[] = [];
    for (const size of [4 * MiB, 40 * MiB]) {
      const key = `memory/${size}.bin`;
      await moto.put(moto.primary, { Bucket: pair.primaryBucket, Key: key, Body: content(size) });
      const state = await reader.head({ bucket: pair.primaryBucket, key });
      if (!state) throw new Error("object not found");
      const plan = planDeepRead(state, state, "primary");
      if (plan.kind === "needs-part-layout") throw new Error("unexpected plan");

      // Act
      const outcome = await runDeepRead(
        plan,
        size,
        {
          primary: (start, end, signal) => reader.readRange(state, start, end, signal),
          replica: (start, end, signal) => reader.readRange(state, start, end, signal),
        },
        { chunkSize: MiB, concurrency: 4 },
      );

      // Assess
      expect(outcome.evidence?.agrees).toBe(true);
      peaks.push(outcome.peakBytesHeld);
    }
    expect(peaks).toEqual([4 * MiB, 4 * MiB]);
  });
});
