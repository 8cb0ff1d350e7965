/**
 * `npm run bench -- <mode> [options]`: figures measured side by side in one run, so that a
 * target is a ratio against a floor or a peer rather than a timed unit test.
 */
import { parseArgs } from "node:util";
import { benchInit } from "./init.ts";
import { benchValidator } from "./validator.ts";

export const BENCH_HELP = `Usage: npm run bench -- [mode] [options]

Modes:
  validator (default)  The real checksum-validator handler over HTTP on the in-process emulator:
                       objects/s, batch latency, peak RSS, comparisons/s.
                       --objects N (default 1000), --concurrency C (default 4)
  init                 Each bundled handler's module init time at a cold start (the packaged
                       zips, fresh Node processes) beside an empty module's.
                       --runs N (default 9)
`;

export interface BenchIo {
  readonly stdout: { write(chunk: string): unknown };
}

export async function benchMain(argv: readonly string[], io: BenchIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      objects: { type: "string", default: "1000" },
      concurrency: { type: "string", default: "4" },
      runs: { type: "string", default: "9" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    io.stdout.write(BENCH_HELP);
    return 0;
  }
  const [mode = "validator", ...extra] = positionals;
  const progress = (line: string) => io.stdout.write(`${line}\n`);
  const modes: Record<string, () => Promise<string[]>> = {
    validator: () =>
      benchValidator(
        {
          objects: positiveWhole("--objects", values.objects),
          concurrency: positiveWhole("--concurrency", values.concurrency),
        },
        progress,
      ),
    init: () => benchInit({ runs: positiveWhole("--runs", values.runs) }, progress),
  };
  const run = modes[mode];
  if (!run || extra.length > 0) {
    io.stdout.write(`unknown bench mode "${[mode, ...extra].join(" ")}"\n${BENCH_HELP}`);
    return 2;
  }
  const figures = await run();
  io.stdout.write(`${figures.join("\n")}\n`);
  return 0;
}

function positiveWhole(option: string, raw: string): number {
  if (!/^\d+$/.test(raw) || Number(raw) < 1) {
    throw new Error(`${option} must be a whole number of at least 1 (got "${raw}")`);
  }
  return Number(raw);
}
