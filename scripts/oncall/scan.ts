import type { Message } from "@aws-sdk/client-sqs";
import {
  changeVisibility,
  type QueueRef,
  queueDepth,
  type ReleaseResult,
  receiveBatch,
  releaseMessages,
  type SqsApi,
} from "./queues.ts";

export interface ScanOptions {
  /** Visibility timeout a received message is held with; renewed while the scan runs. */
  readonly holdSeconds: number;
  readonly waitTimeSeconds: number;
  /**
   * How long to keep receiving while the queue still reports messages this scan has not seen
   * but receives bring none (held by another consumer, or SQS's approximate counts lagging).
   */
  readonly settleSeconds: number;
  readonly sleep: (ms: number) => Promise<void>;
}

export type ScanStep =
  /** Messages this scan has not returned before. */
  | { readonly kind: "messages"; readonly messages: readonly Message[] }
  /** The queue reports nothing left that this scan has not seen. */
  | { readonly kind: "end" }
  /** Receives bring nothing new, yet the queue still reports messages this scan has not seen. */
  | { readonly kind: "incomplete"; readonly notExamined: number; readonly reason: string };

export interface QueueScan {
  /** Receives until it has messages it has not returned before, or the queue is done. */
  next(max: number): Promise<ScanStep>;
  /** The message was deleted: stop holding it. */
  forget(messageId: string): void;
  holds(messageId: string): boolean;
  /** Makes every message still held visible again. */
  release(): Promise<ReleaseResult>;
}

/**
 * ScanOptions.settleSeconds for the commands: on SQS long polls give every round a second and
 * the approximate counts a little time; an emulator's counts are exact.
 */
export const SETTLE_SECONDS = { aws: 10, local: 2 } as const;

/** Pause between receives that brought nothing new, so a scan with short polls does not spin. */
const IDLE_PAUSE_MS = 500;

interface Held {
  message: Message;
  /** When the current hold began (Date.now()). */
  since: number;
}

/**
 * Walks a queue once, holding each message it received (hidden) until released, so that each
 * receive brings new ones. SQS receives are sampled and holds run out, so a receive can bring
 * only messages seen before (their hold ended) or nothing while unseen messages remain; the end
 * is therefore decided by the queue's approximate counts (visible + delayed + in flight beyond
 * what this scan holds), not by one answer. Holds are renewed (ChangeMessageVisibilityBatch)
 * well before they run out, so skipped messages do not come back mid-scan.
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-short-and-long-polling.html
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_GetQueueAttributes.html
 */
export function openScan(sqs: SqsApi, queue: QueueRef, options: ScanOptions): QueueScan {
  const seen = new Set<string>();
  const held = new Map<string, Held>();
  const holdMs = options.holdSeconds * 1000;
  const idleRoundMs = IDLE_PAUSE_MS + options.waitTimeSeconds * 1000;
  // Renew when less than half a hold is left after the longest wait before the next renewal.
  const renewBelowMs = holdMs / 2 + idleRoundMs;

  async function renewHolds(): Promise<void> {
    const now = Date.now();
    const due = [...held.values()].filter((entry) => entry.since + holdMs - now < renewBelowMs);
    const byMessage = new Map(due.map((entry) => [entry.message, entry]));
    // A hold not renewed runs out: the message comes back, is received again and recognised as
    // seen; nothing is lost or counted twice.
    const { changed } = await changeVisibility(
      sqs,
      queue,
      due.map((entry) => entry.message),
      options.holdSeconds,
    );
    for (const message of changed) {
      const renewed = byMessage.get(message);
      if (renewed) renewed.since = now;
    }
  }

  return {
    async next(max) {
      let idleMs = 0;
      while (true) {
        await renewHolds();
        const batch = await receiveBatch(sqs, queue, {
          max,
          visibilityTimeout: options.holdSeconds,
          waitTimeSeconds: options.waitTimeSeconds,
        });
        const fresh: Message[] = [];
        const since = Date.now();
        for (const message of batch) {
          const id = message.MessageId ?? "";
          if (!seen.has(id)) {
            seen.add(id);
            fresh.push(message);
          }
          // Seen already: its hold ran out. Keep the newest receipt handle.
          held.set(id, { message, since });
        }
        if (fresh.length > 0) return { kind: "messages", messages: fresh };

        const depth = await queueDepth(sqs, queue);
        const heldElsewhere = Math.max(0, depth.inFlight - held.size);
        const notExamined = depth.visible + depth.delayed + heldElsewhere;
        if (notExamined === 0) return { kind: "end" };
        if (idleMs >= options.settleSeconds * 1000) {
          return {
            kind: "incomplete",
            notExamined,
            reason: `scan incomplete: ${notExamined} messages not examined (the ${queue.label} reports about ${depth.visible} visible, ${depth.delayed} delayed and ${heldElsewhere} in flight held by another consumer, but ${Math.round(idleMs / 1000)} s of receives brought none of them; run the command again)`,
          };
        }
        await options.sleep(IDLE_PAUSE_MS);
        idleMs += idleRoundMs;
      }
    },
    forget(messageId) {
      held.delete(messageId);
    },
    holds(messageId) {
      return held.has(messageId);
    },
    release() {
      return releaseMessages(
        sqs,
        queue,
        [...held.values()].map((entry) => entry.message),
      );
    },
  };
}
