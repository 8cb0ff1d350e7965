import { CreateBucketCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { SNSClient } from "@aws-sdk/client-sns";
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  type Message,
  ReceiveMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { startFauxqs } from "fauxqs";
import { onEmulatorOrigin } from "../../scripts/local/emulator-urls.ts";

export const TEST_CREDENTIALS = { accessKeyId: "test", secretAccessKey: "test" };

export type Emulator = Awaited<ReturnType<typeof startEmulator>>;

/** fauxqs in-process on a free port, with real SDK clients pointed at it over HTTP. */
export async function startEmulator(region = "us-east-1") {
  const server = await startFauxqs({ port: 0, logger: false });
  const clientConfig = { endpoint: server.address, region, credentials: TEST_CREDENTIALS };
  const s3 = new S3Client(clientConfig);
  const sqs = new SQSClient(clientConfig);
  const sns = new SNSClient(clientConfig);

  return {
    server,
    endpoint: server.address,
    s3,
    sqs,
    sns,
    /** Environment that points SDK clients built by the code under test at the emulator. */
    environment(): Record<string, string> {
      return {
        AWS_ENDPOINT_URL: server.address,
        AWS_REGION: region,
        AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
      };
    },
    async createBuckets(...names: string[]): Promise<void> {
      for (const name of names) await s3.send(new CreateBucketCommand({ Bucket: name }));
    },
    async createQueue(name: string, attributes: Record<string, string> = {}): Promise<string> {
      const { QueueUrl } = await sqs.send(
        new CreateQueueCommand({ QueueName: name, Attributes: attributes }),
      );
      if (!QueueUrl) throw new Error(`no URL for queue ${name}`);
      return onEmulatorOrigin(QueueUrl, server.address);
    },
    async put(bucket: string, key: string, body: string | Uint8Array): Promise<void> {
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    },
    /**
     * Receives (and deletes) everything visible on a queue; with `waitSeconds`, the first
     * receive long-polls, so a message delayed by up to that long is included.
     */
    async drain(queueUrl: string, waitSeconds = 0): Promise<Message[]> {
      const all: Message[] = [];
      for (let first = true; ; first = false) {
        const { Messages = [] } = await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: queueUrl,
            MaxNumberOfMessages: 10,
            MessageAttributeNames: ["All"],
            MessageSystemAttributeNames: ["All"],
            WaitTimeSeconds: first ? waitSeconds : 0,
          }),
        );
        if (Messages.length === 0) return all;
        all.push(...Messages);
        await sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: queueUrl,
            Entries: Messages.map((message, index) => ({
              Id: String(index),
              ReceiptHandle: message.ReceiptHandle,
            })),
          }),
        );
      }
    },
    /** Messages on a queue in any state (visible, delayed, in flight), without receiving them. */
    queued(queueUrl: string): number {
      const name = new URL(queueUrl).pathname.split("/").pop() ?? "";
      const queue = server.inspectQueue(name);
      if (!queue) throw new Error(`no queue ${name}`);
      const { ready, delayed, inflight } = queue.messages;
      return ready.length + delayed.length + inflight.length;
    },
    async stop(): Promise<void> {
      s3.destroy();
      sqs.destroy();
      sns.destroy();
      await server.stop();
    },
  };
}
