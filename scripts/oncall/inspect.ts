import { compact } from "../../shared/objects.ts";
import { displayText, formatDuration, shortenMiddle, table } from "../../shared/text.ts";
import {
  type DescribedMessage,
  describeMessage,
  MAX_BATCH,
  type QueueDepth,
  type QueueRef,
  queueDepth,
  type ReleaseResult,
  type SqsApi,
} from "./queues.ts";
import { openScan } from "./scan.ts";

export interface InspectOptions {
  /** Stop after this many messages. */
  readonly max: number;
  readonly now: () => Date;
  /** How long received messages stay hidden while the scan runs (they are released at the end). */
  readonly holdSeconds: number;
  readonly waitTimeSeconds: number;
  /** See ScanOptions.settleSeconds. */
  readonly settleSeconds: number;
  readonly sleep: (ms: number) => Promise<void>;
}

export interface InspectResult {
  readonly queue: QueueRef;
  readonly depth: QueueDepth;
  readonly messages: readonly DescribedMessage[];
  /** True when --max stopped the scan before the queue looked empty. */
  readonly truncated: boolean;
  /** Set when the queue still reported messages the scan could not receive. */
  readonly incomplete?: { readonly notExamined: number; readonly reason: string };
  readonly release: ReleaseResult;
}

/**
 * Lists what sits in a queue without consuming it: messages are received (hidden for
 * `holdSeconds` so that each batch brings new ones), then all made visible again at once.
 * Nothing is deleted. Receiving adds one to each message's ApproximateReceiveCount; on a DLQ
 * (which has no redrive policy of its own) that changes nothing.
 */
export async function inspectQueue(
  sqs: SqsApi,
  queue: QueueRef,
  options: InspectOptions,
): Promise<InspectResult> {
  const depth = await queueDepth(sqs, queue);
  const scan = openScan(sqs, queue, options);
  const messages: DescribedMessage[] = [];
  let truncated = false;
  let incomplete: InspectResult["incomplete"];
  let release: ReleaseResult;
  try {
    while (true) {
      if (messages.length >= options.max) {
        truncated = depth.visible > messages.length;
        break;
      }
      const step = await scan.next(Math.min(MAX_BATCH, options.max - messages.length));
      if (step.kind === "end") break;
      if (step.kind === "incomplete") {
        incomplete = { notExamined: step.notExamined, reason: step.reason };
        break;
      }
      for (const message of step.messages) messages.push(describeMessage(message, options.now()));
    }
  } finally {
    // Released in `finally`: an error mid-scan must not leave messages hidden.
    release = await scan.release();
  }
  return compact({ queue, depth, messages, truncated, incomplete, release });
}

export function renderInspection(result: InspectResult): string {
  const { depth, messages } = result;
  const lines: string[] = [
    `${result.queue.label}: ${result.queue.url}`,
    `approximately ${depth.visible} visible, ${depth.inFlight} in flight, ${depth.delayed} delayed\n`,
  ];
  if (messages.length === 0) {
    lines.push("No messages received: the queue is empty (or every message is in flight).\n");
  } else {
    lines.push(renderMessageTable(messages));
    if (result.truncated) {
      lines.push(`Showing the first ${messages.length}; raise --max to see more.\n`);
    }
  }
  if (result.incomplete) lines.push(`Listing incomplete: ${result.incomplete.reason}.\n`);
  lines.push(
    `Released ${result.release.released} of ${messages.length} messages (visible again); nothing was deleted.`,
  );
  for (const failure of result.release.failures) {
    lines.push(`  could not release ${failure} (it becomes visible again when its hold runs out)`);
  }
  return `${lines.join("\n")}\n`;
}

export function renderMessageTable(messages: readonly DescribedMessage[]): string {
  const rows = messages.map((message, index) => {
    const [first, ...more] = message.objects;
    const extra = more.length > 0 ? ` (+${more.length} more)` : "";
    return [
      String(index + 1),
      first?.bucket ?? "-",
      first ? `${shortenMiddle(first.key, 60)}${extra}` : "-",
      first?.versionId ? shortenMiddle(first.versionId, 20) : "-",
      shortenMiddle(message.note, 90),
      message.receiveCount === undefined ? "-" : String(message.receiveCount),
      message.ageSeconds === undefined ? "-" : formatDuration(message.ageSeconds),
    ];
  });
  const headers = ["#", "bucket", "key", "version", "verdict / what", "recv", "age"];
  // A key or a note may hold control characters (a line break, an escape sequence): shown
  // escaped, so a hostile message cannot rewrite the operator's terminal.
  const safe = rows.map((row) => row.map(displayText));
  return table([headers, ...safe], { header: true })
    .map((line) => `${line}\n`)
    .join("");
}
