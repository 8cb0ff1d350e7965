import { SendMessageBatchCommand, SendMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { DeliveryError, deliverTo } from "../errors.ts";

export interface OutgoingMessage {
  readonly body: string;
  /** 0–900 s: SQS's per-message delay limit. */
  readonly delaySeconds?: number;
  /** String message attributes (for filtering and for on-call inspection). */
  readonly attributes?: Readonly<Record<string, string>>;
}

/** Sends messages to one queue. */
export interface MessageSender {
  send(message: OutgoingMessage): Promise<void>;
  /** Sends many in as few requests as SQS allows; throws if any was not accepted. */
  sendBatch(messages: readonly OutgoingMessage[]): Promise<void>;
}

/** SendMessageBatch takes at most 10 entries. https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessageBatch.html */
export const MAX_BATCH_ENTRIES = 10;
/**
 * The whole batch request's payload limit. Queues created before 2025 allow 256 KiB (the limit
 * rose to 1 MiB in 2025), so batches stay within the older one whatever the queue's setting.
 */
export const MAX_BATCH_BYTES = 256 * 1024;

/** Splits items into SendMessageBatch requests: at most 10 entries and 256 KiB each. */
export function chunkForBatch<T>(items: readonly T[], bytesOf: (item: T) => number): T[][] {
  const chunks: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const size = bytesOf(item);
    const full = current.length === MAX_BATCH_ENTRIES || bytes + size > MAX_BATCH_BYTES;
    if (current.length > 0 && full) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

function messageBytes(message: OutgoingMessage): number {
  let bytes = Buffer.byteLength(message.body);
  for (const [name, value] of Object.entries(message.attributes ?? {})) {
    bytes += Buffer.byteLength(name) + Buffer.byteLength(value) + "String".length;
  }
  return bytes;
}

export function sqsMessageSender(client: SQSClient, queueUrl: string): MessageSender {
  return {
    async send(message) {
      await deliverTo(queueUrl, () =>
        client.send(
          new SendMessageCommand({
            QueueUrl: queueUrl,
            MessageBody: message.body,
            DelaySeconds: message.delaySeconds,
            MessageAttributes: toMessageAttributes(message.attributes),
          }),
        ),
      );
    },
    async sendBatch(messages) {
      for (const chunk of chunkForBatch(messages, messageBytes)) {
        const { Failed = [] } = await deliverTo(queueUrl, () =>
          client.send(
            new SendMessageBatchCommand({
              QueueUrl: queueUrl,
              Entries: chunk.map((message, index) => ({
                Id: String(index),
                MessageBody: message.body,
                DelaySeconds: message.delaySeconds,
                MessageAttributes: toMessageAttributes(message.attributes),
              })),
            }),
          ),
        );
        if (Failed.length > 0) {
          const reasons = Failed.map((entry) => `${entry.Code ?? "?"}: ${entry.Message ?? ""}`);
          throw new DeliveryError(
            `sending to ${queueUrl} failed for ${Failed.length} of ${chunk.length} messages (${reasons.join("; ")})`,
          );
        }
      }
    },
  };
}

/**
 * String message attributes for SQS and SNS. Empty values are left out: both services refuse an
 * empty attribute, which would fail the whole send (and the alert or report with it); a lone
 * surrogate cannot be encoded into the request and becomes U+FFFD.
 */
export function toMessageAttributes(attributes: Readonly<Record<string, string>> | undefined) {
  if (!attributes) return undefined;
  return Object.fromEntries(
    Object.entries(attributes)
      .filter(([, value]) => value !== "")
      .map(([name, value]) => [name, { DataType: "String", StringValue: value.toWellFormed() }]),
  );
}
