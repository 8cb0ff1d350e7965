/**
 * `npm run bench -- deep`: deep verification against the raw reads of the same bytes, through
 * the same emulator (fauxqs in a process of its own, so it serves from the other core), in one
 * run:
 * - throughput reproducing a multipart ETag (MD5 per part) and a full-object CRC64NVME from a
 *   large object's bytes, against ranged GETs of the same bytes without hashing and one plain
 *   GET stream (goal: ≥ 0.8× the raw ranged GETs);
 * - peak RSS of a fresh process deep-verifying a small and a large object (goal: within 1.2× of
 *   each other: memory bounded by concurrency × chunk size, not by the object), and an object a
 *   quarter of the large one's size, to show where the growth stops.
 * Objects are generated part by part while uploading, never held whole in this process. (moto
 * is not used here: it builds the whole object in memory to answer each ranged GET.)
 *
 *   npm run bench -- deep --small-mib 16 --big-mib 1024
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { performance } from "node:perf_hooks";
import { promisify } from "node:util";
import { CreateBucketCommand, GetObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { type DeepReadPlan, runDeepRead } from "../../shared/integrity/deep-read.ts";
import type { DigestTarget } from "../../shared/integrity/digests.ts";
import { readInOrder } from "../../shared/integrity/parallel-read.ts";
import { type ObjectState, s3ObjectReader } from "../../shared/s3/object-state.ts";
import { multipartUpload } from "../local/multipart.ts";
import { startEmulatorProcess } from "./emulator-process.ts";
import { MiB } from "./stack.ts";

export interface DeepBenchOptions {
  readonly smallMib: number;
  readonly bigMib: number;
  readonly concurrency: number;
  readonly chunkMib: number;
}

const BUCKET = "bench-deep";
/** Parts of the generated objects: 8 MiB (aws-cli's default; the emulator takes up to 11 MiB). */
const PART_BYTES = 8 * MiB;

export async function benchDeep(
  options: DeepBenchOptions,
  progress: (line: string) => void,
): Promise<string[]> {
  const emulator = await startEmulatorProcess();
  const s3 = benchClient(emulator.endpoint);
  try {
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
    const read = {
      endpoint: emulator.endpoint,
      concurrency: options.concurrency,
      chunkMib: options.chunkMib,
    };
    const quarterMib = Math.max(options.smallMib, Math.round(options.bigMib / 4));
    const sizes = {
      small: options.smallMib * MiB,
      quarter: quarterMib * MiB,
      big: options.bigMib * MiB,
    };
    for (const [name, size] of Object.entries(sizes)) {
      progress(`uploading the ${name} object, ${size / MiB} MiB, generated part by part…`);
      await multipartUpload(
        s3,
        BUCKET,
        name,
        (_offset, length) => randomBytes(length),
        layout(size),
        {
          checksumAlgorithm: undefined,
        },
      );
    }
    const big = await describe(s3, "big");
    // Warm up both processes (JIT, connections) on the small object before measuring.
    await rawRangedRead(s3, await describe(s3, "small"), read);

    progress("reading the large object: raw, deep (ETag), raw, deep (CRC64NVME), raw…");
    const rawRanged = [await rawRangedRead(s3, big, read)];
    const etag = await deepRead({ ...read, key: "big", target: "multipart-etag" });
    rawRanged.push(await rawRangedRead(s3, big, read));
    const crc = await deepRead({ ...read, key: "big", target: "CRC64NVME" });
    rawRanged.push(await rawRangedRead(s3, big, read));
    const rawStream = await rawStreamRead(s3, big);
    const raw = [...rawRanged].sort((a, b) => a - b)[1] ?? 0;

    progress("peak RSS of fresh processes: no read, then each object…");
    const idle = await childPeakRss({ ...read, key: "small", target: "none" });
    const small = await childPeakRss({ ...read, key: "small", target: "multipart-etag" });
    const quarter = await childPeakRss({ ...read, key: "quarter", target: "multipart-etag" });
    const large = await childPeakRss({ ...read, key: "big", target: "multipart-etag" });

    const rate = (bytesPerSecond: number) => `${(bytesPerSecond / MiB).toFixed(0)} MiB/s`;
    const times = (value: number) => `${(value / raw).toFixed(2)}×`;
    return [
      `object                   ${options.bigMib} MiB in ${layout(sizes.big).length} parts, ${options.concurrency} ranged GETs of ${options.chunkMib} MiB in flight, emulator in its own process`,
      `raw ranged GETs          ${rawRanged.map(rate).join(", ")} (no hashing; the median is the reference)`,
      `raw single GET stream    ${rate(rawStream)}`,
      `deep, multipart ETag     ${rate(etag.bytesPerSecond)} = ${times(etag.bytesPerSecond)} raw (goal ≥ 0.8×)`,
      `deep, CRC64NVME          ${rate(crc.bytesPerSecond)} = ${times(crc.bytesPerSecond)} raw (goal ≥ 0.8×)`,
      `peak RSS, no read        ${mib(idle)} (a fresh process: Node, the SDK, one HEAD)`,
      `peak RSS, ${String(options.smallMib).padEnd(5)} MiB      ${mib(small)}`,
      `peak RSS, ${String(quarterMib).padEnd(5)} MiB      ${mib(quarter)}`,
      `peak RSS, ${String(options.bigMib).padEnd(5)} MiB      ${mib(large)} = ${(large / small).toFixed(2)}× the small object's (goal ≤ 1.2×)`,
    ];
  } finally {
    s3.destroy();
    await emulator.stop();
  }
}

function benchClient(endpoint: string): S3Client {
  return new S3Client({
    endpoint,
    region: "us-east-1",
    forcePathStyle: true,
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
  });
}

function layout(size: number): number[] {
  const parts = Array.from({ length: Math.floor(size / PART_BYTES) }, () => PART_BYTES);
  if (size % PART_BYTES > 0 || parts.length === 0) parts.push(size % PART_BYTES);
  return parts;
}

async function describe(s3: S3Client, key: string): Promise<ObjectState> {
  const reader = s3ObjectReader(s3);
  const state = await reader.head({ bucket: BUCKET, key });
  if (!state) throw new Error(`s3://${BUCKET}/${key} was not found`);
  const partSizes = await reader.partSizes(state, { concurrency: 8 });
  return partSizes ? { ...state, partSizes } : state;
}

interface ReadSettings {
  readonly endpoint: string;
  readonly concurrency: number;
  readonly chunkMib: number;
}

async function rawRangedRead(s3: S3Client, state: ObjectState, settings: ReadSettings) {
  const reader = s3ObjectReader(s3);
  const started = performance.now();
  const outcome = await readInOrder({
    size: state.size,
    chunkSize: settings.chunkMib * MiB,
    concurrency: settings.concurrency,
    readRange: (start, end, signal) => reader.readRange(state, start, end, signal),
    consume: () => undefined,
  });
  return outcome.bytesRead / ((performance.now() - started) / 1000);
}

async function rawStreamRead(s3: S3Client, state: ObjectState) {
  const started = performance.now();
  const output = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: state.key }));
  let bytes = 0;
  for await (const chunk of output.Body as AsyncIterable<Uint8Array>) bytes += chunk.length;
  return bytes / ((performance.now() - started) / 1000);
}

export interface DeepReadRun extends ReadSettings {
  readonly key: string;
  /** What to reproduce; "none" describes the object and reads nothing (the baseline). */
  readonly target: "multipart-etag" | "CRC64NVME" | "none";
}

/**
 * Deep-verifies one object of the bench bucket as the validator would (its ETag with its own
 * layout, or its full-object CRC64NVME, from its bytes), and says how fast. A fresh process runs
 * this alone to measure peak memory.
 */
export async function deepRead(run: DeepReadRun): Promise<{ bytesPerSecond: number }> {
  const s3 = benchClient(run.endpoint);
  try {
    const state = await describe(s3, run.key);
    if (run.target === "none") return { bytesPerSecond: 0 };
    const target: DigestTarget =
      run.target === "CRC64NVME"
        ? { kind: "full-object-checksum", algorithm: "CRC64NVME" }
        : { kind: "multipart-etag", partSizes: state.partSizes ?? [state.size] };
    // What the replica records does not change the speed: the bench compares nothing.
    const plan: DeepReadPlan = { kind: "reproduce", read: "primary", target, recorded: "-" };
    const reader = s3ObjectReader(s3);
    const readRange = (start: number, end: number, signal: AbortSignal) =>
      reader.readRange(state, start, end, signal);
    const started = performance.now();
    const outcome = await runDeepRead(
      plan,
      state.size,
      { primary: readRange, replica: readRange },
      { chunkSize: run.chunkMib * MiB, concurrency: run.concurrency },
    );
    if (!outcome.evidence) throw new Error("the deep read did not finish");
    return { bytesPerSecond: outcome.bytesRead / ((performance.now() - started) / 1000) };
  } finally {
    s3.destroy();
  }
}

/** Peak RSS (bytes) of a fresh Node process that runs `deepRead(run)` and nothing else. */
async function childPeakRss(run: DeepReadRun): Promise<number> {
  const module = new URL("./deep.ts", import.meta.url).href;
  const script = [
    `const { deepRead } = await import(${JSON.stringify(module)});`,
    `await deepRead(${JSON.stringify(run)});`,
    "process.stdout.write(String(process.resourceUsage().maxRSS));",
  ].join("\n");
  const { stdout } = await promisify(execFile)(process.execPath, [
    "--input-type=module",
    "--eval",
    script,
  ]);
  // resourceUsage().maxRSS is in kibibytes.
  return Number(stdout.trim()) * 1024;
}

function mib(bytes: number): string {
  return `${(bytes / MiB).toFixed(0)} MiB`;
}
