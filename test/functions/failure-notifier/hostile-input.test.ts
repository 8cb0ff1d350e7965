/**
 * The notifier's hostile-input corpus (test/helpers/hostile-bodies.ts) through the real
 * failure-notifier handler, publishing to SNS on the emulator: each body in a batch beside a
 * valid report. No body may fail the batch or its own record; each reaches a person as an alert
 * of the documented kind, and the valid report's alert goes out beside it.
 */
import { CreateTopicCommand, SNSClient, SubscribeCommand } from "@aws-sdk/client-sns";
import { GetQueueAttributesCommand } from "@aws-sdk/client-sqs";
import type { SQSBatchResponse, SQSEvent } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { type DynamoDbStandIn, startDynamoDbStandIn } from "../../../scripts/local/dynamodb.ts";
import { type Emulator, startEmulator, TEST_CREDENTIALS } from "../../helpers/emulator.ts";
import { notifierCorpus } from "../../helpers/hostile-bodies.ts";
import { loadNotifierHandler, notifierTestEnvironment } from "../../helpers/notifier-handler.ts";
import { failureQueueRecord, reportFor } from "../../helpers/reports.ts";

let emulator: Emulator;
let dynamo: DynamoDbStandIn;
let sns: SNSClient;
let mailboxUrl: string;
let handler: (event: SQSEvent) => Promise<SQSBatchResponse>;

beforeAll(async () => {
  emulator = await startEmulator();
  dynamo = await startDynamoDbStandIn({ tableName: "bv-hostile-alerts-sent" });
  sns = new SNSClient({
    endpoint: emulator.endpoint,
    region: "us-east-1",
    credentials: TEST_CREDENTIALS,
  });
  const { TopicArn = "" } = await sns.send(new CreateTopicCommand({ Name: "bv-hostile-alerts" }));
  mailboxUrl = await emulator.createQueue("bv-hostile-mailbox");
  const { Attributes } = await emulator.sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: mailboxUrl, AttributeNames: ["QueueArn"] }),
  );
  await sns.send(
    new SubscribeCommand({ TopicArn, Protocol: "sqs", Endpoint: Attributes?.QueueArn }),
  );
  handler = await loadNotifierHandler(
    notifierTestEnvironment({
      alertTopicArn: TopicArn,
      alertsSent: dynamo,
      snsEndpoint: emulator.endpoint,
    }),
    "bv-hostile-failure-notifier",
  );
});

afterAll(async () => {
  vi.unstubAllEnvs();
  sns?.destroy();
  await emulator?.stop();
  await dynamo?.stop();
});

const corpus = notifierCorpus();

describe("the notifier's hostile-input corpus, each beside a valid report", () => {
  it("has at least 30 bodies", () => {
    expect(corpus.length).toBeGreaterThanOrEqual(30);
  });

  it.each(corpus.map((item, index) => [item.name, item, index] as const))(
    "%s",
    async (_name, item, index) => {
      // Prepare: a valid report of another verdict, so that the two are not one digest, and of
      // another object each time, so that the alerts-sent store does not take it for a repeat.
      const hostile = failureQueueRecord(item.body, { messageId: "hostile" });
      const valid = failureQueueRecord(
        JSON.stringify(reportFor("REPLICA_MISSING", `hostile/valid-${index}.bin`)),
        { messageId: "valid" },
      );

      // Act
      const response = await handler({ Records: [hostile, valid] });
      const alerts = (await emulator.drain(mailboxUrl)).map(
        (message) =>
          JSON.parse(message.Body ?? "{}") as {
            Subject: string;
            Message: string;
            MessageAttributes: Record<string, { Value: string }>;
          },
      );

      // Assess
      expect(response.batchItemFailures).toEqual([]);
      expect(alerts.map((alert) => alert.MessageAttributes.verdict?.Value).sort()).toEqual(
        [item.outcome, "REPLICA_MISSING"].sort(),
      );
      for (const alert of alerts) {
        expect(alert.Subject).toMatch(/^[\x20-\x7e]{1,99}$/);
        expect(Buffer.byteLength(alert.Message)).toBeLessThan(256 * 1024);
      }
    },
  );
});
