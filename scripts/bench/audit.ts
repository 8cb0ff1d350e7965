/**
 * `npm run bench -- audit`: `npm run audit` over a healthy pair of N objects on an emulator,
 * beside its floor and its peer, in one run, for each size:
 * - the floor: merely listing both buckets with the same client, the same key ranges and the
 *   same requests in flight (goal: the audit's wall time within 1.2x of it);
 * - the audit: objects per second and peak RSS, each measured in a fresh Node process (goal:
 *   peak RSS at the largest size within 1.2x of that at the smallest: memory does not grow with
 *   the bucket). Node's own heap sizing lets a longer run's heap grow whatever it holds (the
 *   floor's does too), so the audit is also run with a fixed heap (V8's old space capped at
 *   BOUNDED_HEAP_MIB): that it finishes every size in it, at the same peak RSS, is what shows
 *   its working set does not grow with the bucket;
 * - `rclone check` on the same buckets with as many checkers, where rclone is installed (its
 *   peak RSS read by the Python that runs it); where it is not, a note says so.
 *
 * The emulator runs in a process of its own. Replicas are written before their sources: CRR
 * gives a replica its source's creation time, and an emulator stamps a copy with the time it is
 * written, so a replica written after its source would read as written over (and be HEADed).
 */
import { execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { Agent } from "node:http";
import { promisify } from "node:util";
import { CreateBucketCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { startMoto } from "../local/moto-server.ts";
import { auditMain } from "../oncall/audit-command.ts";
import {
  type BucketLocation,
  type Gate,
  listCurrent,
  splitKeyspace,
} from "../oncall/audit-listing.ts";
import { createAwsClients } from "../oncall/cli.ts";
import { createRequestGate } from "../oncall/request-gate.ts";
import { startEmulatorProcess } from "./emulator-process.ts";

export type BenchEmulator = "fauxqs" | "moto";

export interface AuditBenchOptions {
  /** Objects per bucket, one run each; the first and the last are compared for memory. */
  readonly sizes: readonly number[];
  /** Requests in flight (the audit's --concurrency, rclone's --checkers). */
  readonly concurrency: number;
  readonly emulator: BenchEmulator;
}

const PRIMARY = "bench-audit-primary";
const REPLICA = "bench-audit-replica";
const REGION = "us-east-1";
const CREDENTIALS = { accessKeyId: "test", secretAccessKey: "test" };
/** Keys spread over this many top-level prefixes, as a bucket of folders is. */
const PREFIXES = 16;
const MiB = 1024;
/** The fixed heap of the bounded run: far below what a bucket's listing would need. */
const BOUNDED_HEAP_MIB = 96;
const BOUNDED_FLAGS = [`--max-old-space-size=${BOUNDED_HEAP_MIB}`, "--max-semi-space-size=2"];

interface Measured {
  readonly seconds: number;
  readonly objects: number;
  /** Peak resident set size, KiB. */
  readonly maxRssKiB?: number;
  readonly note?: string;
}

export async function benchAudit(
  options: AuditBenchOptions,
  progress: (line: string) => void,
): Promise<string[]> {
  const rows: Row[] = [];
  for (const size of options.sizes) {
    const emulator = options.emulator === "moto" ? await startMoto() : await startEmulatorProcess();
    try {
      progress(
        `seeding ${size.toLocaleString("en-US")} objects per bucket on ${options.emulator}…`,
      );
      await seed(emulator.endpoint, size);
      const task = { endpoint: emulator.endpoint, concurrency: options.concurrency };
      // A first listing warms the emulator up; then the floor and the audit take turns, twice,
      // and each keeps its faster run (a shared 2-core machine moves single runs by tens of %).
      progress("warming the emulator up with one listing…");
      await inChild({ ...task, mode: "list" });
      const floors: Measured[] = [];
      const audits: Measured[] = [];
      for (let round = 1; round <= 2; round += 1) {
        progress(
          `round ${round} of 2: listing both buckets (the floor), then auditing, each in a fresh process…`,
        );
        floors.push(await inChild({ ...task, mode: "list" }));
        audits.push(await inChild({ ...task, mode: "audit" }));
      }
      const floor = fastest(floors);
      const audit = fastest(audits);
      progress(`auditing with a ${BOUNDED_HEAP_MIB} MiB heap, in a fresh process…`);
      const bounded = await inChild({ ...task, mode: "audit" }, BOUNDED_FLAGS);
      for (const run of [...audits, bounded]) {
        if (run.objects !== size) {
          throw new Error(`the audit proved ${run.objects} of ${size} objects: ${run.note ?? ""}`);
        }
      }
      progress("rclone check…");
      const rclone = await rcloneCheck(emulator.endpoint, options.concurrency);
      rows.push({ size, floor, audit, bounded, rclone });
    } finally {
      await emulator.stop();
    }
  }
  return render(rows, options);
}

function fastest(runs: readonly Measured[]): Measured {
  const [first, ...rest] = runs;
  if (!first) throw new Error("no run measured");
  return rest.reduce((best, run) => (run.seconds < best.seconds ? run : best), first);
}

interface Row {
  readonly size: number;
  readonly floor: Measured;
  readonly audit: Measured;
  /** The audit with V8's heap capped (BOUNDED_FLAGS). */
  readonly bounded: Measured;
  readonly rclone: Measured | string;
}

function render(rows: readonly Row[], options: AuditBenchOptions): string[] {
  const rate = (measured: Measured) =>
    `${measured.seconds.toFixed(2)} s, ${Math.round(measured.objects / measured.seconds).toLocaleString("en-US")} objects/s`;
  const rss = (measured: Measured) =>
    measured.maxRssKiB === undefined ? "-" : `${Math.round(measured.maxRssKiB / MiB)} MiB`;
  const lines = [
    `audit of a healthy pair on ${options.emulator} (a process of its own), ${options.concurrency} requests in flight, Node ${process.versions.node}; each measured in a fresh process (floor and audit: the faster of 2 runs taking turns):`,
  ];
  for (const { size, floor, audit, bounded, rclone } of rows) {
    lines.push(
      `  ${size.toLocaleString("en-US")} objects per bucket`,
      `    floor: list both        ${rate(floor)}, peak RSS ${rss(floor)}`,
      `    npm run audit           ${rate(audit)}, peak RSS ${rss(audit)}; ${(audit.seconds / floor.seconds).toFixed(2)}x the floor (goal <= 1.2)`,
      `    audit, ${BOUNDED_HEAP_MIB} MiB heap     ${rate(bounded)}, peak RSS ${rss(bounded)}`,
      typeof rclone === "string"
        ? `    rclone check            ${rclone}`
        : `    rclone check            ${rate(rclone)}, peak RSS ${rss(rclone)}${rclone.note ? `; ${rclone.note}` : ""}`,
    );
  }
  const first = rows[0];
  const last = rows.at(-1);
  const ratio = (of: (row: Row) => Measured) => {
    const small = first && of(first).maxRssKiB;
    const large = last && of(last).maxRssKiB;
    return small && large ? (large / small).toFixed(2) : "-";
  };
  if (first && last && first !== last) {
    const sizes = `${last.size.toLocaleString("en-US")} / at ${first.size.toLocaleString("en-US")}`;
    lines.push(
      `  peak RSS at ${sizes} objects (goal <= 1.2): audit ${ratio((row) => row.audit)} (floor ${ratio((row) => row.floor)}: Node's heap grows with the run's length); audit with a ${BOUNDED_HEAP_MIB} MiB heap ${ratio((row) => row.bounded)}`,
    );
  }
  return lines;
}

/** Both buckets with `size` objects each, every replica written just before its source. */
export async function seed(endpoint: string, size: number): Promise<void> {
  const concurrency = 64;
  const s3 = new S3Client({
    endpoint,
    region: REGION,
    credentials: CREDENTIALS,
    forcePathStyle: true,
    requestChecksumCalculation: "WHEN_REQUIRED",
    requestHandler: { httpAgent: new Agent({ keepAlive: true, maxSockets: concurrency }) },
  });
  try {
    for (const bucket of [PRIMARY, REPLICA]) {
      await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    }
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < size) {
          const index = next;
          next += 1;
          const key = `p${String(index % PREFIXES).padStart(2, "0")}/object-${String(index).padStart(7, "0")}.bin`;
          const body = `object ${index} of the audit bench`;
          await s3.send(new PutObjectCommand({ Bucket: REPLICA, Key: key, Body: body }));
          await s3.send(new PutObjectCommand({ Bucket: PRIMARY, Key: key, Body: body }));
        }
      }),
    );
  } finally {
    s3.destroy();
  }
}

interface ChildTask {
  readonly mode: "list" | "audit";
  readonly endpoint: string;
  readonly concurrency: number;
}

/** Runs one measurement in a fresh Node process, which reports its own peak RSS. */
async function inChild(task: ChildTask, nodeFlags: readonly string[] = []): Promise<Measured> {
  const module = new URL("./audit.ts", import.meta.url).href;
  const script = [
    `const { measureInThisProcess } = await import(${JSON.stringify(module)});`,
    "const measured = await measureInThisProcess(JSON.parse(process.env.BENCH_TASK));",
    // resourceUsage().maxRSS is in kibibytes.
    "process.stdout.write(JSON.stringify({ ...measured, maxRssKiB: process.resourceUsage().maxRSS }));",
  ].join("\n");
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [...nodeFlags, "--input-type=module", "-e", script],
    {
      env: {
        PATH: process.env.PATH ?? "",
        AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
        BENCH_TASK: JSON.stringify(task),
      },
      maxBuffer: 16 * 1024 * 1024,
    },
  );
  return JSON.parse(stdout) as Measured;
}

/** What a fresh process measures: the listing floor, or the audit itself. */
export async function measureInThisProcess(task: ChildTask): Promise<Measured> {
  const started = performance.now();
  if (task.mode === "list") {
    const objects = await listBothBuckets(task.endpoint, task.concurrency);
    return { seconds: (performance.now() - started) / 1000, objects };
  }
  let output = "";
  const exitCode = await auditMain(
    [
      `s3://${PRIMARY}`,
      "--replica",
      `s3://${REPLICA}`,
      "--region",
      REGION,
      "--endpoint-url",
      task.endpoint,
      "--concurrency",
      String(task.concurrency),
      "--json",
    ],
    {
      stdout: { write: (chunk: string) => (output += chunk) },
      stderr: { write: () => true },
      stdin: process.stdin,
      env: process.env,
      now: () => new Date(),
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      createClients: createAwsClients,
    },
  );
  const seconds = (performance.now() - started) / 1000;
  if (exitCode !== 0) return { seconds, objects: 0, note: `exit ${exitCode}: ${output}` };
  const summary = JSON.parse(output) as { audited: number; verdicts: Record<string, number> };
  return { seconds, objects: summary.verdicts.MATCH ?? 0 };
}

/**
 * The floor: both buckets listed to the end with the audit's own client, key ranges and request
 * limit, and nothing else done with the keys.
 */
async function listBothBuckets(endpoint: string, concurrency: number): Promise<number> {
  const clients = createAwsClients({ region: REGION, endpoint, local: true });
  try {
    const s3 = clients.s3(REGION);
    const requests = createRequestGate(concurrency);
    const gate: Gate = (request) => requests.run(request);
    const sides: BucketLocation[] = [
      { client: s3, bucket: PRIMARY, prefix: "" },
      { client: s3, bucket: REPLICA, prefix: "" },
    ];
    const ranges = await splitKeyspace(sides, { wanted: Math.ceil(concurrency / 2), gate });
    let listed = 0;
    const count = (entries: number) => {
      listed += entries;
    };
    let next = 0;
    // Ranges in parallel as the audit lists them: half the requests, two sides each.
    await Promise.all(
      Array.from({ length: Math.min(ranges.length, Math.ceil(concurrency / 2)) }, async () => {
        while (next < ranges.length) {
          const range = ranges[next];
          next += 1;
          if (!range) continue;
          await Promise.all(
            sides.map(async (side) => {
              for await (const _entry of listCurrent(side, range, gate, count)) {
                // Listed, nothing more.
              }
            }),
          );
        }
      }),
    );
    return listed / 2;
  } finally {
    clients.destroy();
  }
}

/**
 * `rclone check` of the same pair with as many checkers, run by Python so that its peak RSS can
 * be read (getrusage of the child). rclone 1.60's SDK cannot load AWS_CA_BUNDLE here, hence
 * `env -u`. A description of why not, where rclone (or python3) is missing.
 */
async function rcloneCheck(endpoint: string, checkers: number): Promise<Measured | string> {
  const runner = [
    "import json, resource, subprocess, sys, time",
    "started = time.time()",
    "try:",
    "    done = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)",
    "except FileNotFoundError:",
    "    print(json.dumps({'missing': True}))",
    "    sys.exit(0)",
    "seconds = time.time() - started",
    "print(json.dumps({'seconds': seconds, 'code': done.returncode, 'maxRssKiB': resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, 'log': done.stderr[-4000:]}))",
  ].join("\n");
  const environment: Record<string, string> = {
    PATH: process.env.PATH ?? "",
    RCLONE_CONFIG_BENCH_TYPE: "s3",
    RCLONE_CONFIG_BENCH_PROVIDER: "Other",
    RCLONE_CONFIG_BENCH_ENDPOINT: endpoint,
    RCLONE_CONFIG_BENCH_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
    RCLONE_CONFIG_BENCH_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
    RCLONE_CONFIG_BENCH_FORCE_PATH_STYLE: "true",
    RCLONE_CONFIG_BENCH_REGION: REGION,
  };
  const child = spawn(
    "python3",
    [
      "-c",
      runner,
      "rclone",
      "check",
      `bench:${PRIMARY}`,
      `bench:${REPLICA}`,
      "--checkers",
      String(checkers),
    ],
    { env: environment, stdio: ["ignore", "pipe", "pipe"] },
  );
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => {
    output += chunk.toString("utf8");
  });
  child.stderr.resume();
  const [code] = (await once(child, "close").catch(() => [-1])) as [number];
  if (code !== 0 || !output) return "skipped: python3 is not available to run and measure it";
  const result = JSON.parse(output) as {
    missing?: boolean;
    seconds: number;
    code: number;
    maxRssKiB: number;
    log: string;
  };
  if (result.missing) return "skipped: rclone is not installed (Debian: apt-get install rclone)";
  const matching = Number(/(\d+) matching files/.exec(result.log)?.[1] ?? Number.NaN);
  const unchecked = /(\d+) hashes could not be checked/.exec(result.log)?.[1];
  if (result.code !== 0 || Number.isNaN(matching)) {
    return `failed (exit ${result.code}): ${result.log.trim().split("\n").slice(-2).join(" / ")}`;
  }
  return {
    seconds: result.seconds,
    objects: matching,
    maxRssKiB: result.maxRssKiB,
    note: `${matching.toLocaleString("en-US")} matching (size and MD5 only${unchecked ? `; ${unchecked} hashes could not be checked` : ""})`,
  };
}
