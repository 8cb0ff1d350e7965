import { SendMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { deliverTo } from "../errors.ts";

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
  };
}

export function toMessageAttributes(attributes: Readonly<Record<string, string>> | undefined) {
  if (!attributes) return undefined;
  return Object.fromEntries(
    Object.entries(attributes).map(([name, value]) => [
      name,
      { DataType: "String", StringValue: value },
    ]),
  );
}
