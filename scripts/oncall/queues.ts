import {
  ChangeMessageVisibilityBatchCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import type { RequiredOutput } from "../../resources/stack-outputs.ts";
import { decodeEventKey } from "../../shared/events/keys.ts";
import { classifyMessage } from "../../shared/messages/classify.ts";
import { compact, type ObjectIdentity } from "../../shared/objects.ts";
import { explainAwsError, UsageError } from "./errors.ts";
import { requireOutput, type StackOutputs } from "./stack-outputs.ts";

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
  const url = requireOutput(outputs, `${stem}Url` as RequiredOutput);
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
 * Sets the visibility timeout of received messages, ten per ChangeMessageVisibilityBatch: a
 * longer hold while a scan goes on, or 0 to make them visible again. Returns the messages
 * changed and, for the others, why not; a message not changed is safe either way (it comes back
 * when the timeout it was received with runs out).
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ChangeMessageVisibilityBatch.html
 */
export async function changeVisibility(
  sqs: SqsApi,
  queue: QueueRef,
  messages: readonly Message[],
  visibilityTimeoutSeconds: number,
): Promise<{ readonly changed: readonly Message[]; readonly failures: readonly string[] }> {
  const changed: Message[] = [];
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
            VisibilityTimeout: visibilityTimeoutSeconds,
          })),
        }),
      );
      for (const entry of Successful) {
        const message = chunk[Number(entry.Id)];
        if (message) changed.push(message);
      }
      for (const failed of Failed) {
        const message = chunk[Number(failed.Id)];
        failures.push(`${message?.MessageId}: ${failed.Code} ${failed.Message ?? ""}`.trim());
      }
    } catch (error) {
      for (const message of chunk) failures.push(`${message.MessageId}: ${String(error)}`);
    }
  }
  return { changed, failures };
}

/**
 * Makes received messages visible again at once, so that looking or a stopped move leaves them
 * where they were.
 */
export async function releaseMessages(
  sqs: SqsApi,
  queue: QueueRef,
  messages: readonly Message[],
): Promise<ReleaseResult> {
  const { changed, failures } = await changeVisibility(sqs, queue, messages, 0);
  return { released: changed.length, failures };
}

/** A dead-lettered message, read for people: what it is about and what state it is in. */
export interface DescribedMessage {
  readonly messageId: string;
  /** What the message is about: EventBridge/S3 event, pending check, failure report, or why unreadable. */
  readonly kind: "event" | "pending-check" | "failure-report" | "ignored" | "malformed" | "unknown";
  readonly objects: readonly ObjectIdentity[];
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
  const classified = classifyMessage(body);
  switch (classified.kind) {
    case "failure-report": {
      const { report } = classified;
      return compact({
        kind: "failure-report" as const,
        objects: report.object ? [identity(report.object)] : [],
        verdict: report.verdict,
        note: `${report.verdict}: ${report.summary}`,
      });
    }
    case "unreadable":
      return { kind: "malformed", objects: [], note: `unreadable: ${classified.reason}` };
    case "ignored":
      return { kind: "ignored", objects: [], note: `not validated: ${classified.reason}` };
    case "event": {
      const { parsed } = classified;
      const objects = classified.objects.map(identity);
      if (parsed.attempt > 1) {
        return {
          kind: "pending-check",
          objects,
          note: `pending check #${parsed.attempt} (replica not there since ${parsed.firstCheckedAt})`,
        };
      }
      const reasons = [
        ...new Set(classified.objects.map((object) => object.reason ?? "object created")),
      ];
      const problems = parsed.problems.length > 0 ? `; ${parsed.problems.join("; ")}` : "";
      return { kind: "event", objects, note: `${reasons.join(", ")} event${problems}` };
    }
  }
}

function identity(object: ObjectIdentity): ObjectIdentity {
  return compact({ bucket: object.bucket, key: object.key, versionId: object.versionId });
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
