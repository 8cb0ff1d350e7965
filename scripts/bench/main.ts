/**
 * `npm run bench -- <mode> [options]`: figures measured side by side in one run, so that a
 * target is a ratio against a floor or a peer rather than a timed unit test.
 */
import { parseArgs } from "node:util";
import { type BenchEmulator, benchAudit } from "./audit.ts";
import { benchAuditWorker } from "./audit-worker.ts";
import { benchDeep } from "./deep.ts";
import { benchInit } from "./init.ts";
import { benchLatency } from "./latency.ts";
import { benchValidator } from "./validator.ts";

export const BENCH_HELP = `Usage: npm run bench -- [mode] [options]

Modes:
  validator (default)  The real checksum-validator handler over HTTP on the in-process emulator:
                       objects/s, batch latency, peak RSS, comparisons/s.
                       --objects N (default 1000), --concurrency C (default 4)
  init                 Each bundled handler's module init time at a cold start (the packaged
                       zips, fresh Node processes) beside an empty module's.
                       --runs N (default 9)
  deep                 Deep verification on moto_server against raw reads of the same bytes:
                       throughput (goal >= 0.8x raw ranged GETs) and peak RSS of a fresh process
                       verifying a small and a large object (goal: within 1.2x).
                       --small-mib N (default 16), --big-mib N (default 1024),
                       --concurrency C (default 8), --chunk-mib N (default 8)
  latency              The handler behind a proxy adding a round trip per request by region,
                       against the raw HEADs each batch needs (goal <= 1.1x).
                       --objects N (default 200), --primary-ms N (default 20),
                       --replica-ms N (default 70)
  audit-worker         The scheduled audit's worker, one S3 Batch Operations invocation per
                       object behind the same proxy, against the raw HEADs of each object:
                       the Lambda time (and GB-s per million objects) an audit costs.
                       --objects N (default 200), --primary-ms N (default 20),
                       --replica-ms N (default 70)
  audit                npm run audit over a healthy pair, beside merely listing both buckets
                       (goal <= 1.2x) and rclone check at as many checkers (where installed);
                       objects/s and peak RSS of fresh processes (goal: the largest size within
                       1.2x of the smallest).
                       --sizes N,N (default 10000,100000), --concurrency C (default 16),
                       --emulator fauxqs|moto (default fauxqs: moto writes ~200 objects/s)
`;

export interface BenchIo {
  readonly stdout: { write(chunk: string): unknown };
}

type Values = Readonly<Record<string, string | boolean | undefined>>;
type Progress = (line: string) => void;

/** Each mode with the options it reads; a whole-number option's default is in its call. */
const MODES: Readonly<Record<string, (values: Values, progress: Progress) => Promise<string[]>>> = {
  validator: (values, progress) =>
    benchValidator(
      {
        objects: whole(values, "objects", "1000"),
        concurrency: whole(values, "concurrency", "4"),
      },
      progress,
    ),
  init: (values, progress) => benchInit({ runs: whole(values, "runs", "9") }, progress),
  deep: (values, progress) =>
    benchDeep(
      {
        smallMib: whole(values, "small-mib", "16"),
        bigMib: whole(values, "big-mib", "1024"),
        concurrency: whole(values, "concurrency", "8"),
        chunkMib: whole(values, "chunk-mib", "8"),
      },
      progress,
    ),
  audit: (values, progress) =>
    benchAudit(
      {
        sizes: String(values.sizes ?? "10000,100000")
          .split(",")
          .map((size) => whole({ size }, "size", "0")),
        concurrency: whole(values, "concurrency", "16"),
        emulator: emulatorOf(values.emulator),
      },
      progress,
    ),
  latency: (values, progress) =>
    benchLatency(
      {
        objects: whole(values, "objects", "200"),
        primaryMs: whole(values, "primary-ms", "20", 0),
        replicaMs: whole(values, "replica-ms", "70", 0),
      },
      progress,
    ),
  "audit-worker": (values, progress) =>
    benchAuditWorker(
      {
        objects: whole(values, "objects", "200"),
        primaryMs: whole(values, "primary-ms", "20", 0),
        replicaMs: whole(values, "replica-ms", "70", 0),
      },
      progress,
    ),
};

export async function benchMain(argv: readonly string[], io: BenchIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      objects: { type: "string" },
      concurrency: { type: "string" },
      runs: { type: "string" },
      "small-mib": { type: "string" },
      "big-mib": { type: "string" },
      "chunk-mib": { type: "string" },
      "primary-ms": { type: "string" },
      "replica-ms": { type: "string" },
      sizes: { type: "string" },
      emulator: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    io.stdout.write(BENCH_HELP);
    return 0;
  }
  const [mode = "validator", ...extra] = positionals;
  const run = Object.hasOwn(MODES, mode) ? MODES[mode] : undefined;
  if (!run || extra.length > 0) {
    io.stdout.write(`unknown bench mode "${[mode, ...extra].join(" ")}"\n${BENCH_HELP}`);
    return 2;
  }
  const figures = await run(values, (line) => io.stdout.write(`${line}\n`));
  io.stdout.write(`${figures.join("\n")}\n`);
  return 0;
}

function emulatorOf(value: unknown): BenchEmulator {
  if (value === undefined || value === "fauxqs") return "fauxqs";
  if (value === "moto") return "moto";
  throw new Error(`--emulator must be fauxqs or moto (got "${String(value)}")`);
}

function whole(values: Values, option: string, fallback: string, minimum = 1): number {
  const raw = String(values[option] ?? fallback);
  if (!/^\d+$/.test(raw) || Number(raw) < minimum) {
    throw new Error(`--${option} must be a whole number of at least ${minimum} (got "${raw}")`);
  }
  return Number(raw);
}
