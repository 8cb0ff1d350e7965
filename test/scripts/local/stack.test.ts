/**
 * The local stack end to end: the real handlers, the emulator and its stand-ins. Here: the same
 * report delivered again — its upload event redriven from the validation DLQ with the real
 * redrive command, so the validator reports the same MISMATCH (same report ID) a second time —
 * is one email, and the duplicate shows in the notifier's metrics.
 */
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { SendMessageCommand } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { LocalStack } from "../../../scripts/local/stack.ts";
import { redriveMain } from "../../../scripts/oncall/redrive-command.ts";
import { startTestStack } from "../../helpers/local-stack.ts";
import { testIo } from "../../helpers/oncall-stack.ts";

let local: Awaited<ReturnType<typeof startTestStack>>;
let stack: LocalStack;

beforeAll(async () => {
  local = await startTestStack();
  stack = local.stack;
});
afterAll(async () => {
  await local?.stop();
});

it("sends one email for a report delivered twice (the event redriven, the same MISMATCH again)", async () => {
  // Prepare: a corrupted replica, reported and alerted once
  const [pair] = stack.names.buckets;
  if (!pair) throw new Error("no bucket pair");
  const key = "corrupt/redriven.txt";
  await stack.clients.s3.send(
    new PutObjectCommand({
      Bucket: pair.primaryBucket,
      Key: key,
      Body: "the original bytes",
      ChecksumAlgorithm: "SHA256",
    }),
  );
  await local.waitFor(() => expect(stack.outbox.emails).toHaveLength(1));
  // The upload event, as it reached the validation queue
  const event = stack.server.spy
    .getAllMessages()
    .find(
      (message) =>
        message.service === "sqs" &&
        message.status === "published" &&
        message.queueName === stack.queues.validation.name &&
        message.body.includes(key),
    );
  if (event?.service !== "sqs") throw new Error("the upload event was not seen");
  await stack.clients.sqs.send(
    new SendMessageCommand({ QueueUrl: stack.queues.validation.dlqUrl, MessageBody: event.body }),
  );

  // Act: the runbook's redrive, with the real command; the validator reports MISMATCH again
  const { io } = testIo({ env: { ...stack.userEnvironment } });
  const code = await redriveMain(
    [
      "--stage",
      "local",
      "--queue",
      "validation",
      "--yes",
      "--stack-outputs",
      stack.stackOutputsFile,
    ],
    io,
  );
  await local.waitFor(() => {
    const mismatches = stack.functionLogs.records.filter(
      (record) => record.outcome === "MISMATCH" && record.key === key,
    );
    expect(mismatches).toHaveLength(2);
    const suppressed = stack.functionLogs.records.filter(
      (record) => record.message === "report already alerted; acknowledged without a second alert",
    );
    expect(suppressed).toHaveLength(1);
  });
  await new Promise((resolve) => setTimeout(resolve, 1_500));

  // Assess: one email, and the notifier counted the duplicate
  expect(code).toBe(0);
  expect(stack.outbox.emails.map((email) => email.subject)).toEqual([
    "[backup-validator local] MISMATCH documents: corrupt/redriven.txt",
  ]);
  const duplicates = stack.functionLogs.metrics.filter(
    (document) => document.DuplicateReportsSuppressed !== undefined,
  );
  expect(duplicates).toHaveLength(1);
}, 60_000);

it("ran without a stand-in failing", () => {
  expect(local.failures()).toEqual([]);
});
