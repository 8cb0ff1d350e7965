/**
 * `npm start` (scripts/local-stack.ts): the whole pipeline on an embedded AWS emulator, no AWS account, no Docker.
 * Without options it runs the scripted scenario and exits 0 only if every object reached the
 * outcome the scenario expects. `--keep` starts the stack alone and leaves it running.
 */
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { settings } from "../../resources/settings.ts";
import { evidenceName } from "../../shared/integrity/compare.ts";
import { formatDuration } from "../../shared/text.ts";
import { LOCAL_STACK_OUTPUTS_FILE } from "../oncall/stack-outputs.ts";
import type { FunctionLogRecord } from "./function-logs.ts";
import { describeInvocation } from "./lambda-event-source.ts";
import { deadLetteredObjects } from "./scenario/observe.ts";
import { runScenario } from "./scenario/run.ts";
import { renderSummary } from "./scenario/summary.ts";
import { DEFAULT_LOCAL_TIMINGS, LOCAL_STAGE, type LocalStack, startLocalStack } from "./stack.ts";

/** What `npm start` touches outside itself, so a test runs it in-process. */
export interface LocalMainIo {
  readonly stdout: { write(chunk: string): unknown };
  /** Resolves when the user asks a --keep stack to stop (Ctrl-C). */
  untilStopped(): Promise<void>;
}

const HELP = `Usage: npm start [-- options]

Runs backup-validator end to end on an in-process AWS emulator (fauxqs): uploads to the primary
buckets, replication with a lag, the real checksum-validator and failure-notifier handlers, alert
emails written to an outbox, a replica-region outage whose checks dead-letter, and a redrive with
the real redrive command; then two proven replicas are damaged behind the pipeline's back (one
written over, one deleted) and the real audit (npm run audit) must find them. Prints progress and
a summary; exits 0 only if every object reached the expected outcome and no message was lost.

Options:
  --objects <n>        Objects to upload (default 12, at least 5).
  --lag-ms <ms>        Replication lag (default ${DEFAULT_LOCAL_TIMINGS.replicationLagMs}).
  --deadline-s <s>     Replication deadline before a missing replica is reported
                       (default ${DEFAULT_LOCAL_TIMINGS.replicationDeadlineSeconds}; deployed: 900).
  --timeout-s <s>      Give up waiting for the pipeline after this long (default 120).
  --outbox <dir>       Where alert emails are written (default .local/outbox).
  --function-logs      Show the functions' structured logs (Powertools, INFO level) as they
                       are written.
  --keep               Start the stack without the scenario and leave it running for your own
                       uploads (port 4566 unless --port); prints each object's verdict as the
                       validator logs it. Ctrl-C (or SIGINT/SIGTERM to npm) stops it.
  --port <port>        Emulator port (default: any free port; 4566 with --keep).
  --stack-outputs <f>  Where to write the stack outputs (default .local/stack-outputs.json, where
                       the on-call commands look for --stage local).
  -h, --help           Show this help.
`;

export async function localStackMain(argv: readonly string[], io: LocalMainIo): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      objects: { type: "string", default: "12" },
      "lag-ms": { type: "string" },
      "deadline-s": { type: "string" },
      "timeout-s": { type: "string", default: "120" },
      outbox: { type: "string", default: ".local/outbox" },
      "function-logs": { type: "boolean", default: false },
      keep: { type: "boolean", default: false },
      port: { type: "string" },
      "stack-outputs": { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    io.stdout.write(HELP);
    return 0;
  }
  const timings = {
    ...(values["lag-ms"] ? { replicationLagMs: wholeNumber("--lag-ms", values["lag-ms"]) } : {}),
    ...(values["deadline-s"]
      ? { replicationDeadlineSeconds: wholeNumber("--deadline-s", values["deadline-s"]) }
      : {}),
  };
  // Each run writes its alerts to a folder of its own, so earlier runs' emails don't mix in.
  const runStamp = new Date().toISOString().replace(/[:.]/g, "-");
  const outboxDirectory = resolve(values.outbox, runStamp);
  const stackOutputsFile = values["stack-outputs"]
    ? resolve(values["stack-outputs"])
    : LOCAL_STACK_OUTPUTS_FILE;
  const echoFunctionLogs = values["function-logs"];
  const log = (line: string) => io.stdout.write(`${line}\n`);

  if (values.keep) {
    const stack = await startLocalStack({
      port: values.port ? wholeNumber("--port", values.port) : 4566,
      timings,
      outboxDirectory,
      stackOutputsFile,
      echoFunctionLogs,
      log,
      onEmail: (email) => log(`✉ ${email.subject}\n  ${email.path}`),
      onInvoke: (result) => {
        if (result.failed > 0 || result.error !== undefined) log(describeInvocation(result));
      },
      onFunctionLog: (record) => {
        const line = verdictLine(record);
        if (line) log(line);
      },
    });
    const stopOutage = practiceOutage(stack, log);
    const environment = Object.entries(stack.userEnvironment).map(
      ([name, value]) => `export ${name}=${value}`,
    );
    const [first] = stack.names.buckets;
    log(`backup-validator local stack (stage ${LOCAL_STAGE}) is running at ${stack.endpoint}

Primary buckets (uploads are validated; under corrupt/ and drop/ the replica goes wrong, under
outage/ the replica region fails until the check is dead-lettered):
${stack.names.buckets.map((pair) => `  s3://${pair.primaryBucket}   → replica s3://${pair.replicaBucket}`).join("\n")}

Environment for any AWS SDK or CLI:
${environment.join("\n")}

Try (the on-call commands find this stack by its stage; nothing else to give):
  aws s3 cp README.md s3://${first?.primaryBucket}/corrupt/readme.md
  npm run verify -- s3://${first?.primaryBucket}/corrupt/readme.md --stage ${LOCAL_STAGE}
  aws s3 cp README.md s3://${first?.primaryBucket}/outage/readme.md
  npm run dlq -- inspect --stage ${LOCAL_STAGE}
  npm run redrive -- --stage ${LOCAL_STAGE} --yes
  npm run status -- --stage ${LOCAL_STAGE}
  npm run audit -- --stage ${LOCAL_STAGE} --all --report audit.ndjson
Alerts are written to ${outboxDirectory}. Ctrl-C stops the stack.
Each object's verdict appears below as the validator logs it: verdict, key, evidence, age.`);
    await io.untilStopped();
    stopOutage();
    log("\nstopping…");
    await stack.stop();
    return 0;
  }

  const result = await runScenario({
    objects: wholeNumber("--objects", values.objects),
    timings,
    outboxDirectory,
    stackOutputsFile,
    timeoutMs: wholeNumber("--timeout-s", values["timeout-s"]) * 1000,
    echoFunctionLogs,
    log,
  });
  log(renderSummary(result));
  return result.ok ? 0 : 1;
}

/**
 * One line per verdict the validator logs: the verdict, the object, the evidence it rests on (or
 * the reason), and the object's age when checked.
 */
export function verdictLine(record: FunctionLogRecord): string | undefined {
  if (record.service !== "checksum-validator" || typeof record.outcome !== "string") return;
  if (typeof record.key !== "string") return;
  const evidence = record.evidence as { kind?: string; algorithm?: string } | undefined;
  const basis =
    evidence?.kind !== undefined
      ? evidenceName(evidence as Parameters<typeof evidenceName>[0])
      : // The validator's reason, its first clause: enough for a line.
        (record.message.replace(/^[A-Z_]+: /, "").split(/ \(|; /)[0] ?? record.message);
  const age =
    typeof record.objectAgeSeconds === "number"
      ? `, ${formatDuration(record.objectAgeSeconds)} after upload`
      : "";
  const mark = record.outcome === "MATCH" ? "✓" : record.outcome === "PENDING" ? "…" : "✗";
  return `${mark} ${record.outcome.padEnd(19)} ${record.key}  (${basis}${age})`;
}

/**
 * Keys under outage/ meet a replica-region outage (S3 answers 503) until their check is
 * dead-lettered: something to practise the runbook on (inspect, redrive, verify). Returns a
 * function that stops watching.
 */
function practiceOutage(stack: LocalStack, log: (line: string) => void): () => void {
  const primaryOf = new Map(
    stack.names.buckets.map((pair) => [pair.replicaBucket, pair.primaryBucket]),
  );
  const isOutage = (key: string) => key.startsWith("outage/");
  stack.outage.setOutage((target) => {
    const primary = primaryOf.get(target.bucket);
    return (
      primary !== undefined &&
      isOutage(target.key) &&
      !deadLetteredObjects(stack).has(`${primary}/${target.key}`)
    );
  });
  const announced = new Set<string>();
  const watch = setInterval(() => {
    for (const object of deadLetteredObjects(stack)) {
      const key = object.slice(object.indexOf("/") + 1);
      if (!isOutage(key) || announced.has(object)) continue;
      announced.add(object);
      log(
        `☠ ${key} dead-lettered after ${settings.queues.maxReceiveCount} failed checks; its outage is over. Practise the runbook:\n    npm run dlq -- inspect --stage ${LOCAL_STAGE}\n    npm run redrive -- --stage ${LOCAL_STAGE} --yes`,
      );
    }
  }, 500);
  return () => clearInterval(watch);
}

function wholeNumber(option: string, raw: string): number {
  if (!/^\d+$/.test(raw)) throw new Error(`${option} must be a whole number (got "${raw}")`);
  return Number(raw);
}
