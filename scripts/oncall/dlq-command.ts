import {
  type CliIo,
  DEPLOYMENT_HELP,
  DEPLOYMENT_OPTIONS,
  openDeployment,
  parseCommandLine,
  parseCount,
  runCommand,
} from "./cli.ts";
import { EXIT, UsageError } from "./errors.ts";
import { inspectQueue, renderInspection } from "./inspect.ts";
import { dlqOf, parseQueueChoice } from "./queues.ts";
import { SETTLE_SECONDS } from "./scan.ts";

const HOLD_SECONDS = 30;

export const DLQ_HELP = `Usage: npm run dlq -- inspect [--stage <stage>] [--queue validation|failure] [--max N] [--json]

Lists what sits in a dead-letter queue without consuming it: bucket, key, version, verdict
(failure reports) or what the message is (events, pending checks, unreadable bodies), receive
count and age since the message was first sent.

How: messages are received with a ${HOLD_SECONDS} s visibility timeout (so each batch brings new ones)
and all made visible again (visibility 0) as soon as the listing is done, also on errors;
holds are renewed while a long listing runs. The listing ends when the queue reports no
message it has not shown (visible, delayed, or in flight beyond what it holds).
Nothing is deleted. Receiving adds 1 to each message's ApproximateReceiveCount; that is
harmless on a DLQ, which has no redrive policy of its own, but the count shown includes
earlier inspections.

Options:
  --queue validation|failure  Which DLQ: the validation queue's (default) or the failure queue's.
  --max <n>                   Show at most n messages (default 100).
  --json                      Print JSON on stdout (use 'npm run -s' or 'node scripts/dlq.ts' so
                              npm's banner does not precede it).

${DEPLOYMENT_HELP}

Exit codes: 0 listed (also when empty); 1 listing incomplete: the queue still reports
messages the receives did not bring (held by another consumer, e.g. a redrive in progress);
2 bad arguments; 3 stack, credentials, queue or endpoint problem.
`;

/** `npm run dlq -- inspect ...` */
export async function dlqMain(argv: readonly string[], io: CliIo): Promise<number> {
  return runCommand(io, "Run 'npm run dlq -- --help' for the options.", async () => {
    const { values, positionals } = parseCommandLine(
      argv,
      {
        ...DEPLOYMENT_OPTIONS,
        queue: { type: "string" },
        max: { type: "string" },
        json: { type: "boolean", default: false },
      },
      true,
    );
    if (values.help) {
      io.stdout.write(DLQ_HELP);
      return EXIT.ok;
    }
    const [subcommand, ...extra] = positionals;
    if (subcommand !== "inspect" || extra.length > 0) {
      throw new UsageError(
        subcommand === undefined
          ? "say what to do: inspect"
          : `unknown command "${[subcommand, ...extra].join(" ")}" (known: inspect)`,
      );
    }
    const choice = parseQueueChoice(values.queue);
    const max = parseCount("--max", values.max) ?? 100;
    const deployment = await openDeployment(values, io);
    try {
      const result = await inspectQueue(deployment.clients.sqs, dlqOf(deployment.outputs, choice), {
        max,
        now: () => io.now(),
        holdSeconds: HOLD_SECONDS,
        // Long polling makes an empty answer trustworthy on SQS; an emulator has one server.
        waitTimeSeconds: deployment.settings.local ? 0 : 1,
        settleSeconds: SETTLE_SECONDS[deployment.settings.local ? "local" : "aws"],
        sleep: io.sleep,
      });
      io.stdout.write(
        values.json ? `${JSON.stringify(result, null, 2)}\n` : renderInspection(result),
      );
      return result.incomplete ? EXIT.problem : EXIT.ok;
    } finally {
      deployment.clients.destroy();
    }
  });
}
