import {
  type CliIo,
  DEPLOYMENT_HELP,
  DEPLOYMENT_OPTIONS,
  type Deployment,
  openDeployment,
  parseCommandLine,
  parseCount,
  runCommand,
} from "./cli.ts";
import { EXIT, UsageError } from "./errors.ts";
import { renderMessageTable } from "./inspect.ts";
import { type ManualMoveResult, moveMessagesManually } from "./move-manual.ts";
import { type MoveTaskOutcome, runMoveTask } from "./move-task.ts";
import { confirm, createProgress } from "./progress.ts";
import {
  dlqOf,
  parseQueueChoice,
  type QueueChoice,
  type QueueDepth,
  type QueueRef,
  queueDepth,
  queueFromArn,
  sourceOf,
} from "./queues.ts";
import { SETTLE_SECONDS } from "./scan.ts";
import { requireOutput } from "./stack-outputs.ts";

const HOLD_SECONDS = 120;
const POLL_MS = 2000;

export const REDRIVE_HELP = `Usage: npm run redrive -- [--stage <stage>] [--queue validation|failure] [--to source|failure|<queue ARN>]
                          [--max N] [--filter <bucket or key prefix>] [--dry-run] [--yes]

Moves dead-lettered messages out of a DLQ: back to the queue they came from for another try
(--to source, the default), to the failure queue so the notifier alerts on them (--to failure),
or to any queue by ARN. Redriven messages get new message IDs.

Two ways of moving:
  SQS move task   A whole-queue move to the source or to an ARN uses SQS's StartMessageMoveTask
                  and follows it (ListMessageMoveTasks) to the end, with progress. If a task is
                  already running for this DLQ to the same destination, it is followed instead
                  of starting another; one to another destination is refused (exit 3) with the
                  command to cancel it.
  Manual          --filter, --max, --dry-run, --to failure, an --endpoint (emulators have no
                  move tasks) or SQS answering UnsupportedOperation: messages are received in
                  batches of 10 and held (${HOLD_SECONDS} s visibility), sent with SendMessageBatch keeping
                  body and message attributes, and deleted from the DLQ only once the
                  destination accepted them. The first send failure stops the move; everything
                  received but not moved is made visible again at once. Counts are reported:
                  moved, skipped, failed, sent but not deleted (those would be delivered twice).
                  Holds of skipped messages are renewed during a long scan, and the scan ends
                  only when the DLQ reports no message it has not examined; if receives keep
                  bringing none of them (another consumer holds them), it stops with
                  "scan incomplete: N messages not examined" and exit code 1.

Options:
  --queue validation|failure  Which DLQ (default validation).
  --to source|failure|<arn>   Destination (default source: validation DLQ -> validation queue,
                              failure DLQ -> failure queue).
  --max <n>                   Move at most n messages.
  --filter <prefix>           Move only messages about objects whose "bucket/key" or key starts
                              with <prefix> (e.g. my-bucket, my-bucket/reports/, reports/2025/).
                              Messages that name no object (unreadable ones) never match.
  --dry-run                   Show what would move; send and delete nothing.
  --yes                       Do not ask for confirmation. Required when standard input is not
                              a terminal (scripts, CI).
  --rate <n>                  Move task only: messages per second (1-500; default: SQS decides).
  --json                      Print the result as JSON on stdout.

${DEPLOYMENT_HELP}

Exit codes: 0 everything asked was moved (or listed, for --dry-run); 1 something was not moved
(send failure, sent but not deleted, scan incomplete, move task FAILED/CANCELLED, interrupted); 2 bad arguments,
or the move was declined or refused (no --yes without a terminal); 3 stack, credentials, queue
or endpoint problem.
`;

type Destination =
  | { readonly kind: "source"; readonly queue: QueueRef }
  | { readonly kind: "failure"; readonly queue: QueueRef }
  | { readonly kind: "arn"; readonly arn: string };

/** `npm run redrive -- ...` */
export async function redriveMain(argv: readonly string[], io: CliIo): Promise<number> {
  return runCommand(io, "Run 'npm run redrive -- --help' for the options.", async () => {
    const { values, positionals } = parseCommandLine(
      argv,
      {
        ...DEPLOYMENT_OPTIONS,
        queue: { type: "string" },
        to: { type: "string", default: "source" },
        max: { type: "string" },
        filter: { type: "string" },
        "dry-run": { type: "boolean", default: false },
        yes: { type: "boolean", short: "y", default: false },
        rate: { type: "string" },
        json: { type: "boolean", default: false },
      },
      true,
    );
    if (values.help) {
      io.stdout.write(REDRIVE_HELP);
      return EXIT.ok;
    }
    if (positionals.length > 0) throw new UsageError(`unexpected "${positionals.join(" ")}"`);
    const choice = parseQueueChoice(values.queue);
    const max = parseCount("--max", values.max);
    const rate = parseCount("--rate", values.rate);
    if (rate !== undefined && rate > 500) throw new UsageError("--rate must be at most 500");
    const filter = values.filter?.trim();
    if (values.filter !== undefined && !filter) throw new UsageError("--filter must not be empty");
    const dryRun = values["dry-run"];

    const deployment = await openDeployment(values, io);
    try {
      const { sqs } = deployment.clients;
      const from = dlqOf(deployment.outputs, choice);
      const destination = resolveDestination(deployment, choice, values.to);
      const depth = await queueDepth(sqs, from);
      const useMoveTask =
        !dryRun &&
        max === undefined &&
        filter === undefined &&
        destination.kind !== "failure" &&
        !deployment.settings.local;
      const toLabel = destination.kind === "arn" ? destination.arn : destination.queue.label;

      if (!dryRun && !(await agreed(io, values.yes, from, depth, toLabel, max, filter))) {
        return EXIT.usage;
      }

      if (useMoveTask) {
        const progress = createProgress(io.stderr, `Moving to ${toLabel}`);
        let outcome: MoveTaskOutcome;
        try {
          outcome = await runMoveTask(sqs, {
            sourceArn: from.arn ?? requireOutput(deployment.outputs, `${capital(choice)}DlqArn`),
            // The destination is always named: the validation DLQ is also the EventBridge
            // rule target's DLQ, and messages EventBridge put there directly have no source
            // queue for SQS to return them to.
            // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-configure-dead-letter-queue-redrive.html
            ...destinationArnOf(destination),
            ...(rate === undefined ? {} : { maxPerSecond: rate }),
            pollMs: POLL_MS,
            sleep: io.sleep,
            ...(io.signal ? { signal: io.signal } : {}),
            onProgress: (moved, toMove) => progress.update(moved, toMove ?? depth.visible, ""),
          });
        } finally {
          progress.stop();
        }
        if (outcome.kind !== "unsupported") {
          return reportMoveTask(io, outcome, from, toLabel, values.json);
        }
        io.stderr.write(
          `SQS move tasks are not available here (${outcome.reason}); moving message by message.\n`,
        );
      }

      const to =
        destination.kind === "arn" ? await queueFromArn(sqs, destination.arn) : destination.queue;
      if (to.url === from.url) throw new UsageError(`--to names the ${from.label} itself`);
      await queueDepth(sqs, to);
      const progress = createProgress(io.stderr, dryRun ? "Scanning" : `Moving to ${to.label}`);
      let result: ManualMoveResult;
      try {
        result = await moveMessagesManually(sqs, {
          from,
          to,
          ...(max === undefined ? {} : { max }),
          ...(filter === undefined ? {} : { filter }),
          dryRun,
          holdSeconds: HOLD_SECONDS,
          waitTimeSeconds: deployment.settings.local ? 0 : 1,
          settleSeconds: SETTLE_SECONDS[deployment.settings.local ? "local" : "aws"],
          sleep: io.sleep,
          now: () => io.now(),
          ...(io.signal ? { signal: io.signal } : {}),
          onProgress: (counts) =>
            progress.update(
              counts.scanned,
              depth.visible,
              `moved ${counts.moved}, skipped ${counts.skipped}, failed ${counts.failed}`,
            ),
        });
      } finally {
        progress.stop();
      }
      return reportManual(io, result, from, to, dryRun, values.json);
    } finally {
      deployment.clients.destroy();
    }
  });
}

function capital(choice: QueueChoice): "Validation" | "Failure" {
  return choice === "validation" ? "Validation" : "Failure";
}

function resolveDestination(deployment: Deployment, choice: QueueChoice, to: string): Destination {
  if (to === "source") return { kind: "source", queue: sourceOf(deployment.outputs, choice) };
  if (to === "failure") {
    // From the failure DLQ, "failure" is its source queue: the move task can do it.
    return choice === "failure"
      ? { kind: "source", queue: sourceOf(deployment.outputs, "failure") }
      : { kind: "failure", queue: sourceOf(deployment.outputs, "failure") };
  }
  if (to.startsWith("arn:")) {
    const dlqArn = deployment.outputs.values[`${capital(choice)}DlqArn`];
    if (to === dlqArn) throw new UsageError(`--to names the ${choice} DLQ itself`);
    return { kind: "arn", arn: to };
  }
  throw new UsageError(`--to must be source, failure or an SQS queue ARN (got "${to}")`);
}

async function agreed(
  io: CliIo,
  yes: boolean,
  from: QueueRef,
  depth: QueueDepth,
  toLabel: string,
  max: number | undefined,
  filter: string | undefined,
): Promise<boolean> {
  if (yes) return true;
  if (!io.stdin.isTTY) {
    throw new UsageError(
      "refusing to move messages without --yes: standard input is not a terminal, so there is no one to confirm. Add --yes, or --dry-run to see what would move.",
    );
  }
  const what = [
    max === undefined ? "all messages" : `up to ${max} messages`,
    filter === undefined ? "" : ` about ${filter}*`,
  ].join("");
  const ok = await confirm(
    io.stdin,
    io.stderr,
    `Move ${what} from the ${from.label} (about ${depth.visible} visible) to the ${toLabel}?`,
  );
  if (!ok) io.stderr.write("Nothing moved.\n");
  return ok;
}

function reportMoveTask(
  io: CliIo,
  outcome: Exclude<MoveTaskOutcome, { kind: "unsupported" }>,
  from: QueueRef,
  toLabel: string,
  json: boolean,
): number {
  const ok = outcome.kind === "finished" && outcome.status === "COMPLETED";
  if (json) {
    io.stdout.write(
      `${JSON.stringify({ path: "move-task", from: from.label, to: toLabel, ...outcome }, null, 2)}\n`,
    );
    return ok ? EXIT.ok : EXIT.problem;
  }
  if (outcome.kind === "detached") {
    io.stdout.write(
      [
        `Stopped watching; the move task goes on in SQS (${outcome.moved} moved so far).`,
        `Follow it:  aws sqs list-message-move-tasks --source-arn ${from.arn ?? "<DLQ ARN>"}`,
        `Cancel it:  aws sqs cancel-message-move-task --task-handle ${outcome.taskHandle ?? "<handle from the list>"}`,
        "",
      ].join("\n"),
    );
    return EXIT.problem;
  }
  const joined = outcome.joined ? " (a task that was already running)" : "";
  io.stdout.write(
    `SQS move task${joined} ${outcome.status}: about ${outcome.moved}${outcome.toMove === undefined ? "" : ` of ${outcome.toMove}`} messages moved from the ${from.label} to the ${toLabel}.\n`,
  );
  if (outcome.failureReason) io.stdout.write(`Reason: ${outcome.failureReason}\n`);
  if (ok) {
    io.stdout.write(
      "Messages that fail again come back to the DLQ after the queue's maxReceiveCount; inspect it again in a few minutes.\n",
    );
  }
  return ok ? EXIT.ok : EXIT.problem;
}

function reportManual(
  io: CliIo,
  result: ManualMoveResult,
  from: QueueRef,
  to: QueueRef,
  dryRun: boolean,
  json: boolean,
): number {
  const ok =
    result.failed === 0 && result.sentNotDeleted === 0 && result.stoppedBecause === undefined;
  if (json) {
    io.stdout.write(
      `${JSON.stringify({ path: "manual", dryRun, from: from.label, to: to.label, ...result }, null, 2)}\n`,
    );
    return ok ? EXIT.ok : EXIT.problem;
  }
  const lines: string[] = [];
  if (dryRun) {
    if (result.wouldMove.length > 0) lines.push(renderMessageTable(result.wouldMove));
    lines.push(
      `Dry run: would move ${result.wouldMove.length} to the ${to.label}, skip ${result.skipped} (scanned ${result.scanned}). Nothing was sent or deleted.`,
    );
  } else {
    lines.push(
      `Moved ${result.moved} from the ${from.label} to the ${to.label}; skipped ${result.skipped}, failed ${result.failed}, sent but not deleted ${result.sentNotDeleted} (scanned ${result.scanned}).`,
    );
  }
  if (result.stoppedBecause) lines.push(`Stopped early: ${result.stoppedBecause}.`);
  for (const failure of result.failures) {
    lines.push(`  not moved ${failure.messageId}: ${failure.reason} (still in the DLQ)`);
  }
  for (const item of result.notDeleted) {
    lines.push(
      `  sent as ${item.newMessageId ?? "?"} but not deleted ${item.messageId}: ${item.reason} (the DLQ copy is a duplicate)`,
    );
  }
  lines.push(
    `Released ${result.released} messages back to the ${from.label}${result.releaseFailures.length > 0 ? `; ${result.releaseFailures.length} could not be released and reappear when their ${HOLD_SECONDS} s hold ends` : ""}.`,
  );
  io.stdout.write(`${lines.join("\n")}\n`);
  return ok ? EXIT.ok : EXIT.problem;
}

function destinationArnOf(destination: Destination): { destinationArn?: string } {
  if (destination.kind === "arn") return { destinationArn: destination.arn };
  return destination.queue.arn ? { destinationArn: destination.queue.arn } : {};
}
