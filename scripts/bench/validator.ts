/**
 * `npm run bench -- validator`: throughput and memory of the checksum-validator, printed as
 * figures (targets live here, not in timed unit tests). Runs the real handler over HTTP against
 * the in-process emulator: N objects with identical replicas, checked in SQS-sized batches of 10.
 *
 *   npm run bench -- validator --objects 2000 --concurrency 4
 */
import { performance } from "node:perf_hooks";
import { CreateBucketCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { CreateQueueCommand, SQSClient } from "@aws-sdk/client-sqs";
import type { SQSEvent } from "aws-lambda";
import { startFauxqs } from "fauxqs";
import { compareObjects } from "../../shared/integrity/compare.ts";
import { onEmulatorOrigin } from "../local/emulator-urls.ts";
import { lambdaContext } from "../local/lambda-context.ts";
import type { SqsHandler } from "../local/lambda-event-source.ts";
import { toSqsRecord } from "../local/lambda-event-source.ts";

export interface ValidatorBenchOptions {
  readonly objects: number;
  readonly concurrency: number;
}

const BATCH = 10;

/** Runs the mode and returns its figures, one line each. */
export async function benchValidator(
  options: ValidatorBenchOptions,
  progress: (line: string) => void,
): Promise<string[]> {
  const { objects, concurrency } = options;

  const server = await startFauxqs({ port: 0, logger: false });
  const config = {
    endpoint: server.address,
    region: "us-east-1",
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
  };
  const s3 = new S3Client(config);
  const sqs = new SQSClient(config);
  const primary = "bench-primary-bucket";
  const replica = "bench-replica-bucket";
  await s3.send(new CreateBucketCommand({ Bucket: primary }));
  await s3.send(new CreateBucketCommand({ Bucket: replica }));
  const queue = async (name: string) =>
    onEmulatorOrigin(
      (await sqs.send(new CreateQueueCommand({ QueueName: name }))).QueueUrl ?? "",
      server.address,
    );

  Object.assign(process.env, {
    AWS_ENDPOINT_URL: server.address,
    AWS_REGION: "us-east-1",
    AWS_ACCESS_KEY_ID: "test",
    AWS_SECRET_ACCESS_KEY: "test",
    BUCKET_PAIRS: JSON.stringify({ [primary]: replica }),
    REPLICA_REGION: "us-west-2",
    VALIDATION_QUEUE_URL: await queue("bench-validation"),
    FAILURE_QUEUE_URL: await queue("bench-failures"),
    POWERTOOLS_LOG_LEVEL: "SILENT",
    POWERTOOLS_METRICS_DISABLED: "true",
  });
  const handler = (await import("../../functions/checksum-validator/handler.ts"))
    .handler as SqsHandler;

  progress(`uploading ${objects} objects (and identical replicas)…`);
  for (let i = 0; i < objects; i += 1) {
    const body = `object ${i} `.repeat(20);
    await s3.send(new PutObjectCommand({ Bucket: primary, Key: `bench/${i}.txt`, Body: body }));
    await s3.send(new PutObjectCommand({ Bucket: replica, Key: `bench/${i}.txt`, Body: body }));
  }

  const batches: SQSEvent[] = [];
  for (let start = 0; start < objects; start += BATCH) {
    const records = [];
    for (let i = start; i < Math.min(objects, start + BATCH); i += 1) {
      const body = JSON.stringify({
        version: "0",
        id: `bench-${i}`,
        "detail-type": "Object Created",
        source: "aws.s3",
        time: new Date().toISOString(),
        detail: { bucket: { name: primary }, object: { key: `bench/${i}.txt` } },
      });
      records.push(
        toSqsRecord(
          { MessageId: `m-${i}`, Body: body },
          { queueArn: "arn:aws:sqs:us-east-1:000000000000:bench", region: "us-east-1" },
        ),
      );
    }
    batches.push({ Records: records });
  }

  const latencies: number[] = [];
  let failed = 0;
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
        failed += response?.batchItemFailures.length ?? 0;
        peakRss = Math.max(peakRss, process.memoryUsage().rss);
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const percentile = (p: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? 0;

  // Pure comparison cost, without I/O.
  const side = {
    bucket: primary,
    key: "k",
    size: 5,
    etag: '"b1946ac92492d2347c6235b4d2611184"',
    checksums: { CRC32: "NhCmhg==", SHA256: "x" },
  };
  const rounds = 200_000;
  const c0 = performance.now();
  for (let i = 0; i < rounds; i += 1) compareObjects(side, side);
  const compareSeconds = (performance.now() - c0) / 1000;

  const figures = [
    `objects checked          ${objects} (${batches.length} batches of ≤${BATCH}, ${concurrency} concurrent invocations)`,
    `failed records           ${failed}`,
    `throughput               ${(objects / elapsed).toFixed(0)} objects/s (${elapsed.toFixed(2)} s)`,
    `batch latency            p50 ${percentile(50).toFixed(1)} ms, p95 ${percentile(95).toFixed(1)} ms, max ${percentile(100).toFixed(1)} ms`,
    `peak RSS                 ${(peakRss / 1024 / 1024).toFixed(0)} MiB (emulator in the same process)`,
    `compareObjects           ${(rounds / compareSeconds / 1e6).toFixed(2)} M comparisons/s`,
  ];
  s3.destroy();
  sqs.destroy();
  await server.stop();
  return figures;
}
