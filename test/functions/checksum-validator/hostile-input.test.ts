/**
 * The hostile-input corpus (test/helpers/hostile-bodies.ts) through the real checksum-validator
 * handler on the emulator: each body in a batch beside a valid record. No body may fail the
 * batch, fail its own record, or leave without a log line; each ends as its outcome says, and
 * the valid record beside it is still validated.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { type Emulator, startEmulator } from "../../helpers/emulator.ts";
import { eventBridgeObjectCreated, sqsEvent, sqsRecord } from "../../helpers/events.ts";
import { validatorCorpus } from "../../helpers/hostile-bodies.ts";
import { lambdaContext } from "../../helpers/lambda-context.ts";
import {
  type Handler,
  loadValidatorHandler,
  validatorEnvironment,
} from "../../helpers/validator-handler.ts";

const PRIMARY = "bv-hostile-documents-primary";
const REPLICA = "bv-hostile-documents-replica";
const KEY = "ok.txt";
let emulator: Emulator;
let handler: Handler;
let failureQueueUrl: string;
let validationQueueUrl: string;

beforeAll(async () => {
  emulator = await startEmulator();
  await emulator.createBuckets(PRIMARY, REPLICA);
  await emulator.put(PRIMARY, KEY, "the same bytes");
  await emulator.put(REPLICA, KEY, "the same bytes");
  failureQueueUrl = await emulator.createQueue("bv-hostile-failures");
  validationQueueUrl = await emulator.createQueue("bv-hostile-validation");
  handler = await loadValidatorHandler(
    validatorEnvironment({
      ...emulator.environment(),
      BUCKET_PAIRS: JSON.stringify({ [PRIMARY]: { replica: REPLICA, category: "documents" } }),
      FAILURE_QUEUE_URL: failureQueueUrl,
      VALIDATION_QUEUE_URL: validationQueueUrl,
      POWERTOOLS_LOG_LEVEL: "INFO",
    }),
  );
});

afterEach(() => {
  vi.restoreAllMocks();
});

afterAll(async () => {
  vi.unstubAllEnvs();
  await emulator.stop();
});

/** The handler's structured log lines while `act` runs (Powertools writes to stdout/stderr). */
async function logLinesOf(act: () => Promise<unknown>): Promise<Record<string, unknown>[]> {
  const written: string[] = [];
  for (const stream of [process.stdout, process.stderr]) {
    vi.spyOn(stream, "write").mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
  }
  try {
    await act();
  } finally {
    vi.restoreAllMocks();
  }
  return written
    .flatMap((chunk) => chunk.split("\n"))
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

const corpus = validatorCorpus(PRIMARY, KEY);

describe("the hostile-input corpus, each beside a valid record", () => {
  it("has at least 60 bodies", () => {
    expect(corpus.length).toBeGreaterThanOrEqual(60);
  });

  it.each(corpus.map((item) => [item.name, item] as const))("%s", async (_name, item) => {
    // Prepare
    const hostile = sqsRecord(item.body);
    const valid = sqsRecord(eventBridgeObjectCreated({ bucket: PRIMARY, key: KEY }));

    // Act
    let response: Awaited<ReturnType<Handler>> | undefined;
    const lines = await logLinesOf(async () => {
      response = await handler(
        sqsEvent(hostile, valid),
        lambdaContext("checksum-validator", "hostile", 60_000),
      );
    });
    const reports = (await emulator.drain(failureQueueUrl)).map((message) =>
      JSON.parse(message.Body ?? ""),
    );
    const checks = await emulator.drain(validationQueueUrl);

    // Assess: nothing failed, the valid record was validated
    expect(response?.batchItemFailures).toEqual([]);
    const outcomesOf = (messageId: string) =>
      lines.filter((line) => line.messageId === messageId).map((line) => line.outcome);
    expect(outcomesOf(valid.messageId)).toEqual(["MATCH"]);
    // ... and the hostile one ended as documented, with a log line naming it
    const hostileOutcomes = outcomesOf(hostile.messageId);
    expect(hostileOutcomes.length).toBeGreaterThan(0);
    expect(new Set(hostileOutcomes)).toEqual(new Set([item.outcome]));
    if (item.outcome === "MALFORMED_EVENT" || item.outcome === "UNMAPPED_BUCKET") {
      expect(reports.map((report) => report.verdict)).toEqual([item.outcome]);
      // A report stays far below SQS's message size limit, whatever the body held.
      expect(Buffer.byteLength(JSON.stringify(reports[0]))).toBeLessThan(200 * 1024);
    } else {
      expect(reports).toEqual([]);
    }
    expect(checks).toHaveLength(item.outcome === "SPLIT" ? 2 : 0);
  });
});
