/**
 * The deployable artifacts themselves: the function bundles `npm run package` puts in the
 * zips, unpacked and run on plain Node 24 (as the nodejs24.x runtime would, no test runner in
 * between) against the in-process emulator. Catches what type checks and unit tests cannot:
 * bundling, ESM/CommonJS interop, missing dependencies.
 */
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import type { SQSBatchResponse } from "aws-lambda";
import { afterAll, beforeAll, expect, it } from "vitest";
import { unpackFunction } from "../../scripts/infra/bundles.ts";
import { type DynamoDbStandIn, startDynamoDbStandIn } from "../../scripts/local/dynamodb.ts";
import { type Emulator, startEmulator } from "../helpers/emulator.ts";
import {
  batchOperationsEvent,
  eventBridgeObjectCreated,
  sqsEvent,
  sqsRecord,
} from "../helpers/events.ts";
import { packaged } from "../helpers/packaged.ts";

const PRIMARY = "bv-bundle-documents-primary";
const REPLICA = "bv-bundle-documents-replica";
let emulator: Emulator;
let dynamo: DynamoDbStandIn;
let directory: string;
let packageDir: string;

beforeAll(async () => {
  packageDir = dirname((await packaged()).paths.primary);
  directory = await mkdtemp(join(tmpdir(), "bv-bundles-"));
  emulator = await startEmulator();
  dynamo = await startDynamoDbStandIn({ tableName: "bv-bundle-alerts-sent" });
  await emulator.createBuckets(PRIMARY, REPLICA);
}, 120_000);

afterAll(async () => {
  await emulator.stop();
  await dynamo.stop();
  await rm(directory, { recursive: true, force: true });
});

/** Unpacks a function's zip and returns the path of its handler module. */
function unpack(functionName: string): Promise<string> {
  return unpackFunction(packageDir, functionName, join(directory, functionName));
}

/** Invokes a bundled handler in a fresh Node process (a cold start) and returns its response. */
function invoke<Response = SQSBatchResponse>(
  handlerFile: string,
  environment: Record<string, string>,
  event: unknown,
) {
  const script = `
    const { handler } = await import(${JSON.stringify(pathToFileURL(handlerFile).href)});
    const response = await handler(JSON.parse(process.env.TEST_EVENT), { functionName: "bundle", awsRequestId: "r-1", getRemainingTimeInMillis: () => 30000 });
    process.stdout.write("RESPONSE " + JSON.stringify(response) + "\\n");`;
  return new Promise<Response>((resolve, reject) => {
    const child = spawn(process.execPath, ["--input-type=module", "-e", script], {
      env: {
        PATH: process.env.PATH ?? "",
        ...environment,
        POWERTOOLS_LOG_LEVEL: "SILENT",
        POWERTOOLS_METRICS_DISABLED: "true",
        TEST_EVENT: JSON.stringify(event),
      },
    });
    let output = "";
    child.stdout.on("data", (chunk) => {
      output += String(chunk);
    });
    child.stderr.on("data", (chunk) => {
      output += String(chunk);
    });
    child.on("close", (code) => {
      const line = output.split("\n").find((candidate) => candidate.startsWith("RESPONSE "));
      if (code !== 0 || !line) reject(new Error(`bundle exited ${code}:\n${output}`));
      else resolve(JSON.parse(line.slice("RESPONSE ".length)) as Response);
    });
  });
}

it("runs the packaged checksum-validator and failure-notifier end to end", async () => {
  // Prepare
  const validationQueueUrl = await emulator.createQueue("bv-bundle-validation");
  const failureQueueUrl = await emulator.createQueue("bv-bundle-failures");
  const mailboxUrl = await emulator.createQueue("bv-bundle-mailbox");
  const { topicArn } = emulator.server.createTopic("bv-bundle-alerts");
  emulator.server.subscribe({ topic: "bv-bundle-alerts", queue: "bv-bundle-mailbox" });
  await emulator.put(PRIMARY, "same.txt", "identical bytes");
  await emulator.put(REPLICA, "same.txt", "identical bytes");
  await emulator.put(PRIMARY, "q3.pdf", "original");
  await emulator.put(REPLICA, "q3.pdf", "tampered");
  const validator = await unpack("checksum-validator");
  const notifier = await unpack("failure-notifier");

  // Act: the validator bundle on two uploads, then the notifier bundle on what it reported
  const validated = await invoke(
    validator,
    {
      ...emulator.environment(),
      BUCKET_PAIRS: JSON.stringify({ [PRIMARY]: { replica: REPLICA, category: "documents" } }),
      REPLICA_REGION: "us-west-2",
      VALIDATION_QUEUE_URL: validationQueueUrl,
      FAILURE_QUEUE_URL: failureQueueUrl,
    },
    sqsEvent(
      sqsRecord(eventBridgeObjectCreated({ bucket: PRIMARY, key: "same.txt" })),
      sqsRecord(eventBridgeObjectCreated({ bucket: PRIMARY, key: "q3.pdf" })),
    ),
  );
  const reports = await emulator.drain(failureQueueUrl);
  const notified = await invoke(
    notifier,
    {
      ...emulator.environment(),
      ALERT_TOPIC_ARN: topicArn,
      STAGE: "bundle",
      // Powertools idempotency in the bundle (it imports @aws-sdk/util-dynamodb undeclared).
      ALERTS_SENT_TABLE: dynamo.tableName,
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    },
    sqsEvent(...reports.map((report) => sqsRecord(report.Body))),
  );

  // Assess
  expect(validated.batchItemFailures).toEqual([]);
  expect(reports.map((report) => JSON.parse(report.Body ?? "").verdict)).toEqual(["MISMATCH"]);
  expect(notified.batchItemFailures).toEqual([]);
  const [alert, ...others] = await emulator.drain(mailboxUrl);
  expect(others).toEqual([]);
  expect(JSON.parse(alert?.Body ?? "").Subject).toBe(
    "[backup-validator bundle] MISMATCH documents: q3.pdf",
  );
}, 60_000);

it("runs the packaged audit-starter and audit-worker", async () => {
  // Prepare: the worker's failure queue and one tampered replica; no inventory yet, so the
  // starter lists and starts nothing (S3 Control has no emulator here)
  const failureQueueUrl = await emulator.createQueue("bv-bundle-audit-failures");
  await emulator.createBuckets("bv-bundle-inventory");
  await emulator.put(PRIMARY, "audit/ledger.csv", "original");
  await emulator.put(REPLICA, "audit/ledger.csv", "tampered");
  const pairs = JSON.stringify({ [PRIMARY]: { replica: REPLICA, category: "documents" } });
  const [starter, worker] = await Promise.all([unpack("audit-starter"), unpack("audit-worker")]);

  // Act
  const started = await invoke<{ pairs: { outcome: string }[] }>(
    starter,
    {
      ...emulator.environment(),
      STAGE: "bundle",
      BUCKET_PAIRS: pairs,
      INVENTORY_BUCKET: "bv-bundle-inventory",
      AUDIT_WORKER_ARN: "arn:aws:lambda:us-east-1:000000000000:function:bv-bundle-audit-worker",
      AUDIT_JOB_ROLE_ARN: "arn:aws:iam::000000000000:role/bv-bundle-audit-job",
    },
    { trigger: "schedule" },
  );
  const audited = await invoke<{ results: { resultCode: string; resultString: string }[] }>(
    worker,
    {
      ...emulator.environment(),
      STAGE: "bundle",
      BUCKET_PAIRS: pairs,
      REPLICA_REGION: "us-west-2",
      FAILURE_QUEUE_URL: failureQueueUrl,
    },
    batchOperationsEvent(
      { bucket: PRIMARY, s3Key: "audit/ledger.csv" },
      { stage: "bundle", runId: "r" },
    ),
  );

  // Assess
  expect(started.pairs.map((pair) => pair.outcome)).toEqual(["no-inventory"]);
  expect(audited.results.map((result) => result.resultCode)).toEqual(["Succeeded"]);
  expect(JSON.parse(audited.results[0]?.resultString ?? "{}").verdict).toBe("MISMATCH");
  const reports = await emulator.drain(failureQueueUrl);
  expect(reports.map((report) => JSON.parse(report.Body ?? "").verdict)).toEqual(["MISMATCH"]);
}, 60_000);

it("keeps error class names, so a bad setting is named as such at cold start", async () => {
  // Prepare
  const validator = await unpack("checksum-validator");

  // Act
  const failed = await invoke(
    validator,
    {
      ...emulator.environment(),
      BUCKET_PAIRS: "{oops",
      REPLICA_REGION: "us-west-2",
      VALIDATION_QUEUE_URL: `${emulator.endpoint}/000000000000/bv-validation`,
      FAILURE_QUEUE_URL: `${emulator.endpoint}/000000000000/bv-failures`,
    },
    sqsEvent(),
  ).then(
    () => "",
    (error: Error) => error.message,
  );

  // Assess
  expect(failed).toContain('ConfigurationError: BUCKET_PAIRS: must be a JSON object (got "{oops")');
}, 60_000);

it("ships source maps without the sources", async () => {
  // Prepare
  const validator = await unpack("checksum-validator");

  // Act
  const map = JSON.parse(await readFile(`${validator}.map`, "utf8")) as {
    sources: string[];
    sourcesContent?: unknown[];
  };

  // Assess
  expect(map.sources.some((source) => source.includes("shared/validator"))).toBe(true);
  expect(map.sourcesContent ?? []).toEqual([]);
}, 60_000);
