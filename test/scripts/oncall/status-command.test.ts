/**
 * `npm run status` against the local stack (the real handlers on the emulator, its CloudWatch
 * stand-in fed by the functions' own EMF metrics): queues and dead letters, alarms, verdict and
 * alert counts, the last audit; text and JSON.
 */
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  CloudWatchClient,
  PutMetricAlarmCommand,
  PutMetricDataCommand,
  SetAlarmStateCommand,
} from "@aws-sdk/client-cloudwatch";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { CreateQueueCommand, SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type MotoServer, startMoto } from "../../../scripts/local/moto-server.ts";
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

describe("npm run status against CloudWatch with alarms (moto_server)", () => {
  let moto: MotoServer;
  let motoArgs: string[];
  const now = new Date();
  const minutesAgo = (minutes: number) => new Date(now.getTime() - minutes * 60_000);

  beforeAll(async () => {
    moto = await startMoto();
    const clients = {
      endpoint: moto.endpoint,
      region: "us-east-1",
      credentials: { accessKeyId: "test", secretAccessKey: "test" },
    };
    const sqs = new SQSClient(clients);
    const cloudWatch = new CloudWatchClient(clients);
    const outputs: Record<string, string> = {
      Stage: "prod",
      AlarmNamePrefix: "backup-validator-prod-",
    };
    for (const [output, name] of [
      ["ValidationQueueUrl", "backup-validator-prod-validation"],
      ["ValidationDlqUrl", "backup-validator-prod-validation-dlq"],
      ["FailureQueueUrl", "backup-validator-prod-failure"],
      ["FailureDlqUrl", "backup-validator-prod-failure-dlq"],
    ] as const) {
      const { QueueUrl = "" } = await sqs.send(new CreateQueueCommand({ QueueName: name }));
      outputs[output] = QueueUrl;
    }
    for (const [name, state] of [
      ["backup-validator-prod-failure-dlq-not-empty", "ALARM"],
      ["backup-validator-prod-checksum-validator-errors", "OK"],
      ["someone-elses-alarm", "ALARM"],
    ] as const) {
      await cloudWatch.send(
        new PutMetricAlarmCommand({
          AlarmName: name,
          Namespace: "AWS/SQS",
          MetricName: "ApproximateNumberOfMessagesVisible",
          Statistic: "Maximum",
          Period: 300,
          EvaluationPeriods: 1,
          Threshold: 0,
          ComparisonOperator: "GreaterThanThreshold",
        }),
      );
      await cloudWatch.send(
        new SetAlarmStateCommand({
          AlarmName: name,
          StateValue: state,
          StateReason: `set to ${state} by the test`,
        }),
      );
    }
    const datum = (service: string, metric: string, value: number, at = minutesAgo(5)) => ({
      MetricName: metric,
      Dimensions: [{ Name: "service", Value: service }],
      Value: value,
      Timestamp: at,
    });
    await cloudWatch.send(
      new PutMetricDataCommand({
        Namespace: "BackupValidator",
        MetricData: [
          datum("checksum-validator", "Outcome.MATCH", 1200),
          datum("checksum-validator", "Outcome.REPLICATION_OVERDUE", 2),
          datum("failure-notifier", "AlertsPublished", 2),
          datum("failure-notifier", "DuplicateReportsSuppressed", 1),
          // The scheduled audit's worker counts each object: a job over three hours ending two
          // days ago is the last audit; one five days ago is not part of it.
          datum("audit", "AuditObjectsChecked", 20_000, minutesAgo(2 * 24 * 60 + 120)),
          datum("audit", "AuditObjectsChecked", 25_000, minutesAgo(2 * 24 * 60 + 60)),
          datum("audit", "AuditObjectsChecked", 5_000, minutesAgo(2 * 24 * 60)),
          datum("audit", "AuditProblems", 1, minutesAgo(2 * 24 * 60 + 120)),
          datum("audit", "AuditProblems", 2, minutesAgo(2 * 24 * 60)),
          datum("audit", "AuditObjectsChecked", 10_000, minutesAgo(5 * 24 * 60)),
          datum("audit", "AuditProblems", 7, minutesAgo(5 * 24 * 60)),
        ],
      }),
    );
    sqs.destroy();
    cloudWatch.destroy();
    const file = join(await mkdtemp(join(tmpdir(), "bv-status-moto-")), "outputs.json");
    await writeFile(file, JSON.stringify(outputs));
    motoArgs = ["--stage", "prod", "--endpoint-url", moto.endpoint, "--stack-outputs", file];
  }, 60_000);

  afterAll(async () => {
    await moto?.stop();
  });

  it("lists the stage's alarms in ALARM (of all its alarms), the counts and the last audit", async () => {
    // Prepare
    const { io, stdout, stderr } = testIo({
      env: { AWS_ACCESS_KEY_ID: "test", AWS_SECRET_ACCESS_KEY: "test" },
      now: () => now,
    });

    // Act
    const code = await statusMain([...motoArgs, "--json"], io);

    // Assess
    expect(stderr()).toBe("");
    expect(code).toBe(1);
    const report = JSON.parse(stdout()) as StatusReport;
    expect(report.alarms).toEqual({
      total: 2,
      inAlarm: [
        {
          name: "backup-validator-prod-failure-dlq-not-empty",
          since: expect.any(String),
          reason: "set to ALARM by the test",
        },
      ],
    });
    expect(report.metrics).toMatchObject({
      verdicts: { MATCH: 1200, REPLICATION_OVERDUE: 2 },
      alertsPublished: 2,
      duplicateReportsSuppressed: 1,
    });
    expect(report.audit).toMatchObject({ objectsChecked: 50_000, problems: 3 });
    expect(report.attention).toEqual(["1 alarm(s) in ALARM"]);
  });

  it("prints them for a person", async () => {
    // Prepare
    const { io, stdout } = testIo({
      env: { AWS_ACCESS_KEY_ID: "test", AWS_SECRET_ACCESS_KEY: "test" },
      now: () => now,
    });

    // Act
    await statusMain(motoArgs, io);

    // Assess
    const text = stdout();
    expect(text).toContain(
      "ALARMS: 1 of 2 in ALARM\n  backup-validator-prod-failure-dlq-not-empty  since ",
    );
    expect(text).toContain("    set to ALARM by the test");
    expect(text).toMatch(/verdicts +MATCH 1,200, REPLICATION_OVERDUE 2/);
    expect(text).toMatch(/LAST AUDIT\n {2}\S+: 50,000 objects checked, 3 problem\(s\)/);
    expect(text).toContain("Needs attention: 1 alarm(s) in ALARM.");
  });
});
