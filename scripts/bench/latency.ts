/**
 * `npm run bench -- latency`: the validator under AWS-like latency rather than an in-process
 * emulator's. A proxy adds a round trip per request (by default 20 ms to the primary region,
 * 70 ms to the replica region); the real handler checks batches of 10 identical pairs, and each
 * batch's wall time is set against the raw HEADs the batch needs (both sides of its 10 objects,
 * all at once) through the same proxy, in the same run. Goal: ≤ 1.1×.
 *
 *   npm run bench -- latency --objects 200 --primary-ms 20 --replica-ms 70
 */
import { performance } from "node:perf_hooks";
import { HeadObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import type { SQSEvent } from "aws-lambda";
import { lambdaContext } from "../local/lambda-context.ts";
import type { SqsHandler } from "../local/lambda-event-source.ts";
import {
  BATCH,
  behindLatency,
  eventBatches,
  PRIMARY_REGION,
  percentile,
  REPLICA_REGION,
  type RoundTrips,
} from "./stack.ts";

export interface LatencyBenchOptions extends RoundTrips {
  readonly objects: number;
}

/** What S3 event notifications of a versioned bucket carry; the emulator ignores it. */
const VERSION_ID = "3HL4kqtJvjVBH40Nrjfkd.Wq5v1LZg0b";

export async function benchLatency(
  options: LatencyBenchOptions,
  progress: (line: string) => void,
): Promise<string[]> {
  return behindLatency<SqsHandler>(
    "latency",
    options,
    "checksum-validator",
    progress,
    async (run) => {
      const { stack, handler, raw } = run;
      const rawHeads = (batch: SQSEvent) =>
        Promise.all(
          batch.Records.map((record) => {
            const key = (JSON.parse(record.body) as { detail: { object: { key: string } } }).detail
              .object.key;
            return Promise.all([
              head(raw.primary, stack.primaryBucket, key),
              head(raw.replica, stack.replicaBucket, key),
            ]);
          }),
        );

      const withVersion = eventBatches(stack, options.objects, VERSION_ID);
      const withoutVersion = eventBatches(stack, options.objects);
      // Warm up connections and code paths on both sides before measuring.
      const [warmUp] = withVersion;
      if (warmUp) {
        await timed(() => invoke(handler, warmUp));
        await timed(() => rawHeads(warmUp));
      }
      const measured = {
        versioned: [] as number[],
        unversioned: [] as number[],
        raw: [] as number[],
      };
      let failedRecords = 0;
      for (const [index, batch] of withVersion.entries()) {
        // Interleaved, so that drift of the machine affects all three alike.
        const versioned = await timedFailures(() => invoke(handler, batch));
        const unversionedBatch = withoutVersion[index];
        const unversioned = unversionedBatch
          ? await timedFailures(() => invoke(handler, unversionedBatch))
          : undefined;
        measured.versioned.push(versioned.ms);
        if (unversioned) measured.unversioned.push(unversioned.ms);
        measured.raw.push((await timed(() => rawHeads(batch))).ms);
        failedRecords += versioned.failed + (unversioned?.failed ?? 0);
      }

      const median = (values: readonly number[]) => percentile(values, 50);
      const rawMedian = median(measured.raw);
      const ratio = (values: readonly number[]) => (median(values) / rawMedian).toFixed(2);
      return [
        `round trips added        ${options.primaryMs} ms to ${PRIMARY_REGION} (primary), ${options.replicaMs} ms to ${REPLICA_REGION} (replica)`,
        `batches measured         ${withVersion.length} of ≤${BATCH} objects, one at a time (medians)`,
        `failed records           ${failedRecords}`,
        `raw HEADs of a batch     ${rawMedian.toFixed(1)} ms (both sides of every object at once)`,
        `handler, version known   ${median(measured.versioned).toFixed(1)} ms = ${ratio(measured.versioned)}× the raw HEADs (goal ≤ 1.1×)`,
        `handler, no version      ${median(measured.unversioned).toFixed(1)} ms = ${ratio(measured.unversioned)}× (the primary's answer names the version: one more round trip)`,
      ];
    },
  );
}

function head(s3: S3Client, bucket: string, key: string) {
  return s3.send(
    new HeadObjectCommand({
      Bucket: bucket,
      Key: key,
      VersionId: VERSION_ID,
      ChecksumMode: "ENABLED",
    }),
  );
}

async function invoke(handler: SqsHandler, batch: SQSEvent): Promise<number> {
  const response = await handler(batch, lambdaContext("bench"));
  return response?.batchItemFailures.length ?? 0;
}

async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = performance.now();
  const value = await work();
  return { ms: performance.now() - started, value };
}

async function timedFailures(work: () => Promise<number>) {
  const { ms, value } = await timed(work);
  return { ms, failed: value };
}
