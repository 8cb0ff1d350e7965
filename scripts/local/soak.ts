/**
 * `npm run soak`: the real functions of the local stack under faults. Every AWS call the
 * functions make goes through the fault proxy, which fails the given share of them (503, 500,
 * throttling, connection resets, stalls); N objects are uploaded (a few with corrupted
 * replicas) and, once the queues are quiet, each is accounted for: validated (the validator's
 * own verdict), reported (an alert naming it), or dead-lettered (a DLQ holds it). Anything else
 * is lost, and the command exits 1.
 */
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import { parseFailureReport } from "../../shared/contracts/failure-report.ts";
import { parseMessageBody } from "../../shared/events/parse-message.ts";
import { FAULTS, type Fault, randomFaults } from "./fault-proxy.ts";
import { describeInvocation } from "./lambda-event-source.ts";
import { deterministicBytes } from "./multipart.ts";
import { type LocalStack, startLocalStack } from "./stack.ts";

export interface SoakOptions {
  readonly objects: number;
  /** Share of the functions' AWS calls that fail, 0 to 1. */
  readonly faultRate: number;
  readonly seed: number;
  /** Every n-th object gets a corrupted replica (0: none). */
  readonly corruptEvery: number;
  readonly outboxDirectory: string;
  readonly stackOutputsFile: string;
  readonly timeoutMs: number;
  readonly log: (line: string) => void;
}

export interface SoakAccount {
  readonly sent: number;
  readonly validated: number;
  readonly reported: number;
  readonly deadLettered: number;
  /** Objects with no outcome: the number that must be 0. */
  readonly lost: readonly string[];
  /** Objects alerted more than once (at-least-once delivery), and verdicts logged more than once. */
  readonly duplicatedAlerts: number;
  readonly duplicatedVerdicts: number;
  readonly faults: Readonly<Record<Fault, number>>;
  readonly settled: boolean;
  readonly elapsedMs: number;
}

interface Planned {
  readonly bucket: string;
  readonly key: string;
  readonly corrupt: boolean;
}

export async function runSoak(options: SoakOptions): Promise<SoakAccount> {
  const started = Date.now();
  const stack = await startLocalStack({
    timings: {
      replicationLagMs: 200,
      // Long enough that no healthy replica is overdue, however slow the faults make a check.
      replicationDeadlineSeconds: 120,
      visibilityTimeoutSeconds: 30,
      functionTimeoutSeconds: 20,
      sdkRequestTimeoutMs: 1000,
      pollers: 5,
    },
    outboxDirectory: options.outboxDirectory,
    stackOutputsFile: options.stackOutputsFile,
    fateOf: (_bucket, key) => (key.startsWith("corrupt/") ? "corrupt" : "replicate"),
    log: options.log,
    // Only what failed: a thousand objects make some two hundred invocations.
    onInvoke: (result) => {
      if (result.failed > 0 || result.error !== undefined) options.log(describeInvocation(result));
    },
  });
  try {
    stack.faults.setPolicy(randomFaults(options.faultRate, options.seed));
    const planned = await upload(stack, options);
    const settled = await waitUntilQuiet(stack, options.timeoutMs, options.log);
    const account = await accountFor(stack, planned);
    return {
      ...account,
      faults: { ...stack.faults.injected },
      settled,
      elapsedMs: Date.now() - started,
    };
  } finally {
    stack.faults.setPolicy(undefined);
    await stack.stop();
  }
}

async function upload(stack: LocalStack, options: SoakOptions): Promise<Planned[]> {
  const planned: Planned[] = [];
  options.log(`▶ uploading ${options.objects} objects`);
  for (let index = 0; index < options.objects; index += 1) {
    const pair = stack.names.buckets[index % stack.names.buckets.length];
    if (!pair) throw new Error("no bucket pairs");
    const corrupt = options.corruptEvery > 0 && index % options.corruptEvery === 0;
    const key = `${corrupt ? "corrupt" : "soak"}/${String(index).padStart(5, "0")}.bin`;
    await stack.clients.s3.send(
      new PutObjectCommand({
        Bucket: pair.primaryBucket,
        Key: key,
        Body: deterministicBytes(256 + (index % 512), index),
        ChecksumAlgorithm: "SHA256",
      }),
    );
    planned.push({ bucket: pair.primaryBucket, key, corrupt });
  }
  return planned;
}

/** Waits until the validation and failure queues have held nothing for a few seconds. */
async function waitUntilQuiet(
  stack: LocalStack,
  timeoutMs: number,
  log: (line: string) => void,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  let quietSince: number | undefined;
  let lastReport = 0;
  while (Date.now() < deadline) {
    const pending = ["validation", "failure"]
      .map((name) => depth(stack, stack.queues[name as "validation" | "failure"].name))
      .reduce((sum, count) => sum + count, 0);
    if (pending === 0) {
      quietSince ??= Date.now();
      // The upload watchers may still be sending events: quiet must last.
      if (Date.now() - quietSince > 3000) return true;
    } else {
      quietSince = undefined;
    }
    if (Date.now() - lastReport > 5000) {
      log(`  … ${pending} message(s) still queued or in flight`);
      lastReport = Date.now();
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return false;
}

function depth(stack: LocalStack, queueName: string): number {
  const queue = stack.server.inspectQueue(queueName);
  if (!queue) return 0;
  return (
    queue.messages.ready.length + queue.messages.delayed.length + queue.messages.inflight.length
  );
}

async function accountFor(
  stack: LocalStack,
  planned: readonly Planned[],
): Promise<Omit<SoakAccount, "faults" | "settled" | "elapsedMs">> {
  const id = (bucket: string, key: string) => `${bucket}/${key}`;
  const verdicts = new Map<string, string[]>();
  for (const record of stack.functionLogs.records) {
    if (record.service !== "checksum-validator" || typeof record.outcome !== "string") continue;
    if (typeof record.bucket !== "string" || typeof record.key !== "string") continue;
    const list = verdicts.get(id(record.bucket, record.key)) ?? [];
    list.push(record.outcome);
    verdicts.set(id(record.bucket, record.key), list);
  }
  const alerts = new Map<string, number>();
  for (const email of stack.outbox.emails) {
    for (const object of planned) {
      if (email.body.includes(`s3://${id(object.bucket, object.key)}`)) {
        alerts.set(
          id(object.bucket, object.key),
          (alerts.get(id(object.bucket, object.key)) ?? 0) + 1,
        );
      }
    }
  }
  const deadLettered = new Set<string>();
  for (const queue of [stack.queues.validation, stack.queues.failure]) {
    for (const body of await peekAll(stack, queue.dlqUrl)) {
      const report = parseFailureReport(body);
      if (report?.object) deadLettered.add(id(report.object.bucket, report.object.key));
      const parsed = parseMessageBody(body);
      if (parsed.kind === "objects") {
        for (const object of parsed.objects) deadLettered.add(id(object.bucket, object.key));
      }
    }
  }
  let validated = 0;
  let reported = 0;
  let dead = 0;
  const lost: string[] = [];
  for (const object of planned) {
    const key = id(object.bucket, object.key);
    const outcomes = verdicts.get(key) ?? [];
    if (!object.corrupt && outcomes.includes("MATCH")) validated += 1;
    else if (object.corrupt && (alerts.get(key) ?? 0) > 0) reported += 1;
    else if (deadLettered.has(key)) dead += 1;
    else lost.push(`s3://${key} (logged ${outcomes.join(", ") || "nothing"})`);
  }
  return {
    sent: planned.length,
    validated,
    reported,
    deadLettered: dead,
    lost,
    duplicatedAlerts: [...alerts.values()].filter((count) => count > 1).length,
    duplicatedVerdicts: [...verdicts.values()].filter(
      (list) => list.filter((outcome) => outcome !== "PENDING").length > 1,
    ).length,
  };
}

/** Every body on a queue, received without deleting (a long visibility keeps them apart). */
async function peekAll(stack: LocalStack, queueUrl: string): Promise<string[]> {
  const bodies: string[] = [];
  for (;;) {
    const { Messages = [] } = await stack.clients.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        VisibilityTimeout: 300,
      }),
    );
    if (Messages.length === 0) return bodies;
    bodies.push(...Messages.map((message) => message.Body ?? ""));
  }
}

export function renderSoak(
  options: Pick<SoakOptions, "objects" | "faultRate" | "seed">,
  account: SoakAccount,
): string {
  const row = (label: string, value: string | number) => `  ${label.padEnd(18)}${value}`;
  const injected = FAULTS.map((fault) => `${fault} ${account.faults[fault]}`).join(", ");
  const total = FAULTS.reduce((sum, fault) => sum + account.faults[fault], 0);
  return [
    `soak: ${options.objects} objects, fault rate ${(options.faultRate * 100).toFixed(0)} % (seed ${options.seed}): ${total} faults injected (${injected})`,
    row("sent", account.sent),
    row("validated", account.validated),
    row("reported", account.reported),
    row("dead-lettered", account.deadLettered),
    row("lost", account.lost.length),
    ...account.lost.slice(0, 20).map((object) => `    - ${object}`),
    row(
      "duplicated",
      `${account.duplicatedAlerts} alert(s), ${account.duplicatedVerdicts} verdict(s) logged twice (at-least-once delivery)`,
    ),
    row("settled", account.settled ? "yes" : "NO: queues still busy at the timeout"),
    row("elapsed", `${(account.elapsedMs / 1000).toFixed(1)} s`),
    row(
      "result",
      account.lost.length === 0
        ? "OK: validated + reported + dead-lettered = sent"
        : "FAILED: messages were lost",
    ),
  ].join("\n");
}

export const SOAK_HELP = `Usage: npm run soak -- [--objects N] [--fault-rate P] [--seed S] [--corrupt-every K]

Runs the real checksum-validator and failure-notifier of the local stack with the given share of
their AWS calls failing (503 SlowDown, 500, throttling, connection resets and stalls, in turn),
uploads N objects (every K-th with a corrupted replica), waits until the queues are quiet, and
accounts for every object: validated, reported (an alert names it) or dead-lettered (a DLQ
holds it). Exits 1 if any object is lost.

Options:
  --objects <n>        Objects to upload (default 200).
  --fault-rate <p>     Share of the functions' AWS calls that fail, 0 to 1 (default 0.1).
  --seed <s>           Seed of the fault sequence, for a reproducible run (default 1).
  --corrupt-every <k>  Every k-th object gets a corrupted replica; 0 for none (default 20).
  --timeout-s <s>      Give up waiting for quiet queues after this long (default 600).
  --outbox <dir>       Where alert emails are written (default .local/soak-outbox).
  -h, --help           Show this help.
`;

export async function soakMain(
  argv: readonly string[],
  io: { readonly stdout: { write(chunk: string): unknown } },
): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      objects: { type: "string", default: "200" },
      "fault-rate": { type: "string", default: "0.1" },
      seed: { type: "string", default: "1" },
      "corrupt-every": { type: "string", default: "20" },
      "timeout-s": { type: "string", default: "600" },
      outbox: { type: "string", default: ".local/soak-outbox" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    io.stdout.write(SOAK_HELP);
    return 0;
  }
  const faultRate = Number(values["fault-rate"]);
  if (!(faultRate >= 0 && faultRate <= 1)) {
    throw new Error(`--fault-rate must be a number from 0 to 1 (got "${values["fault-rate"]}")`);
  }
  const options = {
    objects: whole("--objects", values.objects),
    faultRate,
    seed: whole("--seed", values.seed),
    corruptEvery: whole("--corrupt-every", values["corrupt-every"]),
    outboxDirectory: resolve(values.outbox, new Date().toISOString().replace(/[:.]/g, "-")),
    stackOutputsFile: resolve(".local/soak-stack-outputs.json"),
    timeoutMs: whole("--timeout-s", values["timeout-s"]) * 1000,
    log: (line: string) => io.stdout.write(`${line}\n`),
  };
  const account = await runSoak(options);
  io.stdout.write(`${renderSoak(options, account)}\n`);
  return account.lost.length === 0 && account.settled ? 0 : 1;
}

function whole(option: string, raw: string): number {
  if (!/^\d+$/.test(raw)) throw new Error(`${option} must be a whole number (got "${raw}")`);
  return Number(raw);
}
