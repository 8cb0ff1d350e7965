/**
 * `npm run bench -- audit-worker`: what one object of a scheduled audit costs in Lambda time.
 * The real audit-worker handler answers one S3 Batch Operations invocation per object (as a job
 * invokes it), one after another as in one execution environment, behind the latency bench's
 * proxy (a round trip per request by region: 20 ms to the primary's, 70 ms to the replica's by
 * default). Beside it, in the same run, the floor: the raw HEADs of each object, both sides at
 * once, through the same proxy. The duration per object is what a million objects cost in GB-s
 * at the worker's memory (README, "Audit at scale").
 *
 *   npm run bench -- audit-worker --objects 200 --primary-ms 20 --replica-ms 70
 */
import { performance } from "node:perf_hooks";
import { HeadObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import type { Context } from "aws-lambda";
import { settings } from "../../resources/settings.ts";
import type { BatchOperationsResponse } from "../../shared/audit/batch/batch-operations.ts";
import { lambdaContext } from "../local/lambda-context.ts";
import {
  behindLatency,
  objectKey,
  PRIMARY_REGION,
  percentile,
  REPLICA_REGION,
  type RoundTrips,
} from "./stack.ts";

export interface AuditWorkerBenchOptions extends RoundTrips {
  readonly objects: number;
}

type WorkerHandler = (event: unknown, context: Context) => Promise<BatchOperationsResponse>;

export async function benchAuditWorker(
  options: AuditWorkerBenchOptions,
  progress: (line: string) => void,
): Promise<string[]> {
  return behindLatency<WorkerHandler>(
    "audit-worker",
    options,
    "audit-worker",
    progress,
    async (run) => {
      const { stack, handler, raw } = run;
      const invocation = (index: number) => ({
        invocationSchemaVersion: "2.0",
        invocationId: `bench-invocation-${index}`,
        job: { id: "bench-job", userArguments: { stage: "bench", runId: "bench" } },
        tasks: [
          {
            taskId: `task-${index}`,
            s3Key: encodeURIComponent(objectKey(index)),
            s3VersionId: null,
            s3Bucket: stack.primaryBucket,
          },
        ],
      });
      const rawHeads = (index: number) =>
        Promise.all([
          head(raw.primary, stack.primaryBucket, objectKey(index)),
          head(raw.replica, stack.replicaBucket, objectKey(index)),
        ]);
      // Warm up connections and code paths on both sides before measuring.
      await handler(invocation(0), lambdaContext("bench"));
      await rawHeads(0);

      const measured = { worker: [] as number[], raw: [] as number[] };
      const verdicts = new Map<string, number>();
      for (let index = 0; index < options.objects; index += 1) {
        // Interleaved, so that drift of the machine affects both alike.
        const started = performance.now();
        const response = await handler(invocation(index), lambdaContext("bench"));
        measured.worker.push(performance.now() - started);
        for (const result of response.results) {
          const verdict =
            result.resultCode === "Succeeded"
              ? (JSON.parse(result.resultString) as { verdict: string }).verdict
              : result.resultCode;
          verdicts.set(verdict, (verdicts.get(verdict) ?? 0) + 1);
        }
        const rawStarted = performance.now();
        await rawHeads(index);
        measured.raw.push(performance.now() - rawStarted);
      }

      const median = (values: readonly number[]) => percentile(values, 50);
      const perObjectMs = median(measured.worker);
      const memoryGb = settings.functions["audit-worker"].memorySizeMb / 1024;
      // Lambda bills each invocation's duration rounded up to the millisecond.
      const gbSecondsPerMillion = (Math.ceil(perObjectMs) / 1000) * memoryGb * 1_000_000;
      return [
        `round trips added        ${options.primaryMs} ms to ${PRIMARY_REGION} (primary), ${options.replicaMs} ms to ${REPLICA_REGION} (replica)`,
        `objects                  ${options.objects}, one invocation each, one after another`,
        `verdicts                 ${[...verdicts].map(([verdict, count]) => `${verdict} ${count}`).join(", ")}`,
        `raw HEADs of an object   ${median(measured.raw).toFixed(1)} ms (both sides at once: the floor)`,
        `worker per object        ${perObjectMs.toFixed(1)} ms median, ${percentile(measured.worker, 95).toFixed(1)} ms p95 = ${(perObjectMs / median(measured.raw)).toFixed(2)}× the raw HEADs`,
        `Lambda per million       ${(gbSecondsPerMillion / 1000).toFixed(1)} k GB-s at ${settings.functions["audit-worker"].memorySizeMb} MB (the median, rounded up to the millisecond)`,
      ];
    },
  );
}

function head(s3: S3Client, bucket: string, key: string) {
  return s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key, ChecksumMode: "ENABLED" }));
}
