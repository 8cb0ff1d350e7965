/**
 * `npm run bench -- <mode> [options]`: figures measured side by side in one run, so that a
 * target is a ratio against a floor or a peer rather than a timed unit test.
 */
import { parseArgs } from "node:util";
import { benchDeep } from "./deep.ts";
import { benchLatency } from "./latency.ts";
import { benchValidator } from "./validator.ts";

export const BENCH_HELP = `Usage: npm run bench -- [mode] [options]

Modes:
  validator (default)  The real checksum-validator handler over HTTP on the in-process emulator:
                       objects/s, batch latency, peak RSS, comparisons/s.
                       --objects N (default 1000), --concurrency C (default 4)
  deep                 Deep verification on moto_server against raw reads of the same bytes:
                       throughput (goal >= 0.8x raw ranged GETs) and peak RSS of a fresh process
                       verifying a small and a large object (goal: within 1.2x).
                       --small-mib N (default 16), --big-mib N (default 1024),
                       --concurrency C (default 8), --chunk-mib N (default 8)
  latency              The handler behind a proxy adding a round trip per request by region,
                       against the raw HEADs each batch needs (goal <= 1.1x).
                       --objects N (default 200), --primary-ms N (default 20),
                       --replica-ms N (default 70)
`;

export interface BenchIo {
  readonly stdout: { write(chunk: string): unknown };
}

const MODES = ["validator", "deep", "latency"] as const;

export async function benchMain(argv: readonly string[], io: BenchIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      objects: { type: "string" },
      concurrency: { type: "string" },
      "small-mib": { type: "string" },
      "big-mib": { type: "string" },
      "chunk-mib": { type: "string" },
      "primary-ms": { type: "string" },
      "replica-ms": { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    io.stdout.write(BENCH_HELP);
    return 0;
  }
  const [mode = "validator", ...extra] = positionals;
  const known = MODES.find((candidate) => candidate === mode);
  if (!known || extra.length > 0) {
    io.stdout.write(`unknown bench mode "${[mode, ...extra].join(" ")}"\n${BENCH_HELP}`);
    return 2;
  }
  const progress = (line: string) => io.stdout.write(`${line}\n`);
  const figures = await runMode(known, values, progress);
  io.stdout.write(`${figures.join("\n")}\n`);
  return 0;
}

function runMode(
  mode: (typeof MODES)[number],
  values: Record<string, string | boolean | undefined>,
  progress: (line: string) => void,
): Promise<string[]> {
  const whole = (option: string, fallback: string, minimum = 1) =>
    wholeNumber(`--${option}`, String(values[option] ?? fallback), minimum);
  switch (mode) {
    case "deep":
      return benchDeep(
        {
          smallMib: whole("small-mib", "16"),
          bigMib: whole("big-mib", "1024"),
          concurrency: whole("concurrency", "8"),
          chunkMib: whole("chunk-mib", "8"),
        },
        progress,
      );
    case "latency":
      return benchLatency(
        {
          objects: whole("objects", "200"),
          primaryMs: whole("primary-ms", "20", 0),
          replicaMs: whole("replica-ms", "70", 0),
        },
        progress,
      );
    default:
      return benchValidator(
        { objects: whole("objects", "1000"), concurrency: whole("concurrency", "4") },
        progress,
      );
  }
}

function wholeNumber(option: string, raw: string, minimum: number): number {
  if (!/^\d+$/.test(raw) || Number(raw) < minimum) {
    throw new Error(`${option} must be a whole number of at least ${minimum} (got "${raw}")`);
  }
  return Number(raw);
}
