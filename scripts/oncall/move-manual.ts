import {
  DeleteMessageBatchCommand,
  type Message,
  type MessageAttributeValue,
  SendMessageBatchCommand,
  type SendMessageBatchRequestEntry,
} from "@aws-sdk/client-sqs";
import { describeError } from "../../shared/errors.ts";
import { compact } from "../../shared/objects.ts";
import { chunkForBatch } from "../../shared/queues/message-sender.ts";
import {
  type DescribedMessage,
  describeMessage,
  MAX_BATCH,
  matchesFilter,
  type QueueRef,
  type SqsApi,
} from "./queues.ts";
import { openScan } from "./scan.ts";

export interface ManualMoveOptions {
  readonly from: QueueRef;
  readonly to: QueueRef;
  /** Move at most this many messages. */
  readonly max?: number;
  /** Move only messages about objects whose bucket/key or key starts with this. */
  readonly filter?: string;
  /** Receive and report what would move; send and delete nothing. */
  readonly dryRun: boolean;
  /** Visibility timeout while a message is held (received, not yet moved or released). */
  readonly holdSeconds: number;
  readonly waitTimeSeconds: number;
  /** See ScanOptions.settleSeconds. */
  readonly settleSeconds: number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly now: () => Date;
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: ManualMoveProgress) => void;
}

export interface ManualMoveProgress {
  readonly scanned: number;
  readonly moved: number;
  readonly skipped: number;
  readonly failed: number;
}

export interface MoveFailure {
  readonly messageId: string;
  readonly reason: string;
}

export interface ManualMoveResult extends ManualMoveProgress {
  /** Sent to the destination, but the DLQ copy could not be deleted: it will be delivered twice. */
  readonly sentNotDeleted: number;
  readonly failures: readonly MoveFailure[];
  readonly notDeleted: readonly (MoveFailure & { readonly newMessageId?: string })[];
  /** Dry run: the messages that would have moved. */
  readonly wouldMove: readonly DescribedMessage[];
  /** Why the move ended before the queue looked empty, if it did. */
  readonly stoppedBecause?: string;
  /** Messages the queue still reported but the scan never received (it ended incomplete). */
  readonly notExamined?: number;
  /** Messages made visible again in the source (skipped, failed, not reached). */
  readonly released: number;
  readonly releaseFailures: readonly string[];
}

/**
 * Moves messages one batch at a time: receive (hidden for `holdSeconds`), send the chosen ones
 * with body and message attributes, delete from the source only those the destination
 * accepted, and stop at the first send failure. Everything received but not moved is made
 * visible again at the end. Nothing is deleted that was not delivered. A scan that cannot be
 * sure it saw the whole queue (openScan) stops with a reason, so it never ends as a success.
 */
export async function moveMessagesManually(
  sqs: SqsApi,
  options: ManualMoveOptions,
): Promise<ManualMoveResult> {
  const scan = openScan(sqs, options.from, options);
  const wouldMove: DescribedMessage[] = [];
  const failures: MoveFailure[] = [];
  const notDeleted: (MoveFailure & { newMessageId?: string })[] = [];
  let scanned = 0;
  let moved = 0;
  let skipped = 0;
  let stoppedBecause: string | undefined;
  let notExamined: number | undefined;
  const chosen = () => (options.dryRun ? wouldMove.length : moved + notDeleted.length);
  const report = () => options.onProgress?.({ scanned, moved, skipped, failed: failures.length });

  let release: Awaited<ReturnType<typeof scan.release>>;
  try {
    while (stoppedBecause === undefined) {
      if (options.signal?.aborted) {
        stoppedBecause = "interrupted";
        break;
      }
      const remaining = options.max === undefined ? MAX_BATCH : options.max - chosen();
      if (remaining <= 0) break;
      // Without a filter every message received is moved, so never receive more than --max
      // leaves room for; with one, whole batches are scanned and the surplus released.
      const step = await scan.next(
        options.filter === undefined ? Math.min(MAX_BATCH, remaining) : MAX_BATCH,
      );
      if (step.kind === "end") break;
      if (step.kind === "incomplete") {
        // Filter and --max promise exactly what they say: a scan that could not see the
        // whole queue must not end as a success.
        stoppedBecause = step.reason;
        notExamined = step.notExamined;
        break;
      }
      const fresh = step.messages;
      scanned += fresh.length;

      const toMove: Message[] = [];
      for (const message of fresh) {
        const described = describeMessage(message, options.now());
        const wanted = options.filter === undefined || matchesFilter(described, options.filter);
        const room = options.max === undefined || chosen() + toMove.length < options.max;
        if (!wanted || !room) {
          skipped += 1;
        } else if (options.dryRun) {
          wouldMove.push(described);
        } else {
          toMove.push(message);
        }
      }
      for (const chunk of chunkForBatch(toMove, messageBytes)) {
        const outcome = await sendAndDelete(sqs, options, chunk);
        for (const message of outcome.deleted) scan.forget(message.MessageId ?? "");
        moved += outcome.deleted.length;
        notDeleted.push(...outcome.notDeleted);
        failures.push(...outcome.failures);
        if (outcome.failures.length > 0) {
          stoppedBecause = `sending to the ${options.to.label} failed`;
          break;
        }
      }
      // Messages not yet sent in this batch (after a failure) count as failed too:
      // they were chosen and did not move. They are released below.
      if (stoppedBecause !== undefined) {
        const attempted = new Set([
          ...failures.map((f) => f.messageId),
          ...notDeleted.map((n) => n.messageId),
        ]);
        for (const message of toMove) {
          const id = message.MessageId ?? "";
          if (scan.holds(id) && !attempted.has(id)) {
            failures.push({
              messageId: id,
              reason: "not sent: stopped at an earlier send failure",
            });
          }
        }
      }
      report();
    }
  } finally {
    // In `finally`: an error or Ctrl-C mid-move must not leave messages hidden.
    release = await scan.release();
  }
  return compact({
    scanned,
    moved,
    skipped,
    failed: failures.length,
    sentNotDeleted: notDeleted.length,
    failures,
    notDeleted,
    wouldMove,
    stoppedBecause,
    notExamined,
    released: release.released,
    releaseFailures: release.failures,
  });
}

interface BatchOutcome {
  readonly deleted: Message[];
  readonly failures: MoveFailure[];
  readonly notDeleted: (MoveFailure & { newMessageId?: string })[];
}

async function sendAndDelete(
  sqs: SqsApi,
  options: ManualMoveOptions,
  messages: readonly Message[],
): Promise<BatchOutcome> {
  const failures: MoveFailure[] = [];
  const sent: { message: Message; newMessageId?: string }[] = [];
  try {
    const { Successful = [], Failed = [] } = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: options.to.url,
        Entries: messages.map((message, index) => toEntry(message, index)),
      }),
    );
    for (const entry of Successful) {
      const message = messages[Number(entry.Id)];
      if (message) sent.push(compact({ message, newMessageId: entry.MessageId }));
    }
    for (const entry of Failed) {
      failures.push({
        messageId: messages[Number(entry.Id)]?.MessageId ?? `entry ${entry.Id}`,
        reason: `${entry.Code}${entry.Message ? `: ${entry.Message}` : ""}`,
      });
    }
  } catch (error) {
    // The whole request failed: nothing in it is known to be delivered, so nothing is deleted.
    for (const message of messages) {
      failures.push({ messageId: message.MessageId ?? "", reason: describeError(error) });
    }
  }
  if (sent.length === 0) return { deleted: [], failures, notDeleted: [] };

  const deleted: Message[] = [];
  const notDeleted: (MoveFailure & { newMessageId?: string })[] = [];
  try {
    const { Successful = [], Failed = [] } = await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: options.from.url,
        Entries: sent.map(({ message }, index) => ({
          Id: String(index),
          ReceiptHandle: message.ReceiptHandle,
        })),
      }),
    );
    for (const entry of Successful) {
      const item = sent[Number(entry.Id)];
      if (item) deleted.push(item.message);
    }
    for (const entry of Failed) {
      const item = sent[Number(entry.Id)];
      if (item) {
        notDeleted.push(
          compact({
            messageId: item.message.MessageId ?? "",
            newMessageId: item.newMessageId,
            reason: `${entry.Code}${entry.Message ? `: ${entry.Message}` : ""}`,
          }),
        );
      }
    }
  } catch (error) {
    for (const item of sent) {
      notDeleted.push(
        compact({
          messageId: item.message.MessageId ?? "",
          newMessageId: item.newMessageId,
          reason: describeError(error),
        }),
      );
    }
  }
  return { deleted, failures, notDeleted };
}

/** Body and message attributes as received; MessageGroupId too, for FIFO or fair queues. */
function toEntry(message: Message, index: number): SendMessageBatchRequestEntry {
  const attributes = message.MessageAttributes
    ? Object.fromEntries(
        Object.entries(message.MessageAttributes).map(([name, value]) => [
          name,
          copyAttribute(value),
        ]),
      )
    : undefined;
  return compact({
    Id: String(index),
    MessageBody: message.Body ?? "",
    MessageAttributes: attributes,
    MessageGroupId: message.Attributes?.MessageGroupId,
  });
}

// Received attribute values carry empty list fields that SendMessage rejects
// ("not implemented"); copy only the type and the value.
function copyAttribute(value: MessageAttributeValue): MessageAttributeValue {
  return compact({
    DataType: value.DataType,
    StringValue: value.StringValue,
    BinaryValue: value.BinaryValue,
  });
}

function messageBytes(message: Message): number {
  let bytes = Buffer.byteLength(message.Body ?? "");
  for (const [name, value] of Object.entries(message.MessageAttributes ?? {})) {
    bytes += Buffer.byteLength(name) + Buffer.byteLength(value.DataType ?? "");
    bytes += Buffer.byteLength(value.StringValue ?? "") + (value.BinaryValue?.byteLength ?? 0);
  }
  return bytes;
}
