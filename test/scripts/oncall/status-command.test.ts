/**
 * `npm run status` against the local stack (the real handlers on the emulator, its CloudWatch
 * stand-in fed by the functions' own EMF metrics): queues and dead letters, alarms, verdict and
 * alert counts, the last audit; text and JSON.
 */
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { SendMessageCommand } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalStack } from "../../../scripts/local/stack.ts";
import { type StatusReport, statusMain } from "../../../scripts/oncall/status-command.ts";
import { eventBridgeObjectCreated } from "../../helpers/events.ts";
import { startTestStack } from "../../helpers/local-stack.ts";
import { testIo } from "../../helpers/oncall-stack.ts";

let local: Awaited<ReturnType<typeof startTestStack>>;
let stack: LocalStack;
let args: string[];

beforeAll(async () => {
  local = await startTestStack();
  stack = local.stack;
  // Only the outputs file: the endpoint and the CloudWatch stand-in come from it.
  args = ["--stage", "local", "--stack-outputs", stack.stackOutputsFile];
  const [pair] = stack.names.buckets;
  if (!pair) throw new Error("no bucket pair");
  for (const key of ["status/ok-1.txt", "status/ok-2.txt", "corrupt/status.txt"]) {
    await stack.clients.s3.send(
      new PutObjectCommand({
        Bucket: pair.primaryBucket,
        Key: key,
        Body: `bytes of ${key}`,
        ChecksumAlgorithm: "SHA256",
      }),
    );
  }
  await stack.clients.sqs.send(
    new SendMessageCommand({
      QueueUrl: stack.queues.validation.dlqUrl,
      MessageBody: JSON.stringify(
        eventBridgeObjectCreated({ bucket: pair.primaryBucket, key: "dead/letter.txt" }),
      ),
    }),
  );
  await local.waitFor(() => {
    expect(stack.outbox.emails).toHaveLength(1);
    const verdicts = stack.functionLogs.records.filter((record) => record.outcome === "MATCH");
    expect(verdicts).toHaveLength(2);
  });
}, 60_000);

afterAll(async () => {
  await local?.stop();
});

describe("npm run status against the local stack", () => {
  it("reports queues, verdicts and alerts from the metrics, no alarms, no audit yet (JSON)", async () => {
    // Prepare
    const { io, stdout, stderr } = testIo();

    // Act
    const code = await statusMain([...args, "--json"], io);

    // Assess: the dead letter needs attention
    expect(stderr()).toBe("");
    expect(code).toBe(1);
    const report = JSON.parse(stdout()) as StatusReport;
    expect(report.stage).toBe("local");
    expect(report.queues.map((queue) => [queue.queue, queue.waiting])).toEqual([
      ["validation", 0],
      ["validation DLQ", 1],
      ["failure", 0],
      ["failure DLQ", 0],
    ]);
    expect(report.queues[1]?.oldestAgeSeconds).toBeGreaterThanOrEqual(0);
    expect(report.queues[0]?.oldestAgeSeconds).toBeUndefined();
    expect(report.alarms).toEqual({ total: 0, inAlarm: [] });
    expect(report.metrics).toMatchObject({
      verdicts: { MATCH: 2, MISMATCH: 1 },
      alertsPublished: 1,
      duplicateReportsSuppressed: 0,
      alertPublishFailures: 0,
      recordsFailed: { validator: 0, notifier: 0 },
    });
    expect(report.audit).toBeNull();
    expect(report.attention).toEqual(["1 message(s) in the validation DLQ"]);
  });

  it("prints it for a person: what needs attention and the command to look at it", async () => {
    // Prepare
    const { io, stdout } = testIo();

    // Act
    await statusMain([...args, "--hours", "1"], io);

    // Assess
    const text = stdout();
    expect(text).toMatch(/^backup-validator status: stage local, us-east-1, /);
    expect(text).toMatch(/validation DLQ +1 +0 +0 +\d+ s/);
    expect(text).toContain(
      "validation DLQ: npm run dlq -- inspect --stage local --queue validation",
    );
    expect(text).toContain(
      "ALARMS: none exist on this endpoint (the local stack has no CloudWatch alarms)",
    );
    expect(text).toContain("LAST 1 H (CloudWatch metrics)");
    expect(text).toMatch(/verdicts +MATCH 2, MISMATCH 1/);
    expect(text).toMatch(
      /alerts +1 sent, 0 duplicate report\(s\) suppressed, 0 publish failure\(s\)/,
    );
    expect(text).toContain("LAST AUDIT\n  no audit yet");
    expect(text).toContain("Needs attention: 1 message(s) in the validation DLQ.");
  });

  it("refuses a mistyped option with a suggestion", async () => {
    // Prepare
    const { io, stderr } = testIo();

    // Act
    const code = await statusMain([...args, "--hour", "3"], io);

    // Assess
    expect(code).toBe(2);
    expect(stderr()).toContain("unknown option --hour (did you mean --hours?)");
  });
});

it("ran without a stand-in failing", () => {
  expect(local.failures()).toEqual([]);
});
