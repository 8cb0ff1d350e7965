/**
 * The audit-worker's answers for what an emulator cannot produce: S3 refusing a key for good (a
 * 400), a failure queue that refuses the report, an invocation running out of time, a job of
 * another stage, a key no object can have. Readers here are in memory: the answers over HTTP are
 * the handler's test (test/functions/audit-worker/handler.moto.test.ts).
 */
import { describe, expect, it, vi } from "vitest";
import {
  auditTasks,
  UnanswerableEventError,
  type WorkerDependencies,
} from "../../../../shared/audit/batch/audit-tasks.ts";
import type { BucketPair } from "../../../../shared/contracts/bucket-pairs.ts";
import { METRICS } from "../../../../shared/contracts/metrics.ts";
import { DeliveryError } from "../../../../shared/errors.ts";
import { deepVerificationSettings } from "../../../../shared/integrity/settle.ts";
import type { ObjectIdentity } from "../../../../shared/objects.ts";
import type { OutgoingMessage } from "../../../../shared/queues/message-sender.ts";
import type { ObjectReader, ObjectState } from "../../../../shared/s3/object-state.ts";
import { batchOperationsEvent } from "../../../helpers/events.ts";

const pair: BucketPair = {
  primaryBucket: "bv-tasks-documents-primary",
  replicaBucket: "bv-tasks-documents-replica",
  category: "documents",
};
const RUN = {
  stage: "test",
  runId: "manual-2026-11-29T06:00:07Z",
  startedAt: "2026-11-29T06:00:07.250Z",
};
const NOW = new Date("2026-11-29T06:10:00Z");

function state(bucket: string, key: string, overrides: Partial<ObjectState> = {}): ObjectState {
  return {
    bucket,
    key,
    versionId: "v1",
    size: 5,
    etag: '"2c1743a391305fbf367df8e4f069f9f9"',
    checksums: { SHA256: "LCa0a2j/xo/5m0U8HTBBNBNCLXBkg7+g+YpeiGJm564=" },
    checksumType: "FULL_OBJECT",
    lastModified: "2026-11-20T00:00:00.000Z",
    ...overrides,
  };
}

/** An in-memory side: objects by key; a key mapped to an Error throws it. */
function reader(
  objects: Record<string, ObjectState | Error>,
  asked: ObjectIdentity[] = [],
): ObjectReader {
  return {
    async head(location, signal) {
      asked.push(location);
      if (signal?.aborted) throw signal.reason;
      const found = objects[location.key];
      if (found instanceof Error) throw found;
      if (found === undefined) return undefined;
      return location.versionId === undefined || location.versionId === found.versionId
        ? found
        : undefined;
    },
    partSizes: async () => undefined,
    readRange: async () => {
      throw new Error("no bytes in memory");
    },
  };
}

function dependencies(
  primary: ObjectReader,
  replica: ObjectReader,
  sent: OutgoingMessage[] = [],
  send: (message: OutgoingMessage) => Promise<void> = async (message) => {
    sent.push(message);
  },
) {
  const metrics = { addMetric: vi.fn() };
  const log = { debug: vi.fn(), info: vi.fn(), warn: vi.fn(), error: vi.fn() };
  const deps: WorkerDependencies = {
    audit: {
      primary,
      replica,
      replicationDeadlineSeconds: 900,
      deepVerification: deepVerificationSettings({ maxBytes: 0, read: "primary", concurrency: 1 }),
      stage: "test",
      now: () => NOW,
    },
    bucketPairs: new Map([[pair.primaryBucket, pair]]),
    failureReports: { send, sendBatch: async () => undefined },
    primaryRegion: "us-east-1",
    replicaRegion: "us-west-2",
    log,
    metrics,
  };
  return { deps, metrics, log, sent };
}

const event = (s3Key: string, userArguments: Record<string, string> = RUN) =>
  batchOperationsEvent({ bucket: pair.primaryBucket, s3Key }, userArguments);
const healthy = (key: string) => ({
  primary: reader({ [key]: state(pair.primaryBucket, key, { replicationStatus: "COMPLETED" }) }),
  replica: reader({ [key]: state(pair.replicaBucket, key, { replicationStatus: "REPLICA" }) }),
});

describe("auditTasks", () => {
  it("counts a checked object, and a problem once it is reported", async () => {
    // Prepare: the replica holds other bytes under the same version
    const key = "q3.pdf";
    const { deps, metrics, sent } = dependencies(
      reader({ [key]: state(pair.primaryBucket, key) }),
      reader({
        [key]: state(pair.replicaBucket, key, {
          replicationStatus: "REPLICA",
          checksums: { SHA256: "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=" },
        }),
      }),
    );

    // Act
    const response = await auditTasks(deps, event(key));

    // Assess
    expect(response.results[0]?.resultCode).toBe("Succeeded");
    expect(JSON.parse(response.results[0]?.resultString ?? "{}")).toMatchObject({
      verdict: "MISMATCH",
      versionId: "v1",
      evidence: "SHA256 checksum (full object)",
      reason: expect.stringContaining("SHA256 checksum (full object) differs"),
    });
    expect(sent).toHaveLength(1);
    expect(sent[0]?.attributes).toEqual({
      verdict: "MISMATCH",
      severity: "critical",
      bucket: pair.primaryBucket,
      category: "documents",
    });
    expect(metrics.addMetric.mock.calls).toEqual([
      [METRICS.auditProblems, "Count", 1],
      [METRICS.auditObjectsChecked, "Count", 1],
    ]);
  });

  it("answers UNCHECKABLE (S3 refuses the key for good) PermanentFailure, and reports it", async () => {
    // Prepare: HEAD answers a bare 400, as S3 does for a key or version it rejects
    const refused = Object.assign(new Error("BadRequest"), {
      name: "BadRequest",
      $metadata: { httpStatusCode: 400 },
    });
    const { deps, sent } = dependencies(
      reader({ "bad.txt": refused }),
      reader({ "bad.txt": refused }),
    );

    // Act
    const response = await auditTasks(deps, event("bad.txt"));

    // Assess
    expect(response.results[0]?.resultCode).toBe("PermanentFailure");
    expect(JSON.parse(response.results[0]?.resultString ?? "{}")).toMatchObject({
      verdict: "UNCHECKABLE",
    });
    expect(sent.map((message) => JSON.parse(message.body).verdict)).toEqual(["UNCHECKABLE"]);
  });

  it("answers TemporaryFailure when the failure queue refuses the report, so the task and its report come again", async () => {
    // Prepare
    const key = "lost.txt";
    const { deps, metrics, log } = dependencies(
      reader({ [key]: state(pair.primaryBucket, key, { replicationStatus: "COMPLETED" }) }),
      reader({}),
      [],
      async () => {
        throw new DeliveryError("sending to the failure queue failed: KMS.AccessDeniedException");
      },
    );

    // Act
    const response = await auditTasks(deps, event(key));

    // Assess
    expect(response.results[0]).toEqual({
      taskId: "y5R3a2lkZ29lc2hlurcS",
      resultCode: "TemporaryFailure",
      resultString: "DeliveryError: sending to the failure queue failed: KMS.AccessDeniedException",
    });
    expect(metrics.addMetric).toHaveBeenCalledWith(METRICS.auditTasksFailed, "Count", 1);
    expect(log.error).toHaveBeenCalledWith(
      expect.stringMatching(/^the task failed and will be redriven: DeliveryError/),
      expect.objectContaining({
        jobId: "ry77cd60-61f6-4a2b-8a21-d07600c874gf",
        key,
        resultCode: "TemporaryFailure",
      }),
    );
  });

  it("cancels the task's requests at the deadline and answers TemporaryFailure", async () => {
    // Prepare: the replica's HEAD never answers
    const key = "stuck.txt";
    const hanging: ObjectReader = {
      ...reader({}),
      head: (_location, signal) =>
        new Promise((_resolve, reject) =>
          signal?.addEventListener("abort", () => reject(signal.reason)),
        ),
    };
    const { deps } = dependencies(reader({ [key]: state(pair.primaryBucket, key) }), hanging);

    // Act
    const response = await auditTasks(deps, event(key), Date.now() + 50);

    // Assess
    expect(response.results[0]).toMatchObject({
      resultCode: "TemporaryFailure",
      resultString: "DeadlineError: the invocation's time ran out",
    });
  });

  it("tries the key as received when its decoded form does not exist", async () => {
    // Prepare: a key that really contains "%41", which decodes to "A"
    const key = "literal%41.txt";
    const asked: ObjectIdentity[] = [];
    const { deps } = dependencies(
      reader({ [key]: state(pair.primaryBucket, key, { replicationStatus: "COMPLETED" }) }, asked),
      healthy(key).replica,
    );

    // Act
    const response = await auditTasks(deps, event("literal%41.txt"));

    // Assess
    expect(asked.map((location) => location.key)).toEqual(["literalA.txt", "literal%41.txt"]);
    expect(JSON.parse(response.results[0]?.resultString ?? "{}").verdict).toBe("MATCH");
  });

  it("refuses a job created for another stage, for good", async () => {
    // Prepare
    const { deps } = dependencies(healthy("a.txt").primary, healthy("a.txt").replica);

    // Act
    const response = await auditTasks(deps, event("a.txt", { ...RUN, stage: "prod" }));

    // Assess
    expect(response.results[0]).toMatchObject({
      resultCode: "PermanentFailure",
      resultString: "the job was created for stage prod, this worker audits stage test",
    });
  });

  it("refuses a key no S3 object can have, for good", async () => {
    // Prepare
    const { deps } = dependencies(reader({}), reader({}));

    // Act
    const response = await auditTasks(deps, event("x".repeat(1025)));

    // Assess
    expect(response.results[0]?.resultCode).toBe("PermanentFailure");
    expect(response.results[0]?.resultString).toMatch(/^the key is not one any S3 object can have/);
  });

  it("answers a job without run arguments (created by hand) with its job id as run id", async () => {
    // Prepare
    const key = "gone-replica.txt";
    const { deps, sent } = dependencies(
      reader({ [key]: state(pair.primaryBucket, key, { replicationStatus: "COMPLETED" }) }),
      reader({}),
    );

    // Act
    await auditTasks(deps, event(key, {}));

    // Assess
    expect(JSON.parse(sent[0]?.body ?? "{}").detectedBy).toEqual({
      kind: "audit",
      runId: "job-ry77cd60-61f6-4a2b-8a21-d07600c874gf",
      via: "batch-operations",
    });
  });

  it("answers every task of an invocation in order, the unreadable ones PermanentFailure", async () => {
    // Prepare
    const { deps } = dependencies(healthy("a.txt").primary, healthy("a.txt").replica);
    const twoTasks = event("a.txt");
    twoTasks.tasks = [{ taskId: "broken", s3Key: "a.txt", s3VersionId: null }, ...twoTasks.tasks];

    // Act
    const response = await auditTasks(deps, twoTasks);

    // Assess
    expect(response.results.map((result) => [result.taskId, result.resultCode])).toEqual([
      ["broken", "PermanentFailure"],
      ["y5R3a2lkZ29lc2hlurcS", "Succeeded"],
    ]);
  });

  it("throws for an event it cannot answer at all, after logging it", async () => {
    const { deps, log, metrics } = dependencies(reader({}), reader({}));
    await expect(auditTasks(deps, { hello: "world" })).rejects.toThrow(UnanswerableEventError);
    expect(metrics.addMetric).toHaveBeenCalledWith(METRICS.auditTasksFailed, "Count", 1);
    expect(log.error).toHaveBeenCalledWith(
      expect.stringMatching(/^not an S3 Batch Operations event/),
      {
        event: { hello: "world" },
      },
    );
  });
});
