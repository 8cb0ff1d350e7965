/**
 * The audit-worker handler as S3 Batch Operations invokes it: the documented invocation (schema
 * 2.0) in, the documented response out, over HTTP against moto_server's versioned buckets and
 * its SQS (the failure queue). The handler builds its own clients, so replicas are shown as CRR
 * writes them by a proxy (test/helpers/crr-proxy.ts: the source's version id, REPLICA), and a
 * fault proxy in front of it makes S3 answer 503 SlowDown when a test asks.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/batch-ops-invoke-lambda.html
 */
import { DeleteObjectCommand } from "@aws-sdk/client-s3";
import { CreateQueueCommand, ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { onEmulatorOrigin } from "../../../scripts/local/emulator-urls.ts";
import { type FaultProxy, startFaultProxy } from "../../../scripts/local/fault-proxy.ts";
import type { BatchOperationsResponse } from "../../../shared/audit/batch/batch-operations.ts";
import { formatBucketPairs } from "../../../shared/contracts/bucket-pairs.ts";
import { auditWorkerEnvironment } from "../../../shared/contracts/environment.ts";
import {
  type FailureReport,
  parseFailureReport,
} from "../../../shared/contracts/failure-report.ts";
import { type CrrProxy, startCrrProxy } from "../../helpers/crr-proxy.ts";
import { TEST_CREDENTIALS } from "../../helpers/emulator.ts";
import { batchOperationsEvent } from "../../helpers/events.ts";
import { lambdaContext } from "../../helpers/lambda-context.ts";
import { type MotoS3, PRIMARY_REGION, startMotoS3 } from "../../helpers/moto.ts";

const PRIMARY = "bv-worker-documents-primary";
const REPLICA = "bv-worker-documents-replica";
const RUN = {
  stage: "test",
  runId: "schedule-2026-11-29T06:00:07Z",
  startedAt: "2026-11-29T06:00:07.250Z",
};

let moto: MotoS3;
let crr: CrrProxy;
let faults: FaultProxy;
let sqs: SQSClient;
let failureQueueUrl: string;
let handler: (
  event: unknown,
  context: ReturnType<typeof lambdaContext>,
) => Promise<BatchOperationsResponse>;

beforeAll(async () => {
  moto = await startMotoS3();
  await moto.createBuckets({ primary: PRIMARY, replica: REPLICA });
  crr = await startCrrProxy(moto.server.endpoint, [REPLICA]);
  faults = await startFaultProxy(crr.endpoint);
  sqs = new SQSClient({
    endpoint: faults.endpoint,
    region: PRIMARY_REGION,
    credentials: TEST_CREDENTIALS,
  });
  const { QueueUrl = "" } = await sqs.send(
    new CreateQueueCommand({ QueueName: "bv-worker-failures" }),
  );
  // The handler's requests, reports included, go through the proxies.
  failureQueueUrl = onEmulatorOrigin(QueueUrl, faults.endpoint);
  vi.resetModules();
  const environment = {
    AWS_ENDPOINT_URL: faults.endpoint,
    AWS_REGION: PRIMARY_REGION,
    AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
    POWERTOOLS_LOG_LEVEL: "SILENT",
    ...auditWorkerEnvironment({
      stage: "test",
      bucketPairs: formatBucketPairs([
        { primaryBucket: PRIMARY, replicaBucket: REPLICA, category: "documents" },
      ]),
      replicaRegion: "us-west-2",
      failureQueueUrl,
      // One second: an object without its replica is overdue by the time a test looks.
      replicationDeadlineSeconds: "1",
      deepVerifyMaxBytes: "0",
      // Short, so the SlowDown test's retries end quickly.
      sdkRequestTimeoutMs: "2000",
    }),
  };
  for (const [name, value] of Object.entries(environment)) vi.stubEnv(name, value);
  handler = (await import("../../../functions/audit-worker/handler.ts")).handler;
}, 60_000);

afterAll(async () => {
  vi.unstubAllEnvs();
  sqs?.destroy();
  await faults?.stop();
  await crr?.stop();
  await moto?.stop();
});

/** The primary and its replica as CRR writes it; returns the version id. */
async function replicated(key: string, body: string): Promise<string> {
  const put = { Key: key, Body: body, ChecksumAlgorithm: "SHA256" } as const;
  const versionId = await moto.put(moto.primary, { Bucket: PRIMARY, ...put });
  const copy = await moto.put(moto.replica, { Bucket: REPLICA, ...put });
  if (!versionId || !copy) throw new Error("moto gave no version id");
  crr.replicated(versionId, copy);
  return versionId;
}

async function reports(): Promise<FailureReport[]> {
  const { Messages = [] } = await sqs.send(
    new ReceiveMessageCommand({ QueueUrl: failureQueueUrl, MaxNumberOfMessages: 10 }),
  );
  return Messages.map((message) => parseFailureReport(message.Body ?? "") as FailureReport);
}

function invoke(event: unknown) {
  return handler(event, lambdaContext("backup-validator-test-audit-worker"));
}

describe("audit-worker handler (S3 Batch Operations, schema 2.0)", () => {
  it("answers a healthy object Succeeded, with the verdict and evidence as the result string", async () => {
    // Prepare
    const versionId = await replicated("healthy/report.pdf", "quarterly figures");
    const event = batchOperationsEvent({ bucket: PRIMARY, s3Key: "healthy/report.pdf" }, RUN);

    // Act
    const response = await invoke(event);

    // Assess: the documented response, for the documented event
    expect(response).toEqual({
      invocationSchemaVersion: "2.0",
      treatMissingKeysAs: "PermanentFailure",
      invocationId: event.invocationId,
      results: [
        {
          taskId: event.tasks[0].taskId,
          resultCode: "Succeeded",
          resultString: JSON.stringify({
            verdict: "MATCH",
            versionId,
            evidence: "SHA256 checksum (full object)",
          }),
        },
      ],
    });
    expect(await reports()).toEqual([]);
  });

  it("decodes the key as S3 sends it (URL-encoded, + for a space)", async () => {
    // Prepare
    await replicated("photos/summer trip/IMG+0001.jpg", "pixels");

    // Act
    const response = await invoke(
      batchOperationsEvent({ bucket: PRIMARY, s3Key: "photos/summer+trip/IMG%2B0001.jpg" }, RUN),
    );

    // Assess
    expect(JSON.parse(response.results[0]?.resultString ?? "{}")).toMatchObject({
      verdict: "MATCH",
    });
  });

  it("answers an overwritten replica Succeeded, and reports it to the failure queue as found by this audit", async () => {
    // Prepare: replicated, then someone else's PutObject on the replica bucket
    const versionId = await replicated("ledger/2026.csv", "a,b,c");
    await moto.put(moto.replica, { Bucket: REPLICA, Key: "ledger/2026.csv", Body: "x,y,z" });

    // Act
    const response = await invoke(
      batchOperationsEvent({ bucket: PRIMARY, s3Key: "ledger/2026.csv" }, RUN),
    );

    // Assess: a problem is a verdict, not a failed task (the job fails past 50 % failed tasks)
    const [result] = response.results;
    expect(result?.resultCode).toBe("Succeeded");
    const summary = JSON.parse(result?.resultString ?? "{}");
    expect(summary).toMatchObject({ verdict: "REPLICA_OVERWRITTEN", versionId });
    const [report, ...more] = await reports();
    expect(more).toEqual([]);
    expect(report).toMatchObject({
      verdict: "REPLICA_OVERWRITTEN",
      severity: "critical",
      category: "documents",
      object: { bucket: PRIMARY, key: "ledger/2026.csv", versionId, replicaBucket: REPLICA },
      detectedBy: {
        kind: "audit",
        runId: RUN.runId,
        via: "batch-operations",
        startedAt: RUN.startedAt,
      },
    });
    expect(summary.reportId).toBe(report?.reportId);
  });

  it("reports a primary whose replica never came, once past the replication deadline", async () => {
    // Prepare
    await moto.put(moto.primary, { Bucket: PRIMARY, Key: "lost/scan.tiff", Body: "image" });
    // S3 times LastModified to the second: 1.6 s makes the age round to 2 s, past the 1 s.
    await new Promise((resolve) => setTimeout(resolve, 1_600));

    // Act
    const response = await invoke(
      batchOperationsEvent({ bucket: PRIMARY, s3Key: "lost/scan.tiff" }, RUN),
    );

    // Assess
    expect(response.results[0]?.resultCode).toBe("Succeeded");
    expect(JSON.parse(response.results[0]?.resultString ?? "{}").verdict).toBe(
      "REPLICATION_OVERDUE",
    );
    expect((await reports()).map((report) => report.verdict)).toEqual(["REPLICATION_OVERDUE"]);
  });

  it("answers an object deleted since the inventory Succeeded (SOURCE_GONE), without a report", async () => {
    // Prepare
    await replicated("gone/tmp.bin", "soon gone");
    await moto.primary.send(new DeleteObjectCommand({ Bucket: PRIMARY, Key: "gone/tmp.bin" }));

    // Act
    const response = await invoke(
      batchOperationsEvent({ bucket: PRIMARY, s3Key: "gone/tmp.bin" }, RUN),
    );

    // Assess
    expect(response.results[0]).toMatchObject({ resultCode: "Succeeded" });
    expect(JSON.parse(response.results[0]?.resultString ?? "{}").verdict).toBe("SOURCE_GONE");
    expect(await reports()).toEqual([]);
  });

  it("answers TemporaryFailure while S3 answers 503 SlowDown, so Batch Operations redrives the task", async () => {
    // Prepare
    await replicated("busy/a.txt", "alpha");
    faults.setPolicy((request) => (request.bucket === REPLICA ? "slow-down" : undefined));

    // Act
    const response = await invoke(
      batchOperationsEvent({ bucket: PRIMARY, s3Key: "busy/a.txt" }, RUN),
    );
    faults.setPolicy(undefined);

    // Assess
    expect(response.results[0]).toMatchObject({
      resultCode: "TemporaryFailure",
      resultString: expect.stringMatching(/\(HTTP 503\)$/),
    });
    expect(faults.injected["slow-down"]).toBeGreaterThanOrEqual(1);
  });

  it("answers PermanentFailure for a bucket that is no primary of this stage", async () => {
    // Act
    const response = await invoke(
      batchOperationsEvent({ bucket: "someone-elses-bucket", s3Key: "a.txt" }, RUN),
    );

    // Assess
    expect(response.results[0]).toEqual({
      taskId: "y5R3a2lkZ29lc2hlurcS",
      resultCode: "PermanentFailure",
      resultString: `bucket someone-elses-bucket is not a primary bucket of this stage (BUCKET_PAIRS has ${PRIMARY})`,
    });
  });

  it("fails an invocation it cannot answer at all (no invocation id)", async () => {
    await expect(invoke({ invocationSchemaVersion: "2.0", tasks: [] })).rejects.toThrow(
      "not an S3 Batch Operations invocation: the event has no invocationId",
    );
  });
});
