/**
 * Local stand-in for SNS email subscriptions: an SQS queue subscribed to the alert topic is
 * drained into an outbox folder, one RFC 5322 `.eml` file per alert, which any mail client
 * opens. SNS delivers to SQS in its JSON envelope (no raw delivery), with Subject and
 * MessageAttributes alongside the message.
 * https://docs.aws.amazon.com/sns/latest/dg/sns-message-and-json-formats.html
 *
 * The file is built by nodemailer's MailComposer (no dependencies, a development dependency
 * here): headers encoded (RFC 2047) and folded, the body quoted-printable with lines of at most
 * 76 characters (RFC 5322 allows 998), CRLF line ends; a mail client shows the text as written.
 * https://nodemailer.com/extras/mailcomposer/
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { DeleteMessageCommand, ReceiveMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";
import MailComposer from "nodemailer/lib/mail-composer";

export interface Email {
  readonly path: string;
  readonly subject: string;
  readonly body: string;
  readonly attributes: Readonly<Record<string, string>>;
  readonly receivedAt: Date;
}

export interface EmailOutbox {
  readonly emails: readonly Email[];
  stop(): Promise<void>;
}

export interface EmailOutboxOptions {
  readonly sqs: SQSClient;
  readonly queueUrl: string;
  readonly directory: string;
  readonly recipient: string;
  readonly onEmail?: (email: Email) => void;
  readonly onError: (error: unknown, where: string) => void;
}

interface SnsEnvelope {
  readonly MessageId?: string;
  readonly TopicArn?: string;
  readonly Subject?: string;
  readonly Message?: string;
  readonly Timestamp?: string;
  readonly MessageAttributes?: Record<string, { Type?: string; Value?: string }>;
}

export async function startEmailOutbox(options: EmailOutboxOptions): Promise<EmailOutbox> {
  await mkdir(options.directory, { recursive: true });
  const emails: Email[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      try {
        const { Messages = [] } = await options.sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: options.queueUrl,
            MaxNumberOfMessages: 10,
            WaitTimeSeconds: 1,
          }),
        );
        for (const message of Messages) {
          const email = await writeEmail(
            options,
            JSON.parse(message.Body ?? "{}") as SnsEnvelope,
            emails.length + 1,
          );
          emails.push(email);
          options.onEmail?.(email);
          await options.sqs.send(
            new DeleteMessageCommand({
              QueueUrl: options.queueUrl,
              ReceiptHandle: message.ReceiptHandle,
            }),
          );
        }
      } catch (error) {
        options.onError(error, "email outbox");
      }
    }
  })();
  return {
    emails,
    async stop() {
      running = false;
      await loop;
    },
  };
}

async function writeEmail(
  options: EmailOutboxOptions,
  envelope: SnsEnvelope,
  number: number,
): Promise<Email> {
  const receivedAt = envelope.Timestamp ? new Date(envelope.Timestamp) : new Date();
  const subject = envelope.Subject ?? "(no subject)";
  const body = envelope.Message ?? "";
  const attributes = Object.fromEntries(
    Object.entries(envelope.MessageAttributes ?? {}).map(([name, value]) => [
      name,
      value.Value ?? "",
    ]),
  );
  const stamp = receivedAt.toISOString().replace(/[:.]/g, "-");
  const path = join(options.directory, `${stamp}-${String(number).padStart(4, "0")}.eml`);
  const mail = new MailComposer({
    from: "AWS Notifications <no-reply@sns.amazonaws.com>",
    to: options.recipient,
    subject,
    text: body,
    date: receivedAt,
    messageId: `<${envelope.MessageId ?? number}@sns.local>`,
    headers: {
      "X-SNS-Topic-Arn": envelope.TopicArn ?? "",
      ...Object.fromEntries(
        Object.entries(attributes).map(([name, value]) => [`X-SNS-Attribute-${name}`, value]),
      ),
    },
    // RFC 5322 lines end in CRLF.
    newline: "windows",
  });
  await writeFile(path, await mail.compile().build());
  return { path, subject, body, attributes, receivedAt };
}
