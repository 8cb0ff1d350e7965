/**
 * processValidationMessage's failure paths, with the ports faked (the emulator cannot make S3
 * answer 400, hang, or SQS refuse a send on cue): each failure is classified once, writes one
 * log line naming the message, and fails only its own record or is reported, as documented.
 */
import { describe, expect, it, vi } from "vitest";
import { parseBucketPairs } from "../../../shared/contracts/bucket-pairs.ts";
import { DeadlineError, DeliveryError } from "../../../shared/errors.ts";
import { deepVerificationSettings } from "../../../shared/integrity/settle.ts";
import type { Log } from "../../../shared/observability.ts";
import type { MessageSender, OutgoingMessage } from "../../../shared/queues/message-sender.ts";
import type { ObjectReader, ObjectState } from "../../../shared/s3/object-state.ts";
import {
  processValidationMessage,
  type ValidatorDependencies,
} from "../../../shared/validator/process-message.ts";
import { eventBridgeObjectCreated, s3Notification } from "../../helpers/events.ts";

const PRIMARY = "bv-unit-documents-primary";
const REPLICA = "bv-unit-documents-replica";

function recordingLog() {
  const lines: { level: string; message: string; fields: Record<string, unknown> }[] = [];
  const at =
    (level: string) =>
    (message: string, fields: Record<string, unknown> = {}) =>
      lines.push({ level, message, fields });
  const log = { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
  return { log: log as unknown as Log, lines };
}

function sender(fails = false): MessageSender & { sent: OutgoingMessage[] } {
  const sent: OutgoingMessage[] = [];
  const send = async (message: OutgoingMessage) => {
    if (fails) throw new DeliveryError("sending to the queue failed: throttled");
    sent.push(message);
  };
  return {
    sent,
    send,
    async sendBatch(messages) {
      for (const message of messages) await send(message);
    },
  };
}

const present = (bucket: string): ObjectState => ({
  bucket,
  key: "a.txt",
  size: 5,
  checksums: { SHA256: "same" },
});

type RecordingSender = ReturnType<typeof sender>;

/** A reader that only answers HEADs: these objects' checksums decide, so nothing else is asked. */
function reader(head: ObjectReader["head"]): ObjectReader {
  const unexpected = () => Promise.reject(new Error("only HEADs are expected here"));
  return { head, partSizes: unexpected, readRange: unexpected };
}

function deps(overrides: {
  primary?: ObjectReader["head"];
  reports?: RecordingSender;
  checks?: RecordingSender;
}) {
  const { log, lines } = recordingLog();
  const reports = overrides.reports ?? sender();
  const checks = overrides.checks ?? sender();
  const dependencies: ValidatorDependencies = {
    validation: {
      primary: reader(overrides.primary ?? (async () => present(PRIMARY))),
      replica: reader(async () => present(REPLICA)),
      replicationDeadlineSeconds: 900,
      deepVerification: deepVerificationSettings({ maxBytes: 0, read: "primary", concurrency: 1 }),
      now: () => new Date(),
    },
    bucketPairs: parseBucketPairs(JSON.stringify({ [PRIMARY]: REPLICA })),
    failureReports: reports,
    pendingChecks: checks,
    retryBaseDelaySeconds: 30,
    replicaRegion: "us-west-2",
    log,
    metrics: { addMetric: vi.fn() },
  };
  return { dependencies, lines, reports, checks };
}

const eventBody = JSON.stringify(eventBridgeObjectCreated({ bucket: PRIMARY, key: "a.txt" }));

describe("processValidationMessage on a bad day", () => {
  it("reports a 400 from S3 as UNCHECKABLE and acknowledges the record", async () => {
    // Prepare: S3 refuses the version id for good (HEAD answers carry no error code).
    const badRequest = Object.assign(new Error("Bad Request"), {
      name: "BadRequest",
      $metadata: { httpStatusCode: 400 },
    });
    const { dependencies, lines, reports } = deps({
      primary: async () => {
        throw badRequest;
      },
    });

    // Act
    const outcomes = await processValidationMessage(dependencies, {
      messageId: "m-1",
      body: eventBody,
    });

    // Assess
    expect(outcomes.map((outcome) => [outcome.outcome, outcome.action])).toEqual([
      ["UNCHECKABLE", "reported"],
    ]);
    expect(JSON.parse(reports.sent[0]?.body ?? "{}")).toMatchObject({
      verdict: "UNCHECKABLE",
      severity: "high",
    });
    expect(lines).toEqual([
      expect.objectContaining({
        level: "error",
        fields: expect.objectContaining({ outcome: "UNCHECKABLE", messageId: "m-1" }),
      }),
    ]);
  });

  it("fails the record on a transient S3 error, with one line naming the cause and the object", async () => {
    // Prepare
    const slowDown = Object.assign(new Error("Please reduce your request rate."), {
      name: "SlowDown",
      $metadata: { httpStatusCode: 503 },
    });
    const { dependencies, lines } = deps({
      primary: async () => {
        throw slowDown;
      },
    });

    // Act
    const outcome = processValidationMessage(dependencies, { messageId: "m-2", body: eventBody });

    // Assess
    await expect(outcome).rejects.toBe(slowDown);
    expect(lines).toEqual([
      {
        level: "error",
        message:
          "the message failed and will be retried: SlowDown: Please reduce your request rate. (HTTP 503)",
        fields: expect.objectContaining({
          messageId: "m-2",
          bucket: PRIMARY,
          key: "a.txt",
          failure: "transient",
        }),
      },
    ]);
  });

  it("fails the record, with a log line, when a MALFORMED_EVENT report cannot be sent", async () => {
    // Prepare
    const { dependencies, lines } = deps({ reports: sender(true) });

    // Act
    const outcome = processValidationMessage(dependencies, { messageId: "m-3", body: "not json" });

    // Assess
    await expect(outcome).rejects.toBeInstanceOf(DeliveryError);
    expect(lines).toEqual([
      expect.objectContaining({
        level: "error",
        fields: expect.objectContaining({ messageId: "m-3", failure: "transient" }),
      }),
    ]);
  });

  it("fails the record, with a log line, when a split cannot be queued", async () => {
    // Prepare
    const { dependencies, lines } = deps({ checks: sender(true) });
    const body = JSON.stringify(
      s3Notification([
        { bucket: PRIMARY, key: "a.txt" },
        { bucket: PRIMARY, key: "b.txt" },
      ]),
    );

    // Act
    const outcome = processValidationMessage(dependencies, { messageId: "m-4", body });

    // Assess
    await expect(outcome).rejects.toBeInstanceOf(DeliveryError);
    expect(lines).toHaveLength(1);
    expect(lines[0]?.fields).toMatchObject({ messageId: "m-4" });
  });

  it("cancels a hung lookup when the record's time is up, and fails only that record", async () => {
    // Prepare: S3 never answers, but honours the abort signal as the SDK does.
    let cancelled = false;
    const { dependencies, lines } = deps({
      primary: (_location, signal) =>
        new Promise((_resolve, reject) => {
          signal?.addEventListener("abort", () => {
            cancelled = true;
            reject(signal.reason);
          });
        }),
    });
    const started = Date.now();

    // Act
    const outcome = processValidationMessage(dependencies, {
      messageId: "m-5",
      body: eventBody,
      deadline: Date.now() + 200,
    });

    // Assess
    await expect(outcome).rejects.toBeInstanceOf(DeadlineError);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(cancelled).toBe(true);
    expect(lines).toEqual([
      expect.objectContaining({
        level: "error",
        message: expect.stringContaining("DeadlineError: the record's time ran out"),
        fields: expect.objectContaining({ messageId: "m-5" }),
      }),
    ]);
  });
});
