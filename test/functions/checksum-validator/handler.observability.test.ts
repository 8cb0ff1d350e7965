/**
 * What an operator sees in CloudWatch: one structured log line per object with the verdict and
 * the evidence, at a level that matches its gravity, and EMF metrics per outcome.
 */
import { afterAll, afterEach, beforeAll, expect, it, vi } from "vitest";
import { type Emulator, startEmulator } from "../../helpers/emulator.ts";
import { eventBridgeObjectCreated, sqsEvent, sqsRecord } from "../../helpers/events.ts";
import { lambdaContext } from "../../helpers/lambda-context.ts";
import { loadValidatorHandler, validatorEnvironment } from "../../helpers/validator-handler.ts";

const PRIMARY = "bv-obs-media-primary";
const REPLICA = "bv-obs-media-replica";
let emulator: Emulator;

beforeAll(async () => {
  emulator = await startEmulator();
  await emulator.createBuckets(PRIMARY, REPLICA);
});

afterEach(() => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
});

afterAll(async () => {
  await emulator.stop();
});

it("logs one line per object with its verdict and evidence, and counts outcomes", async () => {
  // Prepare
  const handler = await loadValidatorHandler(
    validatorEnvironment({
      ...emulator.environment(),
      BUCKET_PAIRS: JSON.stringify({ [PRIMARY]: { replica: REPLICA, category: "media" } }),
      VALIDATION_QUEUE_URL: await emulator.createQueue("bv-obs-validation"),
      FAILURE_QUEUE_URL: await emulator.createQueue("bv-obs-failures"),
      POWERTOOLS_LOG_LEVEL: "INFO",
      POWERTOOLS_METRICS_DISABLED: "false",
      POWERTOOLS_METRICS_NAMESPACE: "BackupValidatorTest",
    }),
  );
  await emulator.put(PRIMARY, "ok.mov", "frames");
  await emulator.put(REPLICA, "ok.mov", "frames");
  await emulator.put(PRIMARY, "bad.mov", "frames");
  await emulator.put(REPLICA, "bad.mov", "FRAMES");
  await emulator.put(PRIMARY, "late.mov", "frames");
  const written: string[] = [];
  // Powertools writes INFO to stdout, WARN and ERROR to stderr.
  for (const stream of [process.stdout, process.stderr]) {
    vi.spyOn(stream, "write").mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
  }

  // Act
  const events = ["ok.mov", "bad.mov", "late.mov"].map((key) =>
    sqsRecord(eventBridgeObjectCreated({ bucket: PRIMARY, key, versionId: undefined })),
  );
  await handler(sqsEvent(...events), lambdaContext("checksum-validator"));
  vi.restoreAllMocks();

  // Assess
  const lines = written
    .flatMap((chunk) => chunk.split("\n"))
    .filter(Boolean)
    .map((line) => JSON.parse(line));
  const verdictLines = lines.filter((line) => line.outcome);
  expect(
    verdictLines
      .map((line) => [line.key, line.level, line.outcome, line.message.split(":")[0]])
      .sort(),
  ).toEqual([
    ["bad.mov", "ERROR", "MISMATCH", "MISMATCH"],
    ["late.mov", "WARN", "PENDING", "PENDING"],
    ["ok.mov", "INFO", "MATCH", "MATCH"],
  ]);
  const match = verdictLines.find((line) => line.outcome === "MATCH");
  expect(match).toMatchObject({
    service: "checksum-validator",
    bucket: PRIMARY,
    replicaBucket: REPLICA,
    category: "media",
    attempt: 1,
    evidence: { kind: "full-object-checksum", algorithm: "CRC32", agrees: true },
  });
  // No whole events at info level.
  expect(written.join("")).not.toContain('"detail-type"');

  const emf = lines.find((line) => line._aws);
  expect(emf._aws.CloudWatchMetrics[0].Namespace).toBe("BackupValidatorTest");
  expect(emf["Outcome.MATCH"]).toBe(1);
  expect(emf["Outcome.MISMATCH"]).toBe(1);
  expect(emf["Outcome.PENDING"]).toBe(1);
  expect(emf.ReplicationLagObserved).toBeGreaterThanOrEqual(0);
});
