import { readFileSync } from "node:fs";
import { CreateTopicCommand, SNSClient, SubscribeCommand } from "@aws-sdk/client-sns";
import { GetQueueAttributesCommand, type Message } from "@aws-sdk/client-sqs";
import type { SQSBatchResponse, SQSEvent } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { PAGER_ALERT_FILTER_POLICY } from "../../../resources/cloudformation/primary/topic.ts";
import { type DynamoDbStandIn, startDynamoDbStandIn } from "../../../scripts/local/dynamodb.ts";
import { type Emulator, startEmulator, TEST_CREDENTIALS } from "../../helpers/emulator.ts";
import { fixtureText } from "../../helpers/events.ts";
import { loadNotifierHandler, notifierTestEnvironment } from "../../helpers/notifier-handler.ts";
import { failureQueueRecord, reportFor } from "../../helpers/reports.ts";

/**
 * The real handler module against the in-process emulator over HTTP: an SNS topic with SQS
 * subscriptions stands in for the on-call mailbox. The handler finds the emulator only through
 * AWS_ENDPOINT_URL_SNS, as the SDK's service-specific endpoint variable.
 */

interface SnsEnvelope {
  readonly Type: string;
  readonly Subject?: string;
  readonly Message: string;
  readonly MessageAttributes?: Record<string, { Type: string; Value: string }>;
}

let emulator: Emulator;
let dynamo: DynamoDbStandIn;
let sns: SNSClient;
let mailboxUrl: string;
let criticalOnlyUrl: string;
let handler: (event: SQSEvent) => Promise<SQSBatchResponse>;

async function subscribe(topicArn: string, queueUrl: string, filterPolicy?: object) {
  const { Attributes } = await emulator.sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["QueueArn"] }),
  );
  await sns.send(
    new SubscribeCommand({
      TopicArn: topicArn,
      Protocol: "sqs",
      Endpoint: Attributes?.QueueArn,
      Attributes: filterPolicy ? { FilterPolicy: JSON.stringify(filterPolicy) } : undefined,
    }),
  );
}

function envelopes(messages: readonly Message[]): SnsEnvelope[] {
  return messages.map((message) => JSON.parse(message.Body ?? "{}") as SnsEnvelope);
}

beforeAll(async () => {
  emulator = await startEmulator();
  dynamo = await startDynamoDbStandIn({ tableName: "backup-validator-prod-alerts-sent" });
  sns = new SNSClient({
    endpoint: emulator.endpoint,
    region: "us-east-1",
    credentials: TEST_CREDENTIALS,
  });
  const { TopicArn = "" } = await sns.send(
    new CreateTopicCommand({ Name: "backup-validator-prod-alerts" }),
  );
  mailboxUrl = await emulator.createQueue("oncall-mailbox");
  criticalOnlyUrl = await emulator.createQueue("oncall-pager");
  await subscribe(TopicArn, mailboxUrl);
  // Subscribers filter on the message attributes: the pager's policy of the stack and README.
  await subscribe(TopicArn, criticalOnlyUrl, PAGER_ALERT_FILTER_POLICY);

  handler = await loadNotifierHandler(
    notifierTestEnvironment({
      alertTopicArn: TopicArn,
      alertsSent: dynamo,
      snsEndpoint: emulator.endpoint,
    }),
  );
});

afterAll(async () => {
  vi.unstubAllEnvs();
  sns?.destroy();
  await emulator?.stop();
  await dynamo?.stop();
});

describe("failure-notifier on the emulator", () => {
  it("delivers each alert to the mailbox with its subject, body and attributes", async () => {
    // Prepare
    const event: SQSEvent = {
      Records: [
        failureQueueRecord(JSON.stringify(reportFor("MISMATCH"))),
        failureQueueRecord(JSON.stringify(reportFor("UNVERIFIABLE")), { messageId: "msg-02" }),
        failureQueueRecord(fixtureText("eventbridge-object-created.json"), { messageId: "msg-03" }),
      ],
    };

    // Act
    const response = await handler(event);

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    const mailbox = envelopes(await emulator.drain(mailboxUrl));
    expect(mailbox.map((envelope) => envelope.Subject).sort()).toEqual([
      "[backup-validator prod] MISMATCH documents: reports/q3.pdf",
      "[backup-validator prod] REDRIVEN_EVENT DOC-EXAMPLE-BUCKET1: example-key",
      "[backup-validator prod] UNVERIFIABLE documents: reports/q3.pdf",
    ]);
    const mismatch = mailbox.find((envelope) => envelope.Subject?.includes("MISMATCH"));
    // The email is exactly the reviewed rendering in test/shared/notifier/alerts/report-MISMATCH.txt.
    const reviewed = readFileSync(
      new URL("../../shared/notifier/alerts/report-MISMATCH.txt", import.meta.url),
      "utf8",
    );
    expect(mismatch?.Message).toBe(reviewed.slice(reviewed.indexOf("\n\n") + 2));
    expect(mismatch?.MessageAttributes).toEqual({
      verdict: { Type: "String", Value: "MISMATCH" },
      severity: { Type: "String", Value: "critical" },
      stage: { Type: "String", Value: "prod" },
      bucket: { Type: "String", Value: "backup-validator-prod-documents-primary" },
      category: { Type: "String", Value: "documents" },
      alertType: { Type: "String", Value: "single" },
      // Stable per verdict and object version: a pager can de-duplicate on it.
      reportId: { Type: "String", Value: reportFor("MISMATCH").reportId },
    });

    const pager = envelopes(await emulator.drain(criticalOnlyUrl));
    expect(pager.map((envelope) => envelope.Subject)).toEqual([
      "[backup-validator prod] MISMATCH documents: reports/q3.pdf",
    ]);
  });

  it("sends one alert for a report delivered again in a later batch (a redrive)", async () => {
    // Prepare
    const report = JSON.stringify(reportFor("REPLICATION_FAILED", "redriven/once.pdf"));
    await handler({ Records: [failureQueueRecord(report, { messageId: "first" })] });

    // Act: the same report, redriven with a new SQS message id
    const again = await handler({ Records: [failureQueueRecord(report, { messageId: "again" })] });

    // Assess
    expect(again).toEqual({ batchItemFailures: [] });
    const mailbox = envelopes(await emulator.drain(mailboxUrl));
    expect(mailbox.map((envelope) => envelope.Subject)).toEqual([
      "[backup-validator prod] REPLICATION_FAILED documents: redriven/once.pdf",
    ]);
    await emulator.drain(criticalOnlyUrl);
  });

  it("delivers a 1 MB non-JSON body as an alert SNS accepts, truncated with a marker", async () => {
    // Prepare
    const huge = `BEGIN ${"Ünïcödé ".repeat(100_000)} END`;

    // Act
    const response = await handler({
      Records: [failureQueueRecord(huge, { messageId: "msg-huge" })],
    });

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    const [alert] = envelopes(await emulator.drain(mailboxUrl));
    expect(alert?.Subject).toBe("[backup-validator prod] UNRECOGNISED_MESSAGE: not JSON");
    expect(Buffer.byteLength(alert?.Message ?? "")).toBeLessThan(256 * 1024);
    expect(alert?.Message).toContain("MESSAGE BODY (as received)\nBEGIN Ünïcödé");
    expect(alert?.Message).toMatch(/… \[truncated, 1200010 bytes in all\]/);
    expect(alert?.Message).not.toContain(" END");
  });
});
