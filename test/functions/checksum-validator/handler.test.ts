/**
 * The real checksum-validator handler, over HTTP, against real objects and queues in the
 * in-process emulator (fauxqs). The emulator has no replication, so each test writes the
 * replica itself: identical, corrupted, re-laid-out, late or never.
 */
import type { Message } from "@aws-sdk/client-sqs";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import type { FailureReport } from "../../../shared/contracts/failure-report.ts";
import { CONCLUDE_RESERVE_MS, RESPONSE_MARGIN_MS } from "../../../shared/record-time.ts";
import { type Emulator, startEmulator } from "../../helpers/emulator.ts";
import {
  eventBridgeObjectCreated,
  s3Notification,
  sqsEvent,
  sqsRecord,
} from "../../helpers/events.ts";
import { lambdaContext } from "../../helpers/lambda-context.ts";
import { content, MIN_PART_SIZE, multipartUpload } from "../../helpers/uploads.ts";
import {
  type Handler,
  loadValidatorHandler,
  validatorEnvironment,
} from "../../helpers/validator-handler.ts";

const PRIMARY = "bv-it-documents-primary";
const REPLICA = "bv-it-documents-replica";
const DEADLINE_SECONDS = 2;

let emulator: Emulator;
let validationQueueUrl: string;
let failureQueueUrl: string;

async function loadHandler(overrides: Record<string, string> = {}): Promise<Handler> {
  return loadValidatorHandler(
    validatorEnvironment({
      ...emulator.environment(),
      BUCKET_PAIRS: JSON.stringify({ [PRIMARY]: { replica: REPLICA, category: "documents" } }),
      VALIDATION_QUEUE_URL: validationQueueUrl,
      FAILURE_QUEUE_URL: failureQueueUrl,
      REPLICATION_DEADLINE_SECONDS: String(DEADLINE_SECONDS),
      // The shortest allowed re-check delay, so the test receives re-checks within a second.
      RETRY_BASE_DELAY_SECONDS: "1",
      ...overrides,
    }),
  );
}

function uploadEvent(key: string) {
  return eventBridgeObjectCreated({ bucket: PRIMARY, key, time: new Date().toISOString() });
}

async function reports(): Promise<FailureReport[]> {
  return (await emulator.drain(failureQueueUrl)).map((message) => JSON.parse(message.Body ?? ""));
}

/** Re-checks the validator queued (delayed by the 1 s base delay). */
async function pendingChecks(): Promise<Message[]> {
  return emulator.drain(validationQueueUrl, 2);
}

/** Nothing re-queued, not even with a delay. */
function nothingRequeued(): boolean {
  return emulator.queued(validationQueueUrl) === 0;
}

beforeAll(async () => {
  emulator = await startEmulator();
  await emulator.createBuckets(PRIMARY, REPLICA);
  validationQueueUrl = await emulator.createQueue("bv-it-validation");
  failureQueueUrl = await emulator.createQueue("bv-it-failures");
});

afterEach(() => {
  vi.unstubAllEnvs();
  // Clears messages (delayed ones too) and objects; keeps queues and buckets.
  emulator.server.reset();
});

afterAll(async () => {
  await emulator.stop();
});

describe("checksum-validator on real objects", () => {
  it("MATCH for an identical single-part replica: nothing reported, nothing re-queued", async () => {
    const handler = await loadHandler();
    await emulator.put(PRIMARY, "single.txt", "hello, replica");
    await emulator.put(REPLICA, "single.txt", "hello, replica");

    const response = await handler(
      sqsEvent(sqsRecord(uploadEvent("single.txt"))),
      lambdaContext("checksum-validator"),
    );

    expect(response.batchItemFailures).toEqual([]);
    expect(await reports()).toEqual([]);
    expect(nothingRequeued()).toBe(true);
  });

  it("MATCH for multipart uploads with the same part layout", async () => {
    const handler = await loadHandler();
    const body = content(MIN_PART_SIZE + 1024);
    await multipartUpload(emulator.s3, PRIMARY, "multipart-same.bin", body, [MIN_PART_SIZE, 1024], {
      checksumAlgorithm: "CRC32",
    });
    await multipartUpload(emulator.s3, REPLICA, "multipart-same.bin", body, [MIN_PART_SIZE, 1024], {
      checksumAlgorithm: "CRC32",
    });

    const response = await handler(
      sqsEvent(sqsRecord(uploadEvent("multipart-same.bin"))),
      lambdaContext("checksum-validator"),
    );

    expect(response.batchItemFailures).toEqual([]);
    expect(await reports()).toEqual([]);
  });

  it("MATCH by reading the bytes for the same bytes with another part layout, MISMATCH for a changed byte", async () => {
    // Prepare: the same 10 MiB + 10 bytes uploaded as 2 parts on the primary, and on the replica
    // as 3 parts, as one request, and as 3 parts with one byte changed. No recorded value can be
    // compared (other layouts), so the validator reads the primary's bytes and reproduces what
    // the replica records.
    const handler = await loadHandler();
    const body = content(2 * MIN_PART_SIZE + 10);
    const changed = Buffer.from(body);
    changed[MIN_PART_SIZE] = (changed[MIN_PART_SIZE] ?? 0) ^ 0x01;
    const primaryLayout = [MIN_PART_SIZE, MIN_PART_SIZE + 10];
    const replicaLayout = [MIN_PART_SIZE, MIN_PART_SIZE, 10];
    const crc32 = { checksumAlgorithm: "CRC32" } as const;
    for (const key of ["relaid.bin", "multi-vs-single.bin", "relaid-changed.bin"]) {
      await multipartUpload(emulator.s3, PRIMARY, key, body, primaryLayout, crc32);
    }
    await multipartUpload(emulator.s3, REPLICA, "relaid.bin", body, replicaLayout, crc32);
    await emulator.put(REPLICA, "multi-vs-single.bin", body);
    await multipartUpload(
      emulator.s3,
      REPLICA,
      "relaid-changed.bin",
      changed,
      replicaLayout,
      crc32,
    );

    // Act
    const response = await handler(
      sqsEvent(
        sqsRecord(uploadEvent("relaid.bin")),
        sqsRecord(uploadEvent("multi-vs-single.bin")),
        sqsRecord(uploadEvent("relaid-changed.bin")),
      ),
      lambdaContext("checksum-validator"),
    );

    // Assess
    expect(response.batchItemFailures).toEqual([]);
    const [report, ...others] = await reports();
    expect(others).toEqual([]);
    expect(report).toMatchObject({
      verdict: "MISMATCH",
      object: { key: "relaid-changed.bin" },
      evidence: { basis: { agrees: false } },
    });
    expect(report?.evidence?.basis?.computedFrom).toBeDefined();
    expect(report?.evidence?.notComparable).toContain(
      "ETag: multipart with 2 parts on the primary vs multipart with 3 parts on the replica (different upload layouts never have equal ETags)",
    );
    expect(nothingRequeued()).toBe(true);
  });

  it("UNVERIFIABLE, with the command that settles it, when deep verification is off", async () => {
    // Prepare
    const handler = await loadHandler({ DEEP_VERIFY_MAX_BYTES: "0" });
    const body = content(MIN_PART_SIZE + 10);
    await multipartUpload(emulator.s3, PRIMARY, "off.bin", body, [MIN_PART_SIZE, 10], {
      checksumAlgorithm: "CRC32",
    });
    await emulator.put(REPLICA, "off.bin", body);

    // Act
    const response = await handler(
      sqsEvent(sqsRecord(uploadEvent("off.bin"))),
      lambdaContext("checksum-validator"),
    );

    // Assess
    expect(response.batchItemFailures).toEqual([]);
    const [report] = await reports();
    expect(report).toMatchObject({ verdict: "UNVERIFIABLE", severity: "warning" });
    expect(report?.summary).toContain(
      "deep verification is turned off; settle it by reading the bytes from a workstation: npm run verify -- s3://bv-it-documents-primary/off.bin --stage test --deep",
    );
  });

  it("hands a deep verification that cannot finish in the time left off to a check of its own", async () => {
    // Prepare: an invocation with no time left beyond the margins kept for answering Lambda and
    // for reporting, so the deep read's deadline has passed before it starts.
    const handler = await loadHandler();
    const body = content(MIN_PART_SIZE + 10);
    await multipartUpload(emulator.s3, PRIMARY, "late-read.bin", body, [MIN_PART_SIZE, 10], {
      checksumAlgorithm: "CRC32",
    });
    await emulator.put(REPLICA, "late-read.bin", body);
    const outOfTime = {
      ...lambdaContext("checksum-validator"),
      getRemainingTimeInMillis: () => RESPONSE_MARGIN_MS + CONCLUDE_RESERVE_MS,
    };

    // Act
    const first = await handler(sqsEvent(sqsRecord(uploadEvent("late-read.bin"))), outOfTime);
    const [handedOff] = await emulator.drain(validationQueueUrl);
    const again = await handler(sqsEvent(sqsRecord(handedOff?.Body)), outOfTime);
    const [reported] = await reports();
    const withTime = await handler(
      sqsEvent(sqsRecord(handedOff?.Body)),
      lambdaContext("checksum-validator"),
    );

    // Assess
    expect(first.batchItemFailures).toEqual([]);
    expect(JSON.parse(handedOff?.Body ?? "")).toMatchObject({
      type: "backup-validator.pending-check",
      attempt: 2,
      handoffs: 1,
      object: { key: "late-read.bin" },
    });
    // Handed off once only: the second time it is reported with the command that settles it.
    expect(again.batchItemFailures).toEqual([]);
    expect(reported).toMatchObject({ verdict: "UNVERIFIABLE", attempts: 2 });
    expect(reported?.summary).toMatch(/did not finish in the time left .* --deep$/);
    // With the time of a whole invocation it settles.
    expect(withTime.batchItemFailures).toEqual([]);
    expect(await reports()).toEqual([]);
    expect(nothingRequeued()).toBe(true);
  });

  it("MISMATCH for a corrupted replica of the same size, with both sides in the report", async () => {
    const handler = await loadHandler();
    await emulator.put(PRIMARY, "ledger.csv", "amount\n100\n");
    await emulator.put(REPLICA, "ledger.csv", "amount\n900\n");

    const record = sqsRecord(uploadEvent("ledger.csv"));
    const response = await handler(sqsEvent(record), lambdaContext("checksum-validator"));

    expect(response.batchItemFailures).toEqual([]);
    const [report, ...others] = await reports();
    expect(others).toEqual([]);
    expect(report).toMatchObject({
      verdict: "MISMATCH",
      severity: "critical",
      category: "documents",
      object: { bucket: PRIMARY, key: "ledger.csv", replicaBucket: REPLICA },
      primary: { present: true, size: 11 },
      replica: { present: true, size: 11 },
      evidence: { basis: { kind: "full-object-checksum", algorithm: "CRC32", agrees: false } },
      source: { messageId: record.messageId },
      attempts: 1,
    });
    expect(report?.evidence?.compared.map((item) => [item.kind, item.agrees])).toEqual([
      ["full-object-checksum", false],
      ["etag", false],
      ["size", true],
    ]);
  });

  it("re-checks a late replica and passes it once it arrives", async () => {
    const handler = await loadHandler();
    await emulator.put(PRIMARY, "late.txt", "arrives late");

    const first = await handler(
      sqsEvent(sqsRecord(uploadEvent("late.txt"))),
      lambdaContext("checksum-validator"),
    );
    expect(first.batchItemFailures).toEqual([]);
    const [pending, ...more] = await pendingChecks();
    expect(more).toEqual([]);
    expect(JSON.parse(pending?.Body ?? "")).toMatchObject({
      type: "backup-validator.pending-check",
      attempt: 2,
    });

    await emulator.put(REPLICA, "late.txt", "arrives late");
    const second = await handler(
      sqsEvent(sqsRecord(pending?.Body)),
      lambdaContext("checksum-validator"),
    );

    expect(second.batchItemFailures).toEqual([]);
    expect(nothingRequeued()).toBe(true);
    expect(await reports()).toEqual([]);
  });

  it("reports REPLICATION_OVERDUE for a replica that never arrives", async () => {
    const handler = await loadHandler();
    await emulator.put(PRIMARY, "never.txt", "never replicated");

    await handler(
      sqsEvent(sqsRecord(uploadEvent("never.txt"))),
      lambdaContext("checksum-validator"),
    );
    const [pending] = await pendingChecks();
    // LastModified has one-second precision: wait until the object is surely past the deadline.
    await new Promise((resolve) => setTimeout(resolve, (DEADLINE_SECONDS + 1.2) * 1000));
    const response = await handler(
      sqsEvent(sqsRecord(pending?.Body)),
      lambdaContext("checksum-validator"),
    );

    expect(response.batchItemFailures).toEqual([]);
    const [report] = await reports();
    expect(report).toMatchObject({
      verdict: "REPLICATION_OVERDUE",
      attempts: 2,
      primary: { present: true },
      replica: { present: false, bucket: REPLICA, key: "never.txt" },
    });
    expect(report?.summary).toMatch(
      /^the replica does not exist yet and the source has no replication status \(is a replication rule configured for this key\?\) \d+ s after upload, past the 2 s replication deadline$/,
    );
    expect(nothingRequeued()).toBe(true);
  });

  it("finds objects named by URL-encoded keys in classic notifications", async () => {
    const handler = await loadHandler();
    await emulator.put(PRIMARY, "reports/red flower.jpg", "petals");
    await emulator.put(REPLICA, "reports/red flower.jpg", "petals");

    const event = s3Notification([{ bucket: PRIMARY, key: "reports/red+flower.jpg" }]);
    const response = await handler(sqsEvent(sqsRecord(event)), lambdaContext("checksum-validator"));

    expect(response.batchItemFailures).toEqual([]);
    expect(await reports()).toEqual([]);
    expect(nothingRequeued()).toBe(true);
  });

  it("checks each object of a multi-record notification on its own", async () => {
    const handler = await loadHandler();
    await emulator.put(PRIMARY, "pair-ok.txt", "same");
    await emulator.put(REPLICA, "pair-ok.txt", "same");
    await emulator.put(PRIMARY, "pair-bad.txt", "good");
    await emulator.put(REPLICA, "pair-bad.txt", "evil");
    const notification = s3Notification([
      { bucket: PRIMARY, key: "pair-ok.txt" },
      { bucket: PRIMARY, key: "pair-bad.txt" },
    ]);

    const split = await handler(
      sqsEvent(sqsRecord(notification)),
      lambdaContext("checksum-validator"),
    );
    expect(split.batchItemFailures).toEqual([]);
    const checks = await emulator.drain(validationQueueUrl);
    expect(checks).toHaveLength(2);
    const checked = await handler(
      sqsEvent(...checks.map((check) => sqsRecord(check.Body))),
      lambdaContext("checksum-validator"),
    );

    expect(checked.batchItemFailures).toEqual([]);
    expect((await reports()).map((report) => [report.verdict, report.object?.key])).toEqual([
      ["MISMATCH", "pair-bad.txt"],
    ]);
    expect(nothingRequeued()).toBe(true);
  });

  it("handles a mixed batch: each record ends validated, reported or failed on its own", async () => {
    const handler = await loadHandler();
    await emulator.put(PRIMARY, "mixed-ok.txt", "same");
    await emulator.put(REPLICA, "mixed-ok.txt", "same");
    await emulator.put(PRIMARY, "mixed-bad.txt", "good");
    await emulator.put(REPLICA, "mixed-bad.txt", "evil");
    await emulator.put(PRIMARY, "mixed-late.txt", "late");
    const records = [
      sqsRecord(uploadEvent("mixed-ok.txt")),
      sqsRecord(uploadEvent("mixed-bad.txt")),
      sqsRecord(uploadEvent("mixed-late.txt")),
      sqsRecord(uploadEvent("mixed-deleted-before-check.txt")),
      sqsRecord(eventBridgeObjectCreated({ bucket: "someone-elses-bucket", key: "x" })),
      sqsRecord("{ broken json"),
    ];

    const response = await handler(sqsEvent(...records), lambdaContext("checksum-validator"));

    expect(response.batchItemFailures).toEqual([]);
    const sent = await reports();
    expect(sent.map((report) => report.verdict).sort()).toEqual([
      "MALFORMED_EVENT",
      "MISMATCH",
      "UNMAPPED_BUCKET",
    ]);
    const requeued = (await pendingChecks()).map(
      (message) => JSON.parse(message.Body ?? "").object.key,
    );
    expect(requeued).toEqual(["mixed-late.txt"]);
  });

  it("fails only the record whose report could not be delivered", async () => {
    const handler = await loadHandler({
      FAILURE_QUEUE_URL: `${emulator.endpoint}/000000000000/queue-that-does-not-exist`,
    });
    await emulator.put(PRIMARY, "deliver-ok.txt", "same");
    await emulator.put(REPLICA, "deliver-ok.txt", "same");
    await emulator.put(PRIMARY, "deliver-bad.txt", "good");
    await emulator.put(REPLICA, "deliver-bad.txt", "evil");
    const ok = sqsRecord(uploadEvent("deliver-ok.txt"));
    const bad = sqsRecord(uploadEvent("deliver-bad.txt"));

    const response = await handler(sqsEvent(ok, bad), lambdaContext("checksum-validator"));

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: bad.messageId }]);
  });
});
