import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import type { SQSEvent } from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { type DynamoDbStandIn, startDynamoDbStandIn } from "../../../scripts/local/dynamodb.ts";
import { ConfigurationError } from "../../../shared/errors.ts";
import { loadNotifierHandler, notifierTestEnvironment } from "../../helpers/notifier-handler.ts";
import { records, reportFor } from "../../helpers/reports.ts";

/**
 * The real handler module with SNS faults the emulator cannot produce (throttling, 500s).
 * Each test imports the module afresh, as a cold start would.
 */

const TOPIC_ARN = "arn:aws:sns:us-east-1:111122223333:backup-validator-prod-alerts";

/**
 * The handler with exactly the test's ALERT_TOPIC_ARN and STAGE (absent where it gives none), and
 * a fresh alerts-sent table per test (dynalite): each test's reports are new.
 */
function loadHandler(environment: Record<string, string | undefined>) {
  return loadNotifierHandler(
    notifierTestEnvironment(
      { alertTopicArn: TOPIC_ARN, alertsSent: dynamo },
      { ALERT_TOPIC_ARN: undefined, STAGE: undefined, ...environment },
    ),
  );
}

const sns = mockClient(SNSClient);
let dynamo: DynamoDbStandIn;

beforeEach(async () => {
  sns.reset();
  dynamo = await startDynamoDbStandIn({ tableName: "backup-validator-prod-alerts-sent" });
});

afterEach(async () => {
  vi.unstubAllEnvs();
  await dynamo.stop();
});

describe("failure-notifier handler", () => {
  const environment = { ALERT_TOPIC_ARN: TOPIC_ARN, STAGE: "prod" };
  const batch = (): SQSEvent => ({
    Records: records([
      JSON.stringify(reportFor("MISMATCH")),
      JSON.stringify(reportFor("UNVERIFIABLE", "a/1.pdf")),
      JSON.stringify(reportFor("UNVERIFIABLE", "a/2.pdf")),
      "not json",
    ]),
  });

  it("publishes one SNS message per alert with subject and attributes", async () => {
    // Prepare
    sns.on(PublishCommand).resolves({ MessageId: "m" });
    const handler = await loadHandler(environment);

    // Act
    const response = await handler(batch());

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 3);
    expect(sns).toHaveReceivedCommandWith(PublishCommand, {
      TopicArn: TOPIC_ARN,
      Subject: "[backup-validator prod] MISMATCH documents: reports/q3.pdf",
      MessageAttributes: {
        verdict: { DataType: "String", StringValue: "MISMATCH" },
        severity: { DataType: "String", StringValue: "critical" },
        stage: { DataType: "String", StringValue: "prod" },
        bucket: { DataType: "String", StringValue: "backup-validator-prod-documents-primary" },
        category: { DataType: "String", StringValue: "documents" },
        alertType: { DataType: "String", StringValue: "single" },
        reportId: { DataType: "String", StringValue: reportFor("MISMATCH").reportId },
      },
    });
    expect(sns).toHaveReceivedCommandWith(PublishCommand, {
      Subject: "[backup-validator prod] 2x UNVERIFIABLE documents: a/1.pdf +1 more",
    });
  });

  it("fails only the records whose alert was throttled", async () => {
    // Prepare: the digest of the two UNVERIFIABLE reports is throttled.
    sns.on(PublishCommand).resolves({ MessageId: "m" });
    sns
      .on(PublishCommand, {
        Subject: "[backup-validator prod] 2x UNVERIFIABLE documents: a/1.pdf +1 more",
      })
      .rejects(Object.assign(new Error("Rate exceeded"), { name: "ThrottledException" }));
    const handler = await loadHandler(environment);

    // Act
    const response = await handler(batch());

    // Assess
    expect(response).toEqual({
      batchItemFailures: [{ itemIdentifier: "msg-02" }, { itemIdentifier: "msg-03" }],
    });
  });

  it("fails only the record of a single alert that hit a 500", async () => {
    // Prepare
    sns.on(PublishCommand).resolves({ MessageId: "m" });
    sns
      .on(PublishCommand, { Subject: "[backup-validator prod] UNRECOGNISED_MESSAGE: not JSON" })
      .rejects(
        Object.assign(new Error("We encountered an internal error"), {
          name: "InternalErrorException",
          $metadata: { httpStatusCode: 500 },
        }),
      );
    const handler = await loadHandler(environment);

    // Act
    const response = await handler(batch());

    // Assess
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: "msg-04" }] });
  });

  it("reports every record as failed when SNS is down, rather than throwing", async () => {
    // Prepare
    sns.on(PublishCommand).rejects(new Error("getaddrinfo ENOTFOUND sns.us-east-1.amazonaws.com"));
    const handler = await loadHandler(environment);

    // Act
    const response = await handler(batch());

    // Assess
    expect(response.batchItemFailures.map((failure) => failure.itemIdentifier)).toEqual([
      "msg-01",
      "msg-02",
      "msg-03",
      "msg-04",
    ]);
  });
});

describe("failure-notifier configuration (read at cold start)", () => {
  it.each([
    [{ STAGE: "prod" }, "ALERT_TOPIC_ARN: is required"],
    [
      { ALERT_TOPIC_ARN: "arn:aws:sqs:us-east-1:111122223333:alerts", STAGE: "prod" },
      'ALERT_TOPIC_ARN: must be an SNS topic ARN such as arn:aws:sns:us-east-1:111122223333:alerts (got "arn:aws:sqs:us-east-1:111122223333:alerts")',
    ],
    [
      { ALERT_TOPIC_ARN: "arn:aws:sns:us-east-1:alerts", STAGE: "prod" },
      "ALERT_TOPIC_ARN: must be an SNS topic ARN such as arn:aws:sns:us-east-1:111122223333:alerts",
    ],
    [{ ALERT_TOPIC_ARN: TOPIC_ARN }, "STAGE: is required"],
    [
      { ALERT_TOPIC_ARN: TOPIC_ARN, STAGE: "prod stage" },
      'STAGE: must be 1-64 lowercase letters, digits and hyphens, not starting with a hyphen (got "prod stage")',
    ],
  ])("%j is refused: %s", async (environment, message) => {
    // Prepare
    vi.stubEnv("ALERT_TOPIC_ARN", undefined);
    vi.stubEnv("STAGE", undefined);

    // Act
    const loading = loadHandler(environment);

    // Assess
    // vi.resetModules gives the handler its own copy of shared/errors.ts: compare by name.
    await expect(loading).rejects.toMatchObject({ name: ConfigurationError.name });
    await expect(loading).rejects.toThrow(message);
  });
});
