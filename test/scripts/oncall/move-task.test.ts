import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CloudFormationClient } from "@aws-sdk/client-cloudformation";
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { S3Client } from "@aws-sdk/client-s3";
import {
  GetQueueAttributesCommand,
  ListMessageMoveTasksCommand,
  ReceiveMessageCommand,
  SQSClient,
  StartMessageMoveTaskCommand,
  UnsupportedOperation,
} from "@aws-sdk/client-sqs";
import { mockClient } from "aws-sdk-client-mock";
import { beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import type { AwsClients } from "../../../scripts/oncall/cli.ts";
import { redriveMain } from "../../../scripts/oncall/redrive-command.ts";
import { testIo } from "../../helpers/oncall-stack.ts";

// SQS move tasks exist only on AWS (not on the emulator), so this path runs on mocks.
const ACCOUNT = "123456789012";
const arn = (name: string) => `arn:aws:sqs:us-east-1:${ACCOUNT}:${name}`;
const url = (name: string) => `https://sqs.us-east-1.amazonaws.com/${ACCOUNT}/${name}`;
const DLQ_ARN = arn("backup-validator-prod-validation-dlq");
const QUEUE_ARN = arn("backup-validator-prod-validation");
const OTHER_ARN = arn("quarantine");

const sqs = new SQSClient({ region: "us-east-1" });
const sqsMock = mockClient(sqs);
const clients: AwsClients = {
  sqs,
  cloudFormation: new CloudFormationClient({ region: "us-east-1" }),
  cloudWatch: new CloudWatchClient({ region: "us-east-1" }),
  s3: () => new S3Client({ region: "us-east-1" }),
  destroy() {},
};
let args: string[];

beforeAll(async () => {
  const dir = await mkdtemp(join(tmpdir(), "oncall-task-"));
  const file = join(dir, "outputs.json");
  // The shape `aws cloudformation describe-stacks` prints.
  await writeFile(
    file,
    JSON.stringify({
      Stacks: [
        {
          Outputs: [
            ["ValidationQueueUrl", url("backup-validator-prod-validation")],
            ["ValidationQueueArn", QUEUE_ARN],
            ["ValidationDlqUrl", url("backup-validator-prod-validation-dlq")],
            ["ValidationDlqArn", DLQ_ARN],
            ["FailureQueueUrl", url("backup-validator-prod-failure")],
            ["Stage", "prod"],
          ].map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })),
        },
      ],
    }),
  );
  args = ["--stage", "prod", "--stack-outputs", file];
});

beforeEach(() => {
  sqsMock.reset();
  sqsMock.on(GetQueueAttributesCommand).resolves({
    Attributes: {
      ApproximateNumberOfMessages: "40",
      ApproximateNumberOfMessagesNotVisible: "0",
      ApproximateNumberOfMessagesDelayed: "0",
    },
  });
});

function run(extra: string[], options: { signal?: AbortSignal; sleep?: () => void } = {}) {
  const recorder = testIo({
    createClients: () => clients,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const sleep = vi.fn(async () => options.sleep?.());
  const io = { ...recorder.io, sleep };
  return { ...recorder, sleep, exitCode: redriveMain(["--yes", ...args, ...extra], io) };
}

// StartedTimestamp of an older, finished task and of ours (SQS's clock, epoch ms).
const EARLIER = 1_700_000_000_000;
const STARTED = EARLIER + 3600_000;

const running = (moved: number, destination = QUEUE_ARN) => ({
  TaskHandle: "handle-1",
  Status: "RUNNING",
  SourceArn: DLQ_ARN,
  DestinationArn: destination,
  StartedTimestamp: STARTED,
  ApproximateNumberOfMessagesMoved: moved,
  ApproximateNumberOfMessagesToMove: 40,
});

/** How a finished task is listed: no TaskHandle (SQS fills it only while a task runs). */
const finished = (status: string, moved: number, startedTimestamp = STARTED) => ({
  Status: status,
  SourceArn: DLQ_ARN,
  DestinationArn: QUEUE_ARN,
  StartedTimestamp: startedTimestamp,
  ApproximateNumberOfMessagesMoved: moved,
  ApproximateNumberOfMessagesToMove: 40,
});

describe("npm run redrive (SQS move task, mocked)", () => {
  it("starts a task back to the source queues and follows it to completion with progress", async () => {
    // Prepare
    const older = finished("COMPLETED", 3, EARLIER);
    sqsMock
      .on(ListMessageMoveTasksCommand)
      .resolvesOnce({ Results: [older] })
      .resolvesOnce({ Results: [running(15), older] })
      .resolvesOnce({ Results: [finished("COMPLETED", 40), older] });
    sqsMock.on(StartMessageMoveTaskCommand).resolves({ TaskHandle: "handle-1" });

    // Act
    const { exitCode, stdout, stderr, sleep } = run([]);

    // Assess
    expect(await exitCode).toBe(0);
    expect(sqsMock).toHaveReceivedCommandTimes(StartMessageMoveTaskCommand, 1);
    // The source queue is named explicitly: events EventBridge dead-lettered directly have none.
    expect(sqsMock.commandCalls(StartMessageMoveTaskCommand)[0]?.args[0].input).toEqual({
      SourceArn: DLQ_ARN,
      DestinationArn: QUEUE_ARN,
    });
    expect(sleep).toHaveBeenCalledWith(2000);
    expect(stderr()).toContain("Moving to validation queue: 15/40");
    expect(stderr()).toContain("Moving to validation queue: 40/40");
    expect(stdout()).toContain(
      "SQS move task COMPLETED: about 40 of 40 messages moved from the validation DLQ to the validation queue.",
    );
  });

  it("passes --to <ARN> and --rate on to the task", async () => {
    sqsMock
      .on(ListMessageMoveTasksCommand)
      .resolvesOnce({ Results: [] })
      .resolves({ Results: [finished("COMPLETED", 40)] });
    sqsMock.on(StartMessageMoveTaskCommand).resolves({ TaskHandle: "handle-2" });

    const { exitCode, stdout } = run(["--to", OTHER_ARN, "--rate", "50", "--json"]);

    expect(await exitCode).toBe(0);
    expect(sqsMock).toHaveReceivedCommandWith(StartMessageMoveTaskCommand, {
      SourceArn: DLQ_ARN,
      DestinationArn: OTHER_ARN,
      MaxNumberOfMessagesPerSecond: 50,
    });
    expect(JSON.parse(stdout())).toMatchObject({
      path: "move-task",
      to: OTHER_ARN,
      kind: "finished",
      status: "COMPLETED",
      moved: 40,
    });
  });

  it("exits 1 with SQS's reason when the task fails", async () => {
    sqsMock
      .on(ListMessageMoveTasksCommand)
      .resolvesOnce({ Results: [] })
      .resolvesOnce({ Results: [running(10)] })
      .resolves({
        Results: [
          {
            ...finished("FAILED", 10),
            FailureReason: "AWS.SimpleQueueService.KmsAccessDenied",
          },
        ],
      });
    sqsMock.on(StartMessageMoveTaskCommand).resolves({ TaskHandle: "handle-1" });

    const { exitCode, stdout } = run([]);

    expect(await exitCode).toBe(1);
    expect(stdout()).toContain("SQS move task FAILED: about 10 of 40 messages moved");
    expect(stdout()).toContain("Reason: AWS.SimpleQueueService.KmsAccessDenied");
  });

  it("follows a task that is already running instead of starting a second one", async () => {
    sqsMock
      .on(ListMessageMoveTasksCommand)
      .resolvesOnce({ Results: [running(5)] })
      .resolves({ Results: [finished("CANCELLED", 20)] });

    const { exitCode, stdout } = run([]);

    expect(await exitCode).toBe(1);
    expect(sqsMock).toHaveReceivedCommandTimes(StartMessageMoveTaskCommand, 0);
    expect(stdout()).toContain("SQS move task (a task that was already running) CANCELLED");
  });

  it("refuses to follow a running task that moves somewhere else (exit 3)", async () => {
    // Prepare: someone runs a task from this DLQ to a quarantine queue; we were asked for source.
    sqsMock
      .on(ListMessageMoveTasksCommand)
      .resolvesOnce({ Results: [running(5, OTHER_ARN)] })
      .resolves({ Results: [{ ...finished("COMPLETED", 40), DestinationArn: OTHER_ARN }] });

    // Act
    const { exitCode, stdout, stderr } = run([]);

    // Assess
    expect(await exitCode).toBe(3);
    expect(sqsMock).toHaveReceivedCommandTimes(StartMessageMoveTaskCommand, 0);
    expect(sqsMock).toHaveReceivedCommandTimes(ListMessageMoveTasksCommand, 1);
    expect(stdout()).toBe("");
    expect(stderr()).toContain(
      `a move task is already running for ${DLQ_ARN}, moving messages to ${OTHER_ARN}, not to ${QUEUE_ARN}.`,
    );
    expect(stderr()).toContain("aws sqs cancel-message-move-task --task-handle handle-1");
  });

  it("never takes an older finished task for the one it started", async () => {
    // Prepare: right after the start, the list still shows only the previous, finished task.
    const older = finished("COMPLETED", 3, EARLIER);
    sqsMock
      .on(ListMessageMoveTasksCommand)
      .resolvesOnce({ Results: [older] })
      .resolvesOnce({ Results: [older] })
      .resolvesOnce({ Results: [running(15), older] })
      .resolves({ Results: [finished("COMPLETED", 40), older] });
    sqsMock.on(StartMessageMoveTaskCommand).resolves({ TaskHandle: "handle-1" });

    // Act
    const { exitCode, stdout, sleep } = run(["--json"]);

    // Assess
    expect(await exitCode).toBe(0);
    expect(sleep).toHaveBeenCalledTimes(3);
    expect(JSON.parse(stdout())).toMatchObject({ status: "COMPLETED", moved: 40, toMove: 40 });
  });

  it("recognises its finished task by start time when it never saw it running", async () => {
    const older = finished("COMPLETED", 3, EARLIER);
    sqsMock
      .on(ListMessageMoveTasksCommand)
      .resolvesOnce({ Results: [older] })
      .resolvesOnce({ Results: [older] })
      .resolves({ Results: [finished("FAILED", 7), older] });
    sqsMock.on(StartMessageMoveTaskCommand).resolves({ TaskHandle: "handle-1" });

    const { exitCode, stdout } = run([]);

    expect(await exitCode).toBe(1);
    expect(stdout()).toContain("SQS move task FAILED: about 7 of 40 messages moved");
  });

  it("gives up (exit 3) when the list never shows the task it started", async () => {
    const older = finished("COMPLETED", 3, EARLIER);
    sqsMock.on(ListMessageMoveTasksCommand).resolves({ Results: [older] });
    sqsMock.on(StartMessageMoveTaskCommand).resolves({ TaskHandle: "handle-1" });

    const { exitCode, stderr, sleep } = run([]);

    expect(await exitCode).toBe(3);
    expect(sleep).toHaveBeenCalledTimes(30);
    expect(stderr()).toContain(
      "lost track of the move task (the task list has not shown it for 30 polls); it goes on in SQS",
    );
  });

  it("falls back to the manual path when SQS answers UnsupportedOperation", async () => {
    sqsMock.on(GetQueueAttributesCommand).resolves({
      Attributes: {
        ApproximateNumberOfMessages: "0",
        ApproximateNumberOfMessagesNotVisible: "0",
        ApproximateNumberOfMessagesDelayed: "0",
      },
    });
    sqsMock.on(ListMessageMoveTasksCommand).resolves({ Results: [] });
    sqsMock
      .on(StartMessageMoveTaskCommand)
      .rejects(new UnsupportedOperation({ message: "Source queue must be a DLQ", $metadata: {} }));
    sqsMock.on(ReceiveMessageCommand).resolves({});

    const { exitCode, stdout, stderr } = run([]);

    expect(await exitCode).toBe(0);
    expect(stderr()).toContain(
      "SQS move tasks are not available here (UnsupportedOperation: Source queue must be a DLQ); moving message by message.",
    );
    expect(sqsMock).toHaveReceivedCommandWith(ReceiveMessageCommand, {
      QueueUrl: url("backup-validator-prod-validation-dlq"),
      WaitTimeSeconds: 1,
    });
    expect(stdout()).toContain("Moved 0 from the validation DLQ to the validation queue");
  });

  it("stops watching on Ctrl-C and says how to follow or cancel the task", async () => {
    sqsMock
      .on(ListMessageMoveTasksCommand)
      .resolvesOnce({ Results: [] })
      .resolves({ Results: [running(12)] });
    sqsMock.on(StartMessageMoveTaskCommand).resolves({ TaskHandle: "handle-1" });
    const controller = new AbortController();

    const { exitCode, stdout } = run([], {
      signal: controller.signal,
      sleep: () => controller.abort(),
    });

    expect(await exitCode).toBe(1);
    expect(stdout()).toContain("Stopped watching; the move task goes on in SQS (12 moved so far).");
    expect(stdout()).toContain(`aws sqs list-message-move-tasks --source-arn ${DLQ_ARN}`);
    expect(stdout()).toContain("aws sqs cancel-message-move-task --task-handle handle-1");
  });

  it("says the task goes on when it loses track of it (exit 3)", async () => {
    sqsMock
      .on(ListMessageMoveTasksCommand)
      .resolvesOnce({ Results: [] })
      .rejects(new Error("connect ETIMEDOUT"));
    sqsMock.on(StartMessageMoveTaskCommand).resolves({ TaskHandle: "handle-1" });

    const { exitCode, stderr } = run([]);

    expect(await exitCode).toBe(3);
    expect(stderr()).toContain(
      "lost track of the move task (Error: connect ETIMEDOUT); it goes on in SQS",
    );
  });

  it("explains a refused start (access denied) instead of falling back", async () => {
    sqsMock.on(ListMessageMoveTasksCommand).resolves({ Results: [] });
    sqsMock
      .on(StartMessageMoveTaskCommand)
      .rejects(Object.assign(new Error("not authorized"), { name: "AccessDenied" }));

    const { exitCode, stderr } = run([]);

    expect(await exitCode).toBe(3);
    expect(stderr()).toContain(`starting a move task for ${DLQ_ARN}: access denied`);
    expect(sqsMock).toHaveReceivedCommandTimes(ReceiveMessageCommand, 0);
  });
});
