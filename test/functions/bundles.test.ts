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
import { eventBridgeObjectCreated, sqsEvent, sqsRecord } from "../helpers/events.ts";
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
function invoke(handlerFile: string, environment: Record<string, string>, event: unknown) {
  const script = `
    const { handler } = await import(${JSON.stringify(pathToFileURL(handlerFile).href)});
    const response = await handler(JSON.parse(process.env.TEST_EVENT), { functionName: "bundle", awsRequestId: "r-1", getRemainingTimeInMillis: () => 30000 });
    process.stdout.write("RESPONSE " + JSON.stringify(response) + "\\n");`;
  return new Promise<SQSBatchResponse>((resolve, reject) => {
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
      else resolve(JSON.parse(line.slice("RESPONSE ".length)) as SQSBatchResponse);
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
