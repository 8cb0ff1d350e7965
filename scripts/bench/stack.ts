/**
 * What the handler benchmarks share: the in-process emulator with a bucket pair and the two
 * queues, objects with identical replicas, upload events in SQS batches of 10, the real
 * checksum-validator handler loaded fresh for each run, and a timed run of the batches.
 */
import { performance } from "node:perf_hooks";
import { CreateBucketCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { CreateQueueCommand, SQSClient } from "@aws-sdk/client-sqs";
import type { SQSEvent } from "aws-lambda";
import { startFauxqs } from "fauxqs";
import { formatBucketPairs } from "../../shared/contracts/bucket-pairs.ts";
import {
  auditWorkerEnvironment,
  validatorEnvironment,
} from "../../shared/contracts/environment.ts";
import { onEmulatorOrigin } from "../local/emulator-urls.ts";
import { lambdaContext } from "../local/lambda-context.ts";
import { type SqsHandler, toSqsRecord } from "../local/lambda-event-source.ts";
import { startLatencyProxy } from "./latency-proxy.ts";

export const BATCH = 10;
export const PRIMARY_REGION = "us-east-1";
export const REPLICA_REGION = "us-west-2";
const CREDENTIALS = { accessKeyId: "test", secretAccessKey: "test" };

export interface BenchStack {
  readonly endpoint: string;
  readonly primaryBucket: string;
  readonly replicaBucket: string;
  /** S3 clients of both regions on `endpoint` (or on another endpoint, e.g. a proxy). */
  s3(region: string, endpoint?: string): S3Client;
  /** The validator's environment, its endpoint `endpoint` (default: the emulator's). */
  validatorEnvironment(endpoint?: string): Record<string, string>;
  /** The audit-worker's, the same way. */
  auditWorkerEnvironment(endpoint?: string): Record<string, string>;
  stop(): Promise<void>;
}

export async function startBenchStack(name: string): Promise<BenchStack> {
  const server = await startFauxqs({ port: 0, logger: false });
  const clients: S3Client[] = [];
  const s3 = (region: string, endpoint = server.address) => {
    const client = new S3Client({ endpoint, region, credentials: CREDENTIALS });
    clients.push(client);
    return client;
  };
  const sqs = new SQSClient({
    endpoint: server.address,
    region: PRIMARY_REGION,
    credentials: CREDENTIALS,
  });
  const primaryBucket = `bench-${name}-primary`;
  const replicaBucket = `bench-${name}-replica`;
  const admin = s3(PRIMARY_REGION);
  await admin.send(new CreateBucketCommand({ Bucket: primaryBucket }));
  await admin.send(new CreateBucketCommand({ Bucket: replicaBucket }));
  const queue = async (suffix: string) =>
    onEmulatorOrigin(
      (await sqs.send(new CreateQueueCommand({ QueueName: `bench-${name}-${suffix}` }))).QueueUrl ??
        "",
      server.address,
    );
  const queues = { validation: await queue("validation"), failure: await queue("failures") };
  const bucketPairs = formatBucketPairs([{ primaryBucket, replicaBucket, category: "bench" }]);
  const common = (endpoint: string) => ({
    AWS_ENDPOINT_URL: endpoint,
    AWS_REGION: PRIMARY_REGION,
    AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
    POWERTOOLS_LOG_LEVEL: "SILENT",
    POWERTOOLS_METRICS_DISABLED: "true",
  });
  return {
    endpoint: server.address,
    primaryBucket,
    replicaBucket,
    s3,
    validatorEnvironment(endpoint = server.address) {
      return {
        ...common(endpoint),
        ...validatorEnvironment({
          bucketPairs,
          replicaRegion: REPLICA_REGION,
          validationQueueUrl: queues.validation,
          failureQueueUrl: queues.failure,
        }),
      };
    },
    auditWorkerEnvironment(endpoint = server.address) {
      return {
        ...common(endpoint),
        ...auditWorkerEnvironment({
          bucketPairs,
          replicaRegion: REPLICA_REGION,
          failureQueueUrl: queues.failure,
          stage: "bench",
        }),
      };
    },
    async stop() {
      for (const client of clients) client.destroy();
      sqs.destroy();
      await server.stop();
    },
  };
}

/** Objects `bench/<i>.txt` with identical replicas. */
export async function uploadIdenticalPairs(stack: BenchStack, count: number): Promise<void> {
  const s3 = stack.s3(PRIMARY_REGION);
  for (let i = 0; i < count; i += 1) {
    const body = `object ${i} `.repeat(20);
    for (const bucket of [stack.primaryBucket, stack.replicaBucket]) {
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: objectKey(i), Body: body }));
    }
  }
}

export function objectKey(index: number): string {
  return `bench/${index}.txt`;
}

/**
 * EventBridge Object Created events for objects 0..count-1 in SQS batches of 10; with a version
 * ID, as S3 sends for versioned buckets.
 */
export function eventBatches(stack: BenchStack, count: number, versionId?: string): SQSEvent[] {
  const batches: SQSEvent[] = [];
  for (let start = 0; start < count; start += BATCH) {
    const records = [];
    for (let i = start; i < Math.min(count, start + BATCH); i += 1) {
      const object = { key: objectKey(i), ...(versionId ? { "version-id": versionId } : {}) };
      const body = JSON.stringify({
        version: "0",
        id: `bench-${i}`,
        "detail-type": "Object Created",
        source: "aws.s3",
        time: new Date().toISOString(),
        detail: { bucket: { name: stack.primaryBucket }, object },
      });
      records.push(
        toSqsRecord(
          { MessageId: `m-${i}`, Body: body },
          { queueArn: "arn:aws:sqs:us-east-1:000000000000:bench", region: PRIMARY_REGION },
        ),
      );
    }
    batches.push({ Records: records });
  }
  return batches;
}

let loads = 0;

/**
 * The real checksum-validator module, imported afresh (as a cold start) with `environment` set:
 * each run gets its own configuration and clients. The environment is restored by `restore`.
 */
export function loadValidatorHandler(
  environment: Record<string, string>,
): Promise<{ handler: SqsHandler; restore(): void }> {
  return loadHandler<SqsHandler>("checksum-validator", environment);
}

/** A function's real handler module, imported afresh with `environment` set (see above). */
export async function loadHandler<Handler>(
  functionName: "checksum-validator" | "audit-worker",
  environment: Record<string, string>,
): Promise<{ handler: Handler; restore(): void }> {
  const previous = Object.fromEntries(
    Object.keys(environment).map((name) => [name, process.env[name]]),
  );
  Object.assign(process.env, environment);
  loads += 1;
  const module = new URL(
    `../../functions/${functionName}/handler.ts?load=${loads}`,
    import.meta.url,
  );
  const { handler } = (await import(module.href)) as { handler: Handler };
  return {
    handler,
    restore() {
      for (const [name, value] of Object.entries(previous)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    },
  };
}

export interface RoundTrips {
  readonly primaryMs: number;
  readonly replicaMs: number;
}

export interface BehindLatency<Handler> {
  readonly stack: BenchStack;
  readonly handler: Handler;
  /** S3 clients of both regions through the same proxy: the raw requests, the floor. */
  readonly raw: { readonly primary: S3Client; readonly replica: S3Client };
}

/**
 * A bench stack behind the latency proxy (a round trip per request by region) with `objects`
 * identical pairs, and a function's real handler loaded to go through it; all torn down once
 * `work` is done.
 */
export async function behindLatency<Handler>(
  name: string,
  options: RoundTrips & { readonly objects: number },
  functionName: "checksum-validator" | "audit-worker",
  progress: (line: string) => void,
  work: (run: BehindLatency<Handler>) => Promise<string[]>,
): Promise<string[]> {
  const roundTrips = options;
  const stack = await startBenchStack(name);
  const proxy = await startLatencyProxy(stack.endpoint, {
    [PRIMARY_REGION]: roundTrips.primaryMs,
    [REPLICA_REGION]: roundTrips.replicaMs,
  });
  const environment =
    functionName === "audit-worker"
      ? stack.auditWorkerEnvironment(proxy.endpoint)
      : stack.validatorEnvironment(proxy.endpoint);
  const { handler, restore } = await loadHandler<Handler>(functionName, environment);
  try {
    progress(`uploading ${options.objects} objects (and identical replicas)…`);
    await uploadIdenticalPairs(stack, options.objects);
    return await work({
      stack,
      handler,
      raw: {
        primary: stack.s3(PRIMARY_REGION, proxy.endpoint),
        replica: stack.s3(REPLICA_REGION, proxy.endpoint),
      },
    });
  } finally {
    restore();
    await proxy.stop();
    await stack.stop();
  }
}

export interface BatchRun {
  /** Wall time of each batch, in milliseconds. */
  readonly latencies: readonly number[];
  readonly failedRecords: number;
  readonly elapsedSeconds: number;
  readonly peakRss: number;
}

/** Runs the batches through the handler, `concurrency` invocations at a time. */
export async function runBatches(
  handler: SqsHandler,
  batches: readonly SQSEvent[],
  concurrency: number,
): Promise<BatchRun> {
  const latencies: number[] = [];
  let failedRecords = 0;
  let peakRss = process.memoryUsage().rss;
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < batches.length) {
        const batch = batches[next];
        next += 1;
        if (!batch) break;
        const t0 = performance.now();
        const response = await handler(batch, lambdaContext("bench"));
        latencies.push(performance.now() - t0);
        failedRecords += response?.batchItemFailures.length ?? 0;
        peakRss = Math.max(peakRss, process.memoryUsage().rss);
      }
    }),
  );
  return {
    latencies,
    failedRecords,
    elapsedSeconds: (performance.now() - started) / 1000,
    peakRss,
  };
}

/** The p-th percentile (0–100) of some values. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

export const MiB = 1024 * 1024;
