/**
 * auditObject over HTTP against moto_server's versioned buckets: the current state of a key on
 * both sides, the replica bucket's current version told apart from the replicated one, and the
 * audit report. Replicas are written by the test with the source's version id kept and the
 * status REPLICA shown (keepVersionIds: what CRR does, which moto cannot); an overwrite is a
 * plain PutObject or DeleteObject on the replica bucket, as anyone else's write would be.
 */
import { DeleteObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  type AuditResult,
  auditObject,
  auditReport,
  isReportedResult,
} from "../../../shared/audit/audit-object.ts";
import type { BucketPair } from "../../../shared/contracts/bucket-pairs.ts";
import { problemWithReport } from "../../../shared/contracts/failure-report.ts";
import { deepVerificationSettings } from "../../../shared/integrity/settle.ts";
import { s3ObjectReader } from "../../../shared/s3/object-state.ts";
import type { ValidationContext } from "../../../shared/validator/validate-object.ts";
import {
  keepVersionIds,
  type MotoS3,
  putReplicated,
  recordRequests,
  startMotoS3,
} from "../../helpers/moto.ts";

const pair: BucketPair = {
  primaryBucket: "bv-audit-documents-primary",
  replicaBucket: "bv-audit-documents-replica",
  category: "documents",
};
const unversioned: BucketPair = {
  primaryBucket: "bv-audit-plain-primary",
  replicaBucket: "bv-audit-plain-replica",
  category: "plain",
};

let moto: MotoS3;
/** Requests the code under test made in the current test. */
const requests: string[] = [];
let versions: ReturnType<typeof keepVersionIds>;

beforeAll(async () => {
  moto = await startMotoS3();
  await moto.createBuckets({ primary: pair.primaryBucket, replica: pair.replicaBucket });
  await moto.createBuckets(
    { primary: unversioned.primaryBucket, replica: unversioned.replicaBucket },
    false,
  );
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
    deepVerification: deepVerificationSettings({ maxBytes: 0, read: "primary", concurrency: 2 }),
    stage: "test",
    now: () => new Date(),
    ...overrides,
  };
}

/** The primary and a replica as CRR writes it (same bytes, the source's version id, REPLICA). */
function replicated(
  key: string,
  body: string,
  target = pair,
  replicaBody?: string,
): Promise<string | undefined> {
  return putReplicated(
    moto,
    versions,
    { primary: target.primaryBucket, replica: target.replicaBucket },
    key,
    body,
    replicaBody,
  );
}

/** Someone else's PutObject on the replica bucket, after replication. */
async function overwriteReplica(key: string, body: string, target = pair) {
  return moto.put(moto.replica, {
    Bucket: target.replicaBucket,
    Key: key,
    Body: body,
    ChecksumAlgorithm: "SHA256",
  });
}

async function audit(key: string, target = pair, versionId?: string): Promise<AuditResult> {
  requests.length = 0;
  return auditObject(context(), { pair: target, key, ...(versionId ? { versionId } : {}) });
}

describe("the current state of a versioned pair", () => {
  it("proves a healthy replica with one HEAD per side", async () => {
    // Prepare
    await replicated("healthy/a.txt", "alpha");

    // Act
    const result = await audit("healthy/a.txt");

    // Assess
    expect(result.verdict).toBe("MATCH");
    expect(result.replicaCurrent).toBeUndefined();
    expect(requests.sort()).toEqual(["primary HeadObject", "replica HeadObject"]);
  });

  it("finds a replica overwritten with other bytes after replication, naming both versions", async () => {
    // Prepare
    const versionId = await replicated("over/other.txt", "the original");
    const foreign = await overwriteReplica("over/other.txt", "somebody else");

    // Act
    const result = await audit("over/other.txt");

    // Assess
    expect(result.verdict).toBe("REPLICA_OVERWRITTEN");
    expect(result.comparison?.verdict).toBe("MATCH");
    expect(result.replica?.versionId).toBe(versionId);
    expect(result.replicaCurrent?.state?.versionId).toBe(foreign);
    expect(result.replicaCurrent?.comparison?.verdict).toBe("MISMATCH");
    expect(result.reason).toContain(
      `current version ${foreign} is not the replicated version ${versionId}`,
    );
    expect(result.reason).toContain("it differs from the primary's version");
  });

  it("finds a replica written again with the same bytes, and says the content agrees", async () => {
    // Prepare
    await replicated("over/same.txt", "identical");
    await overwriteReplica("over/same.txt", "identical");

    // Act
    const result = await audit("over/same.txt");

    // Assess
    expect(result.verdict).toBe("REPLICA_OVERWRITTEN");
    expect(result.replicaCurrent?.comparison?.verdict).toBe("MATCH");
    expect(result.reason).toContain("the same content written again");
  });

  it("finds a replica deleted after replication (a delete marker on top)", async () => {
    // Prepare
    const versionId = await replicated("over/deleted.txt", "gone soon");
    await moto.replica.send(
      new DeleteObjectCommand({ Bucket: pair.replicaBucket, Key: "over/deleted.txt" }),
    );

    // Act
    const result = await audit("over/deleted.txt");

    // Assess
    expect(result.verdict).toBe("REPLICA_OVERWRITTEN");
    expect(result.replicaCurrent).toEqual({});
    expect(result.reason).toContain(`still holds the replicated version ${versionId}`);
  });

  it("reports the replicated version's own difference as MISMATCH, naming the version on top too", async () => {
    // Prepare
    await replicated("over/bad-replica.txt", "good bytes", pair, "bad  bytes");
    const foreign = await overwriteReplica("over/bad-replica.txt", "later");

    // Act
    const result = await audit("over/bad-replica.txt");

    // Assess
    expect(result.verdict).toBe("MISMATCH");
    expect(result.replicaCurrent?.state?.versionId).toBe(foreign);
  });

  it("calls a missing replica PENDING within the deadline and REPLICATION_OVERDUE after it", async () => {
    // Prepare
    await moto.put(moto.primary, { Bucket: pair.primaryBucket, Key: "late/x.txt", Body: "x" });
    const later = () => new Date(Date.now() + 3600_000);

    // Act
    const now = await audit("late/x.txt");
    const hourLater = await auditObject(context({ now: later }), { pair, key: "late/x.txt" });

    // Assess
    expect(now.verdict).toBe("PENDING");
    expect(hourLater.verdict).toBe("REPLICATION_OVERDUE");
  });

  it("keeps the engine's verdict while the primary's new version is not replicated yet", async () => {
    // Prepare: version 1 replicated, version 2 written on the primary only.
    await replicated("late/updated.txt", "version 1");
    await moto.put(moto.primary, {
      Bucket: pair.primaryBucket,
      Key: "late/updated.txt",
      Body: "version 2",
    });

    // Act
    const result = await audit("late/updated.txt");

    // Assess
    expect(result.verdict).toBe("PENDING");
  });

  it("says SOURCE_GONE for a key deleted since it was listed", async () => {
    const result = await audit("never/there.txt");

    expect(result.verdict).toBe("SOURCE_GONE");
    expect(requests.sort()).toEqual(["primary HeadObject", "replica HeadObject"]);
  });

  it("audits one given version on both sides", async () => {
    // Prepare: the version audited is not the current one.
    const first = await replicated("versions/doc.txt", "first");
    await replicated("versions/doc.txt", "second");

    // Act
    const result = await audit("versions/doc.txt", pair, first);

    // Assess
    expect(result.verdict).toBe("MATCH");
    expect(result.primary?.versionId).toBe(first);
    expect(result.replica?.versionId).toBe(first);
  });

  it("audits keys that look URL-encoded exactly as listed", async () => {
    await replicated("odd/a+b %41.txt", "plus and percent");

    const result = await audit("odd/a+b %41.txt");

    expect(result.verdict).toBe("MATCH");
    expect(result.key).toBe("odd/a+b %41.txt");
  });
});

describe("an unversioned pair", () => {
  it("finds an overwrite with other bytes as a MISMATCH", async () => {
    // Prepare
    await replicated("plain/a.txt", "original bytes", unversioned);
    await overwriteReplica("plain/a.txt", "other bytes!!!", unversioned);

    // Act
    const result = await audit("plain/a.txt", unversioned);

    // Assess
    expect(result.verdict).toBe("MISMATCH");
    expect(result.replicaCurrent).toBeUndefined();
    expect(requests.sort()).toEqual(["primary HeadObject", "replica HeadObject"]);
  });
});

describe("the replication status of the replica's current version", () => {
  it("finds a version with the primary's id that S3 replication did not write", async () => {
    // Prepare: a replica reader that shows the version without the status REPLICA, as for an
    // object copied into a versioned replica bucket under the same (null) version id.
    await replicated("status/copied.txt", "copied by hand");
    const replica = s3ObjectReader(moto.replica);
    const withoutStatus: typeof replica = {
      ...replica,
      head: async (location, signal) => {
        const state = await replica.head(location, signal);
        return state && { ...state, replicationStatus: undefined };
      },
    };

    // Act
    const result = await auditObject(context({ replica: withoutStatus }), {
      pair,
      key: "status/copied.txt",
    });

    // Assess
    expect(result.verdict).toBe("REPLICA_OVERWRITTEN");
    expect(result.reason).toContain("replication status none, not REPLICA");
  });
});

describe("errors", () => {
  it("makes a request S3 refuses for good UNCHECKABLE, and throws anything else", async () => {
    // Prepare
    const refusing = (status: number, name: string) => ({
      ...s3ObjectReader(moto.primary),
      head: async () => {
        throw Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });
      },
    });

    // Act
    const refused = await auditObject(context({ primary: refusing(400, "BadRequest") }), {
      pair,
      key: "any.txt",
    });
    const throttled = auditObject(context({ primary: refusing(503, "SlowDown") }), {
      pair,
      key: "any.txt",
    });

    // Assess
    expect(refused.verdict).toBe("UNCHECKABLE");
    expect(refused.reason).toContain("S3 refused to look up this object for good: BadRequest");
    await expect(throttled).rejects.toThrow("SlowDown");
  });
});

describe("the audit report", () => {
  it("is a valid failure report naming the audit run and the replica's current version", async () => {
    // Prepare
    const versionId = await replicated("report/over.txt", "the original");
    const foreign = await overwriteReplica("report/over.txt", "overwritten!");
    const result = await audit("report/over.txt");
    if (!isReportedResult(result)) throw new Error(result.verdict);

    // Act
    const report = auditReport(
      {
        detectedBy: { kind: "audit", runId: "run-1", via: "command" },
        detectedAt: "2026-12-04T10:00:00.000Z",
        primaryRegion: "us-east-1",
        replicaRegion: "us-west-2",
      },
      pair,
      result,
    );

    // Assess
    expect(problemWithReport(report as unknown as Record<string, unknown>)).toBeUndefined();
    expect(report).toMatchObject({
      verdict: "REPLICA_OVERWRITTEN",
      severity: "critical",
      category: "documents",
      detectedBy: { kind: "audit", runId: "run-1", via: "command" },
      object: { bucket: pair.primaryBucket, key: "report/over.txt", versionId },
      replica: { present: true, versionId },
      replicaCurrent: {
        present: true,
        versionId: foreign,
        region: "us-west-2",
        comparedWithPrimary: { verdict: "MISMATCH" },
      },
    });
  });
});
