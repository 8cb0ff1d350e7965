/**
 * `npm run bench -- init`: how long each bundled handler takes to load at a cold start (module
 * evaluation: reading the configuration and building clients), measured in fresh Node processes
 * on the very zips `npm run package` produces. Beside it the floor: an empty module loaded the
 * same way, so the figure is the handler's own cost, not Node's.
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import {
  auditStarterEnvironment,
  auditWorkerEnvironment,
  notifierEnvironment,
  validatorEnvironment,
} from "../../shared/contracts/environment.ts";
import { unpackFunction } from "../infra/bundles.ts";
import { packageStacks } from "../infra/stacks.ts";

const FUNCTIONS = [
  "checksum-validator",
  "failure-notifier",
  "audit-starter",
  "audit-worker",
] as const;
const BENCH_PAIRS = '{"bench-primary":{"replica":"bench-replica","category":"bench"}}';
const BENCH_FAILURE_QUEUE = "https://sqs.us-east-1.amazonaws.com/111122223333/bench-failure";

/** A complete, valid environment for each handler: loading it must not fail. */
const ENVIRONMENTS: Record<(typeof FUNCTIONS)[number], Record<string, string>> = {
  "checksum-validator": validatorEnvironment({
    bucketPairs: BENCH_PAIRS,
    replicaRegion: "us-west-2",
    validationQueueUrl: "https://sqs.us-east-1.amazonaws.com/111122223333/bench-validation",
    failureQueueUrl: BENCH_FAILURE_QUEUE,
  }),
  "failure-notifier": notifierEnvironment({
    alertTopicArn: "arn:aws:sns:us-east-1:111122223333:bench-alerts",
    stage: "bench",
    alertsSentTable: "bench-alerts-sent",
  }),
  "audit-starter": auditStarterEnvironment({
    stage: "bench",
    bucketPairs: BENCH_PAIRS,
    inventoryBucket: "bench-inventory",
    workerFunctionArn: "arn:aws:lambda:us-east-1:111122223333:function:bench-audit-worker",
    jobRoleArn: "arn:aws:iam::111122223333:role/bench-audit-job",
  }),
  "audit-worker": auditWorkerEnvironment({
    bucketPairs: BENCH_PAIRS,
    replicaRegion: "us-west-2",
    failureQueueUrl: BENCH_FAILURE_QUEUE,
  }),
};

export interface InitBenchOptions {
  /** Fresh processes per handler. */
  readonly runs: number;
}

export async function benchInit(
  options: InitBenchOptions,
  progress: (line: string) => void,
): Promise<string[]> {
  const directory = await mkdtemp(join(tmpdir(), "bv-bench-init-"));
  try {
    progress("packaging the functions (npm run package)…");
    const templates = await packageStacks(join(directory, "package"), {}, { quiet: true });
    const packageDir = join(templates.primary, "..");
    const floor = join(directory, "empty.mjs");
    await writeFile(floor, "export const handler = async () => ({});\n");
    const floorMs = median(await timeImports(floor, {}, options.runs));
    const lines = [
      `module init, median of ${options.runs} fresh processes (Node ${process.versions.node}):`,
      `  ${"empty module (floor)".padEnd(22)} ${floorMs.toFixed(1)} ms`,
    ];
    for (const name of FUNCTIONS) {
      const handler = await unpackFunction(packageDir, name, join(directory, name));
      const times = await timeImports(handler, ENVIRONMENTS[name], options.runs);
      const size = (await stat(handler)).size;
      lines.push(
        `  ${name.padEnd(22)} ${median(times).toFixed(1)} ms (min ${Math.min(...times).toFixed(1)}, max ${Math.max(...times).toFixed(1)}; bundle ${(size / 1024).toFixed(0)} KiB)`,
      );
    }
    return lines;
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}

/** Loads the module in `runs` fresh processes; each reports the time its import took. */
async function timeImports(
  file: string,
  environment: Record<string, string>,
  runs: number,
): Promise<number[]> {
  const script = `const t0 = performance.now(); await import(${JSON.stringify(pathToFileURL(file).href)}); process.stdout.write(String(performance.now() - t0));`;
  const times: number[] = [];
  for (let run = 0; run < runs; run += 1) {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ["--input-type=module", "-e", script],
      {
        env: {
          PATH: process.env.PATH ?? "",
          AWS_REGION: "us-east-1",
          POWERTOOLS_LOG_LEVEL: "SILENT",
          POWERTOOLS_METRICS_DISABLED: "true",
          ...environment,
        },
      },
    );
    times.push(Number(stdout));
  }
  return times;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}
