/**
 * Local stand-in for Lambda's SQS event source mapping: polls a queue, hands batches to a real
 * handler as Lambda would, and deletes only what the handler did not report as failed.
 *
 * Faithful to the documented behaviour that matters here:
 * - up to `batchSize` records, gathered for at most the batching window;
 * - the handler's `batchItemFailures` stay on the queue (and come back after the visibility
 *   timeout, then go to the DLQ after maxReceiveCount); a thrown error fails the whole batch;
 * - records have the Lambda SQS event shape (attributes, camel-cased message attributes).
 * https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html
 */

import {
  DeleteMessageBatchCommand,
  type Message,
  type MessageAttributeValue,
  ReceiveMessageCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import type {
  Context,
  SQSBatchResponse,
  SQSEvent,
  SQSMessageAttributes,
  SQSRecord,
} from "aws-lambda";
import { describeError } from "../../shared/errors.ts";
import { lambdaContext } from "./lambda-context.ts";

export type SqsHandler = (
  event: SQSEvent,
  context: Context,
) => Promise<SQSBatchResponse | undefined>;

export interface EventSourceOptions {
  readonly sqs: SQSClient;
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly region: string;
  readonly functionName: string;
  /**
   * One handler per execution environment: each poller invokes its own, as Lambda runs one
   * batch at a time in each environment (a handler keeps per-batch state, such as Powertools'
   * BatchProcessor). Their number is the mapping's concurrency.
   */
  readonly handlers: readonly SqsHandler[];
  readonly batchSize: number;
  readonly batchingWindowMs: number;
  /** The function's timeout: its context counts down from it, as in Lambda. */
  readonly timeoutMs: number;
  /** Called after each invocation, for progress output and accounting. */
  readonly onInvoke?: (result: InvocationResult) => void;
  readonly onError: (error: unknown, where: string) => void;
}

export interface InvocationResult {
  readonly functionName: string;
  readonly records: number;
  readonly failed: number;
  readonly error?: unknown;
}

/** "λ name: 10 record(s), 2 failed (the error)": one line per invocation, for progress output. */
export function describeInvocation(result: InvocationResult): string {
  const failed = result.failed > 0 ? `, ${result.failed} failed` : "";
  const error = result.error === undefined ? "" : ` (${describeError(result.error)})`;
  return `λ ${result.functionName}: ${result.records} record(s)${failed}${error}`;
}

export interface EventSource {
  /** Stops polling after the current invocation. */
  stop(): Promise<void>;
  readonly invocations: number;
}

const LONG_POLL_SECONDS = 1;

export function startEventSource(options: EventSourceOptions): EventSource {
  let running = true;
  let invocations = 0;
  // Up to the mapping's maximum concurrency, batches are handed to handlers at once, as Lambda
  // scales its pollers. https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-scaling.html
  const poller = async (handler: SqsHandler) => {
    while (running) {
      try {
        const messages = await receiveBatch(options, () => running);
        if (messages.length === 0) continue;
        invocations += 1;
        options.onInvoke?.(await invoke(options, handler, messages, invocations));
      } catch (error) {
        // Like the real poller, keep polling: what was not deleted comes back after its
        // visibility timeout.
        options.onError(error, `polling ${options.functionName}'s queue`);
        await sleep(LONG_POLL_SECONDS * 1000);
      }
    }
  };
  const loops = options.handlers.map(poller);
  return {
    async stop() {
      running = false;
      await Promise.all(loops);
    },
    get invocations() {
      return invocations;
    },
  };
}

async function receiveBatch(
  options: EventSourceOptions,
  isRunning: () => boolean,
): Promise<Message[]> {
  const batch: Message[] = [];
  const windowEnds = Date.now() + options.batchingWindowMs;
  do {
    const waitSeconds = batch.length === 0 ? LONG_POLL_SECONDS : 0;
    const { Messages = [] } = await options.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: options.queueUrl,
        MaxNumberOfMessages: Math.min(10, options.batchSize - batch.length),
        WaitTimeSeconds: waitSeconds,
        MessageAttributeNames: ["All"],
        MessageSystemAttributeNames: ["All"],
      }),
    );
    batch.push(...Messages);
    if (batch.length === 0) return batch;
    if (Messages.length === 0 && Date.now() < windowEnds)
      await sleep(Math.min(50, windowEnds - Date.now()));
  } while (isRunning() && batch.length < options.batchSize && Date.now() < windowEnds);
  return batch;
}

async function invoke(
  options: EventSourceOptions,
  handler: SqsHandler,
  messages: Message[],
  invocation: number,
): Promise<InvocationResult> {
  const records = messages.map((message) => toSqsRecord(message, options));
  let failedIds: Set<string>;
  let error: unknown;
  try {
    const response = await handler(
      { Records: records },
      lambdaContext(
        options.functionName,
        `local-${options.functionName}-${invocation}`,
        options.timeoutMs,
      ),
    );
    const reported = (response?.batchItemFailures ?? []).map((failure) => failure.itemIdentifier);
    const known = new Set(records.map((record) => record.messageId));
    // Lambda fails the whole batch when an identifier is empty or names no record of it.
    failedIds = reported.every((id) => typeof id === "string" && known.has(id))
      ? new Set(reported)
      : known;
  } catch (thrown) {
    // A thrown error fails the whole batch: every message returns after its visibility timeout.
    error = thrown;
    failedIds = new Set(records.map((record) => record.messageId));
  }
  const succeeded = messages.filter((message) => !failedIds.has(message.MessageId ?? ""));
  if (succeeded.length > 0) {
    await options.sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: options.queueUrl,
        Entries: succeeded.map((message, index) => ({
          Id: String(index),
          ReceiptHandle: message.ReceiptHandle,
        })),
      }),
    );
  }
  return {
    functionName: options.functionName,
    records: records.length,
    failed: failedIds.size,
    error,
  };
}

export function toSqsRecord(
  message: Message,
  source: { queueArn: string; region: string },
): SQSRecord {
  const attributes = message.Attributes ?? {};
  return {
    messageId: message.MessageId ?? "",
    receiptHandle: message.ReceiptHandle ?? "",
    body: message.Body ?? "",
    attributes: {
      ApproximateReceiveCount: attributes.ApproximateReceiveCount ?? "1",
      SentTimestamp: attributes.SentTimestamp ?? String(Date.now()),
      SenderId: attributes.SenderId ?? "local",
      ApproximateFirstReceiveTimestamp:
        attributes.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
    },
    messageAttributes: toLambdaMessageAttributes(message.MessageAttributes),
    md5OfBody: message.MD5OfBody ?? "",
    eventSource: "aws:sqs",
    eventSourceARN: source.queueArn,
    awsRegion: source.region,
  };
}

function toLambdaMessageAttributes(
  attributes: Record<string, MessageAttributeValue> | undefined,
): SQSMessageAttributes {
  return Object.fromEntries(
    Object.entries(attributes ?? {}).map(([name, value]) => [
      name,
      {
        dataType: value.DataType ?? "String",
        stringValue: value.StringValue,
        binaryValue: value.BinaryValue
          ? Buffer.from(value.BinaryValue).toString("base64")
          : undefined,
        stringListValues: [],
        binaryListValues: [],
      },
    ]),
  );
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
