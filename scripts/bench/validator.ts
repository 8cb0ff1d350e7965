/**
 * `npm run bench -- validator`: throughput and memory of the checksum-validator, printed as
 * figures (targets live here, not in timed unit tests). Runs the real handler over HTTP against
 * the in-process emulator: N objects with identical replicas, checked in SQS-sized batches of 10.
 *
 *   npm run bench -- validator --objects 2000 --concurrency 4
 */
import { performance } from "node:perf_hooks";
import { compareObjects } from "../../shared/integrity/compare.ts";
import {
  BATCH,
  eventBatches,
  loadValidatorHandler,
  MiB,
  percentile,
  runBatches,
  startBenchStack,
  uploadIdenticalPairs,
} from "./stack.ts";

export interface ValidatorBenchOptions {
  readonly objects: number;
  readonly concurrency: number;
}

/** Runs the mode and returns its figures, one line each. */
export async function benchValidator(
  options: ValidatorBenchOptions,
  progress: (line: string) => void,
): Promise<string[]> {
  const { objects, concurrency } = options;
  const stack = await startBenchStack("validator");
  const { handler, restore } = await loadValidatorHandler(stack.validatorEnvironment());
  try {
    progress(`uploading ${objects} objects (and identical replicas)…`);
    await uploadIdenticalPairs(stack, objects);
    const batches = eventBatches(stack, objects);
    const run = await runBatches(handler, batches, concurrency);

    // Pure comparison cost, without I/O.
    const side = {
      bucket: stack.primaryBucket,
      key: "k",
      size: 5,
      etag: '"b1946ac92492d2347c6235b4d2611184"',
      checksums: { CRC32: "NhCmhg==", SHA256: "x" },
    };
    const rounds = 200_000;
    const c0 = performance.now();
    for (let i = 0; i < rounds; i += 1) compareObjects(side, side);
    const compareSeconds = (performance.now() - c0) / 1000;

    return [
      `objects checked          ${objects} (${batches.length} batches of ≤${BATCH}, ${concurrency} concurrent invocations)`,
      `failed records           ${run.failedRecords}`,
      `throughput               ${(objects / run.elapsedSeconds).toFixed(0)} objects/s (${run.elapsedSeconds.toFixed(2)} s)`,
      `batch latency            p50 ${percentile(run.latencies, 50).toFixed(1)} ms, p95 ${percentile(run.latencies, 95).toFixed(1)} ms, max ${percentile(run.latencies, 100).toFixed(1)} ms`,
      `peak RSS                 ${(run.peakRss / MiB).toFixed(0)} MiB (emulator in the same process)`,
      `compareObjects           ${(rounds / compareSeconds / 1e6).toFixed(2)} M comparisons/s`,
    ];
  } finally {
    restore();
    await stack.stop();
  }
}
