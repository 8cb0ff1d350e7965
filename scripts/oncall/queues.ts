import {
  ChangeMessageVisibilityBatchCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import { decodeEventKey } from "../../shared/events/keys.ts";
import { parseMessageBody } from "../../shared/events/parse-message.ts";
import { compact } from "../../shared/objects.ts";
import { parseFailureReport } from "../../shared/reports/failure-report.ts";
import { explainAwsError, UsageError } from "./errors.ts";
import { type OutputName, requireOutput, type StackOutputs } from "./stack-outputs.ts";

/** The SQS calls the on-call code makes; an SQSClient, or a test wrapper around one. */
export type SqsApi = Pick<SQSClient, "send">;

export const QUEUE_CHOICES = ["validation", "failure"] as const;
export type QueueChoice = (typeof QUEUE_CHOICES)[number];

export interface QueueRef {
  /** "validation DLQ", "failure queue", or the ARN given. */
  readonly label: string;
  readonly url: string;
  readonly arn?: string;
}

export function parseQueueChoice(raw: string | undefined): QueueChoice {
  const value = raw ?? "validation";
  if (!(QUEUE_CHOICES as readonly string[]).includes(value)) {
    throw new UsageError(`--queue must be validation or failure (got "${value}")`);
  }
  return value as QueueChoice;
}

const PREFIX: Record<QueueChoice, string> = { validation: "Validation", failure: "Failure" };

/** The dead-letter queue of the validation or failure queue. */
export function dlqOf(outputs: StackOutputs, choice: QueueChoice): QueueRef {
  return queueRef(outputs, `${choice} DLQ`, `${PREFIX[choice]}Dlq`);
}

/** The queue whose DLQ it is: where a redrive "back to source" goes. */
export function sourceOf(outputs: StackOutputs, choice: QueueChoice): QueueRef {
  return queueRef(outputs, `${choice} queue`, `${PREFIX[choice]}Queue`);
}

function queueRef(outputs: StackOutputs, label: string, stem: string): QueueRef {
  const url = requireOutput(outputs, `${stem}Url` as OutputName);
  const arn = outputs.values[`${stem}Arn`];
  return arn ? { label, url, arn } : { label, url };
}

/** Looks up a queue's URL from its ARN (arn:aws:sqs:region:account:name) with GetQueueUrl. */
export async function queueFromArn(sqs: SqsApi, arn: string): Promise<QueueRef> {
  const parts = arn.split(":");
  const [, , service, , account, name] = parts;
  if (parts.length !== 6 || service !== "sqs" || !account || !name) {
    throw new UsageError(`--to must be source, failure or an SQS queue ARN (got "${arn}")`);
  }
  try {
    const { QueueUrl } = await sqs.send(
      new GetQueueUrlCommand({ QueueName: name, QueueOwnerAWSAccountId: account }),
    );
    if (!QueueUrl) throw new UsageError(`no queue URL for ${arn}`);
    return { label: arn, url: QueueUrl, arn };
  } catch (error) {
    throw explainAwsError(error, `looking up ${arn}`);
  }
}

export interface QueueDepth {
  readonly visible: number;
  readonly inFlight: number;
  readonly delayed: number;
  readonly arn?: string;
}

/** Approximate counts (SQS's own word); also the check that the queue exists. */
export async function queueDepth(sqs: SqsApi, queue: QueueRef): Promise<QueueDepth> {
  try {
    const { Attributes = {} } = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: queue.url,
        AttributeNames: [
          "ApproximateNumberOfMessages",
          "ApproximateNumberOfMessagesNotVisible",
          "ApproximateNumberOfMessagesDelayed",
          "QueueArn",
        ],
      }),
    );
    return compact({
      visible: Number(Attributes.ApproximateNumberOfMessages ?? 0),
      inFlight: Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0),
      delayed: Number(Attributes.ApproximateNumberOfMessagesDelayed ?? 0),
      arn: Attributes.QueueArn,
    });
  } catch (error) {
    throw explainAwsError(error, `reading the ${queue.label} (${queue.url})`);
  }
}

/** SQS's largest receive batch. https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ReceiveMessage.html */
export const MAX_BATCH = 10;

export async function receiveBatch(
  sqs: SqsApi,
  queue: QueueRef,
  options: { max: number; visibilityTimeout: number; waitTimeSeconds: number },
): Promise<Message[]> {
  try {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queue.url,
        MaxNumberOfMessages: Math.min(MAX_BATCH, Math.max(1, options.max)),
        VisibilityTimeout: options.visibilityTimeout,
        // Long polling asks every SQS server, so an empty answer means "nothing visible"
        // rather than "nothing on the servers sampled".
        // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-short-and-long-polling.html
        WaitTimeSeconds: options.waitTimeSeconds,
        MessageSystemAttributeNames: ["All"],
        MessageAttributeNames: ["All"],
      }),
    );
    return Messages;
  } catch (error) {
    throw explainAwsError(error, `receiving from the ${queue.label} (${queue.url})`);
  }
}

export interface ReleaseResult {
  readonly released: number;
  /** "messageId: reason" for each message whose visibility could not be reset. */
  readonly failures: readonly string[];
}

/**
 * Makes received messages visible again at once (visibility timeout 0), so that looking or a
 * stopped move leaves them where they were. A failure here loses nothing: the message comes
 * back by itself when the visibility timeout it was received with runs out.
 */
export async function releaseMessages(
  sqs: SqsApi,
  queue: QueueRef,
  messages: readonly Message[],
): Promise<ReleaseResult> {
  let released = 0;
  const failures: string[] = [];
  for (let start = 0; start < messages.length; start += MAX_BATCH) {
    const chunk = messages.slice(start, start + MAX_BATCH);
    try {
      const { Successful = [], Failed = [] } = await sqs.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: queue.url,
          Entries: chunk.map((message, index) => ({
            Id: String(index),
            ReceiptHandle: message.ReceiptHandle,
            VisibilityTimeout: 0,
          })),
        }),
      );
      released += Successful.length;
      for (const failed of Failed) {
        const message = chunk[Number(failed.Id)];
        failures.push(`${message?.MessageId}: ${failed.Code} ${failed.Message ?? ""}`.trim());
      }
    } catch (error) {
      for (const message of chunk) failures.push(`${message.MessageId}: ${String(error)}`);
    }
  }
  return { released, failures };
}

/** One object a message is about. */
export interface MessageObject {
  readonly bucket: string;
  readonly key: string;
  readonly versionId?: string;
}

/** A dead-lettered message, read for people: what it is about and what state it is in. */
export interface DescribedMessage {
  readonly messageId: string;
  /** What the message is about: EventBridge/S3 event, pending check, failure report, or why unreadable. */
  readonly kind: "event" | "pending-check" | "failure-report" | "ignored" | "malformed" | "unknown";
  readonly objects: readonly MessageObject[];
  /** The failure report's verdict (failure queue messages). */
  readonly verdict?: string;
  /** One line: the verdict and summary, or what kind of message it is, or why it cannot be read. */
  readonly note: string;
  /** ApproximateReceiveCount: how often a consumer received it (inspecting adds one). */
  readonly receiveCount?: number;
  /** When it was first sent to the source queue (the DLQ keeps the original SentTimestamp). */
  readonly sentAt?: string;
  readonly ageSeconds?: number;
  /** The queue it was dead-lettered from. */
  readonly deadLetterSourceArn?: string;
  readonly messageAttributes?: Readonly<Record<string, string>>;
}

export function describeMessage(message: Message, now: Date): DescribedMessage {
  const body = message.Body ?? "";
  const attributes = message.Attributes ?? {};
  const sentMillis = Number(attributes.SentTimestamp);
  const state = compact({
    messageId: message.MessageId ?? "",
    receiveCount:
      attributes.ApproximateReceiveCount === undefined
        ? undefined
        : Number(attributes.ApproximateReceiveCount),
    sentAt: Number.isFinite(sentMillis) ? new Date(sentMillis).toISOString() : undefined,
    ageSeconds: Number.isFinite(sentMillis)
      ? Math.max(0, Math.round((now.getTime() - sentMillis) / 1000))
      : undefined,
    deadLetterSourceArn: attributes.DeadLetterQueueSourceArn,
    messageAttributes: stringAttributes(message),
  });
  return { ...state, ...whatItIs(body) };
}

type Content = Pick<DescribedMessage, "kind" | "objects" | "verdict" | "note">;

function whatItIs(body: string): Content {
  const report = parseFailureReport(body);
  if (report) {
    return compact({
      kind: "failure-report" as const,
      objects: report.object
        ? [
            compact({
              bucket: report.object.bucket,
              key: report.object.key,
              versionId: report.object.versionId,
            }),
          ]
        : [],
      verdict: report.verdict,
      note: `${report.verdict}: ${report.summary}`,
    });
  }
  const parsed = parseMessageBody(body);
  if (parsed.kind === "malformed") {
    return { kind: "malformed", objects: [], note: `unreadable: ${parsed.reason}` };
  }
  if (parsed.kind === "ignored") {
    return { kind: "ignored", objects: [], note: `not validated: ${parsed.reason}` };
  }
  const objects = parsed.objects.map((object) =>
    compact({ bucket: object.bucket, key: object.key, versionId: object.versionId }),
  );
  if (parsed.attempt > 1) {
    return {
      kind: "pending-check",
      objects,
      note: `pending check #${parsed.attempt} (replica not there since ${parsed.firstCheckedAt})`,
    };
  }
  const reasons = [...new Set(parsed.objects.map((object) => object.reason ?? "object created"))];
  const problems = parsed.problems.length > 0 ? `; ${parsed.problems.join("; ")}` : "";
  return { kind: "event", objects, note: `${reasons.join(", ")} event${problems}` };
}

function stringAttributes(message: Message): Record<string, string> | undefined {
  const entries = Object.entries(message.MessageAttributes ?? {}).filter(
    ([, value]) => value.StringValue !== undefined,
  );
  if (entries.length === 0) return undefined;
  return Object.fromEntries(entries.map(([name, value]) => [name, value.StringValue as string]));
}

/**
 * `--filter` matches a message when one of its objects' "bucket/key" starts with the filter
 * (so a bucket name or a bucket/prefix), or its key alone does (a key prefix). An `s3://`
 * prefix is ignored. Keys are compared as the event carried them and URL-decoded. Messages
 * about no object (unreadable ones) never match a filter.
 */
export function matchesFilter(described: DescribedMessage, filter: string): boolean {
  const wanted = filter.replace(/^s3:\/\//, "");
  return described.objects.some((object) => {
    const keys = new Set([object.key, decodeEventKey(object.key) ?? object.key]);
    return [...keys].some(
      (key) => `${object.bucket}/${key}`.startsWith(wanted) || key.startsWith(wanted),
    );
  });
}
