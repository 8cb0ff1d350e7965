import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import {
  ChangeMessageVisibilityBatchCommand,
  GetQueueAttributesCommand,
  type Message,
  type MessageAttributeValue,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
} from "@aws-sdk/client-sqs";
import { vi } from "vitest";
import { resourceNames } from "../../resources/settings.ts";
import { createTopology } from "../../scripts/local/topology.ts";
import { type ClientSettings, type CliIo, createAwsClients } from "../../scripts/oncall/cli.ts";
import { type Emulator, startEmulator } from "./emulator.ts";

export const STAGE = "test";
const NAMES = resourceNames(STAGE);
const [FIRST_PAIR] = NAMES.buckets;
if (!FIRST_PAIR) throw new Error("settings.json names no category");
export const PRIMARY = FIRST_PAIR.primaryBucket;
export const REPLICA = FIRST_PAIR.replicaBucket;
export const PRIMARIES = NAMES.buckets.map((pair) => pair.primaryBucket);

/**
 * The deployed stack's queues and buckets on fauxqs, built by the local stack's own topology
 * code, with the stack outputs written to a file the way the local stack (or `aws
 * cloudformation describe-stacks`) would provide them.
 */
export async function startOncallStack() {
  // The code under test builds its own SDK clients, which read credentials from the environment.
  vi.stubEnv("AWS_ACCESS_KEY_ID", "test");
  vi.stubEnv("AWS_SECRET_ACCESS_KEY", "test");
  const emulator = await startEmulator();
  const topology = await createTopology({
    stage: STAGE,
    endpoint: emulator.endpoint,
    clients: emulator,
    visibilityTimeoutSeconds: 30,
    replicationDeadlineSeconds: 900,
  });
  // Stacks deployed before the output existed lack it; tests add it where they need it.
  const { ReplicationDeadlineSeconds: _notAlways, ...outputs } = topology.outputs;
  const dir = await mkdtemp(join(tmpdir(), "oncall-"));
  const outputsFile = join(dir, "outputs.json");
  await writeFile(outputsFile, JSON.stringify(outputs));
  const queueUrls = [
    outputs.ValidationQueueUrl,
    outputs.ValidationDlqUrl,
    outputs.FailureQueueUrl,
    outputs.FailureDlqUrl,
  ];
  return {
    emulator,
    outputs,
    outputsFile,
    dir,
    /** Arguments that point a command at this stack. */
    args: ["--stage", STAGE, "--endpoint", emulator.endpoint, "--stack-outputs", outputsFile],
    /** The same, with other outputs (written to `name` in the stack's temporary folder). */
    async argsWithOutputs(name: string, values: object): Promise<string[]> {
      const file = join(dir, name);
      await writeFile(file, JSON.stringify(values));
      return ["--stage", STAGE, "--endpoint", emulator.endpoint, "--stack-outputs", file];
    },
    async clear() {
      for (const url of queueUrls) await emulator.drain(url);
    },
    async stop() {
      vi.unstubAllEnvs();
      await emulator.stop();
    },
  };
}

export type OncallStack = Awaited<ReturnType<typeof startOncallStack>>;

export interface TestMessage {
  readonly body: string;
  readonly attributes?: Record<string, MessageAttributeValue>;
}

export async function sendAll(
  emulator: Emulator,
  queueUrl: string,
  messages: readonly TestMessage[],
): Promise<void> {
  for (let start = 0; start < messages.length; start += 10) {
    const { Failed = [] } = await emulator.sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: messages.slice(start, start + 10).map((message, index) => ({
          Id: String(index),
          MessageBody: message.body,
          MessageAttributes: message.attributes,
        })),
      }),
    );
    if (Failed.length > 0) throw new Error(`seeding ${queueUrl} failed: ${JSON.stringify(Failed)}`);
  }
}

/**
 * Another consumer (an inspect in a second terminal, an earlier redrive that crashed) receives
 * up to 10 messages now on the queue and holds them hidden for `seconds`.
 */
export async function holdElsewhere(
  emulator: Emulator,
  queueUrl: string,
  seconds: number,
): Promise<Message[]> {
  const { Messages = [] } = await emulator.sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: queueUrl,
      MaxNumberOfMessages: 10,
      VisibilityTimeout: seconds,
    }),
  );
  return Messages;
}

/** Makes messages held with holdElsewhere visible again. */
export async function releaseHeld(
  emulator: Emulator,
  queueUrl: string,
  messages: readonly Message[],
): Promise<void> {
  if (messages.length === 0) return;
  await emulator.sqs.send(
    new ChangeMessageVisibilityBatchCommand({
      QueueUrl: queueUrl,
      Entries: messages.map((message, index) => ({
        Id: String(index),
        ReceiptHandle: message.ReceiptHandle,
        VisibilityTimeout: 0,
      })),
    }),
  );
}

export async function visibleCount(emulator: Emulator, queueUrl: string): Promise<number> {
  const { Attributes } = await emulator.sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    }),
  );
  if (Attributes?.ApproximateNumberOfMessagesNotVisible !== "0") {
    throw new Error(`${queueUrl} still has messages in flight: ${JSON.stringify(Attributes)}`);
  }
  return Number(Attributes?.ApproximateNumberOfMessages);
}

export interface TestIoOptions {
  /** What the user types, for the confirmation prompt. */
  readonly input?: string;
  /** Whether stdin and stderr are terminals. */
  readonly tty?: boolean;
  readonly env?: Record<string, string>;
  readonly now?: () => Date;
  readonly signal?: AbortSignal;
  readonly createClients?: (settings: ClientSettings) => ReturnType<CliIo["createClients"]>;
}

/** A CliIo that records what the command writes. */
export function testIo(options: TestIoOptions = {}) {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const stdin = Object.assign(Readable.from(options.input === undefined ? [] : [options.input]), {
    isTTY: options.tty ?? false,
  });
  const io: CliIo = {
    stdout: { write: (chunk: string) => stdout.push(chunk), isTTY: false },
    stderr: {
      write: (chunk: string) => stderr.push(chunk),
      isTTY: options.tty ?? false,
      columns: 100,
    },
    stdin,
    env: options.env ?? {},
    now: options.now ?? (() => new Date()),
    sleep: async () => {},
    ...(options.signal ? { signal: options.signal } : {}),
    createClients: options.createClients ?? createAwsClients,
  };
  return { io, stdout: () => stdout.join(""), stderr: () => stderr.join("") };
}
