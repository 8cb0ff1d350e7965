/**
 * Alerts in AWS Chatbot's custom-notification format, and the one publish that carries the text
 * for e-mail and the chat JSON for HTTPS subscribers (SNS MessageStructure json). fauxqs ignores
 * MessageStructure, so the request itself is what is checked, against SNS's documented rules.
 * https://docs.aws.amazon.com/chatbot/latest/adminguide/custom-notifs.html
 */
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { planAlerts } from "../../../shared/notifier/alert-batch.ts";
import { snsAlertPublisher, structuredMessage } from "../../../shared/notifier/alert-publisher.ts";
import { records, reportFor, STAGE } from "../../helpers/reports.ts";

const sns = mockClient(SNSClient);
beforeEach(() => sns.reset());

const single = () => {
  const [planned] = planAlerts(records([JSON.stringify(reportFor("MISMATCH"))]), { stage: STAGE });
  if (!planned) throw new Error("no alert planned");
  return planned.alert;
};

describe("the Chatbot custom notification", () => {
  it("has the documented shape: version 1.0, source custom, markdown content, a thread", () => {
    // Act
    const chat = single().chat;

    // Assess
    expect(chat).toEqual({
      version: "1.0",
      source: "custom",
      id: reportFor("MISMATCH").reportId,
      content: {
        textType: "client-markdown",
        title: ":rotating_light: MISMATCH (critical) - backup-validator prod",
        description: expect.stringContaining(
          "`s3://backup-validator-prod-documents-primary/reports/q3.pdf`: SHA256 checksum differs",
        ),
        nextSteps: [
          "`npm run verify -- s3://backup-validator-prod-documents-primary/reports/q3.pdf --version-id 3HL4kqtJvjVBH40Nrjfkd.Wq5v1LZg0b --stage prod`",
        ],
        keywords: ["MISMATCH", "critical", "prod", "documents"],
      },
      metadata: {
        threadId: "backup-validator/prod/MISMATCH/backup-validator-prod-documents-primary",
        summary: "[backup-validator prod] MISMATCH documents: reports/q3.pdf",
        eventType: "MISMATCH",
        relatedResources: ["arn:aws:s3:::backup-validator-prod-documents-primary"],
        additionalContext: {
          stage: "prod",
          severity: "critical",
          reportId: reportFor("MISMATCH").reportId,
        },
      },
    });
  });

  it("names a few objects of a digest and says how many more", () => {
    // Prepare
    const bodies = Array.from({ length: 7 }, (_, i) =>
      JSON.stringify(reportFor("MISMATCH", `storm/${i}.bin`)),
    );

    // Act
    const [digest] = planAlerts(records(bodies), { stage: STAGE });

    // Assess
    expect(digest?.alert.chat?.content.title).toContain("7 x MISMATCH");
    expect(digest?.alert.chat?.content.description).toContain("… and 2 more (see the email)");
    expect(digest?.alert.chat?.content.nextSteps).toHaveLength(5);
    expect(digest?.alert.chat?.id).toBeUndefined();
  });
});

describe("publishing", () => {
  const topic = "arn:aws:sns:us-east-1:111122223333:backup-validator-prod-alerts";

  it("sends plain text with its attributes by default", async () => {
    // Prepare
    sns.on(PublishCommand).resolves({ MessageId: "m" });
    const alert = single();

    // Act
    await snsAlertPublisher(new SNSClient({ region: "us-east-1" }), topic).publish(alert);

    // Assess
    const [call] = sns.commandCalls(PublishCommand);
    expect(call?.args[0].input.Message).toBe(alert.body);
    expect(call?.args[0].input.MessageStructure).toBeUndefined();
    expect(call?.args[0].input.MessageAttributes?.reportId?.StringValue).toBe(
      reportFor("MISMATCH").reportId,
    );
  });

  it("with chat: one message, the text by default (e-mail, SQS) and the chat JSON for https", async () => {
    // Prepare
    sns.on(PublishCommand).resolves({ MessageId: "m" });
    const alert = single();

    // Act
    await snsAlertPublisher(new SNSClient({ region: "us-east-1" }), topic, { chat: true }).publish(
      alert,
    );

    // Assess: SNS's rules for json: a JSON object, a string "default", string values only
    const [call] = sns.commandCalls(PublishCommand);
    expect(call?.args[0].input.MessageStructure).toBe("json");
    const message = JSON.parse(call?.args[0].input.Message ?? "");
    expect(Object.keys(message).sort()).toEqual(["default", "https"]);
    expect(message.default).toBe(alert.body);
    expect(JSON.parse(message.https)).toEqual(alert.chat);
    expect(call?.args[0].input.Subject).toBe(alert.subject);
  });

  it("keeps both bodies within SNS's 256 KB together, cutting the text", () => {
    // Prepare: a text near the limit, full of characters JSON must escape
    const body = `${'"quoted"\n'.repeat(25_000)}END`;
    const alert = single();

    // Act
    const message = structuredMessage(body, alert.chat ?? (null as never));

    // Assess
    expect(Buffer.byteLength(message)).toBeLessThanOrEqual(256 * 1024 - 4 * 1024);
    const parsed = JSON.parse(message);
    expect(parsed.default).toMatch(/… \[truncated, \d+ bytes in all\]$/);
    expect(JSON.parse(parsed.https)).toEqual(alert.chat);
  });
});
