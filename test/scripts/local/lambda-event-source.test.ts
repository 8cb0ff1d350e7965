/**
 * The local stand-in for Lambda's SQS event source, on the emulator: what the handler reports
 * as failed stays on the queue, everything else is deleted, as Lambda does.
 */
import { SendMessageCommand } from "@aws-sdk/client-sqs";
import type { SQSEvent } from "aws-lambda";
import { afterAll, beforeAll, beforeEach, expect, it } from "vitest";
import {
  type InvocationResult,
  type SqsHandler,
  startEventSource,
} from "../../../scripts/local/lambda-event-source.ts";
import { type Emulator, startEmulator } from "../../helpers/emulator.ts";

let emulator: Emulator;
let queueUrl: string;

beforeAll(async () => {
  emulator = await startEmulator();
  queueUrl = await emulator.createQueue("bv-event-source", { VisibilityTimeout: "30" });
});

beforeEach(() => {
  emulator.server.reset();
});

afterAll(async () => {
  await emulator.stop();
});

/** Sends `bodies`, lets the event source hand them to `handler` once, and stops it. */
async function deliverOnce(bodies: string[], handler: SqsHandler) {
  for (const body of bodies) {
    await emulator.sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body }));
  }
  const events: SQSEvent[] = [];
  const errors: unknown[] = [];
  let done: (result: InvocationResult) => void = () => undefined;
  const invoked = new Promise<InvocationResult>((resolve) => {
    done = resolve;
  });
  const source = startEventSource({
    sqs: emulator.sqs,
    queueUrl,
    queueArn: "arn:aws:sqs:us-east-1:000000000000:bv-event-source",
    region: "us-east-1",
    functionName: "test-function",
    batchSize: 10,
    batchingWindowMs: 100,
    timeoutMs: 30_000,
    handlers: [
      async (event, context) => {
        events.push(event);
        return handler(event, context);
      },
    ],
    onInvoke: (result) => done(result),
    onError: (error) => errors.push(error),
  });
  const result = await invoked;
  await source.stop();
  return { result, events, errors, left: emulator.queued(queueUrl) };
}

it("hands over a batch of Lambda-shaped records and deletes what succeeded", async () => {
  const { result, events, errors, left } = await deliverOnce(["a", "b", "c"], async (event) => ({
    batchItemFailures: [{ itemIdentifier: event.Records[1]?.messageId ?? "" }],
  }));

  expect(result).toMatchObject({ records: 3, failed: 1 });
  expect(left).toBe(1);
  expect(errors).toEqual([]);
  const [record] = events[0]?.Records ?? [];
  expect(record).toMatchObject({
    eventSource: "aws:sqs",
    eventSourceARN: "arn:aws:sqs:us-east-1:000000000000:bv-event-source",
    awsRegion: "us-east-1",
    attributes: { ApproximateReceiveCount: "1" },
  });
});

it("keeps the whole batch when the handler throws", async () => {
  const { result, left } = await deliverOnce(["a", "b"], async () => {
    throw new Error("boom");
  });

  expect(result).toMatchObject({ records: 2, failed: 2 });
  expect(left).toBe(2);
});

it("keeps the whole batch when a reported identifier names no record, as Lambda does", async () => {
  const { result, left } = await deliverOnce(["a", "b"], async () => ({
    batchItemFailures: [{ itemIdentifier: "" }],
  }));

  expect(result).toMatchObject({ records: 2, failed: 2 });
  expect(left).toBe(2);
});
