/**
 * `npm start` (scripts/local-stack.ts): the whole pipeline on an embedded AWS emulator, no AWS account, no Docker.
 * Without options it runs the scripted scenario and exits 0 only if every object reached the
 * outcome the scenario expects. `--keep` starts the stack alone and leaves it running.
 */
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { runScenario } from "./scenario/run.ts";
import { renderSummary } from "./scenario/summary.ts";
import { DEFAULT_LOCAL_TIMINGS, LOCAL_STAGE, startLocalStack } from "./stack.ts";

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
the real redrive command. Prints progress and a summary; exits 0 only if every object reached the
expected outcome and no message was lost.

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
                       uploads (port 4566 unless --port); Ctrl-C stops it.
  --port <port>        Emulator port (default: any free port; 4566 with --keep).
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
  const stackOutputsFile = resolve(".local/stack-outputs.json");
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
      onInvoke: (result) =>
        log(`λ ${result.functionName}: ${result.records} record(s), ${result.failed} failed`),
    });
    const environment = Object.entries(stack.userEnvironment).map(
      ([name, value]) => `export ${name}=${value}`,
    );
    log(`backup-validator local stack (stage ${LOCAL_STAGE}) is running at ${stack.endpoint}

Primary buckets (uploads are validated; prefixes corrupt/ and drop/ make the replica go wrong):
${stack.names.buckets.map((pair) => `  s3://${pair.primaryBucket}   → replica s3://${pair.replicaBucket}`).join("\n")}

Environment for any AWS SDK or CLI:
${environment.join("\n")}

Try:
  aws s3 cp README.md s3://${stack.names.buckets[0]?.primaryBucket}/corrupt/readme.md
  npm run dlq -- inspect --stage ${LOCAL_STAGE} --endpoint ${stack.endpoint} --stack-outputs ${stackOutputsFile}
Alerts are written to ${outboxDirectory}. Ctrl-C stops the stack.`);
    await io.untilStopped();
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

function wholeNumber(option: string, raw: string): number {
  if (!/^\d+$/.test(raw)) throw new Error(`${option} must be a whole number (got "${raw}")`);
  return Number(raw);
}
