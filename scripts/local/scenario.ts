/**
 * The scripted run behind `npm start`: uploads across every category (some multipart), lets the
 * replication stand-in copy them with a lag, corrupts one replica, drops another, puts a third
 * object behind a replica-region outage so its check dead-letters, sends one malformed message,
 * then ends the outage and redrives the DLQ with the real redrive command. Every object's fate
 * is then accounted for: validated, reported (exactly one alert), or dead-lettered and redriven.
 */
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { SendMessageCommand } from "@aws-sdk/client-sqs";
import { settings } from "../../resources/settings.ts";
import { describeError } from "../../shared/errors.ts";
import { parseMessageBody } from "../../shared/events/parse-message.ts";
import { deepVerificationSettings } from "../../shared/integrity/settle.ts";
import { s3ObjectReader } from "../../shared/s3/object-state.ts";
import { validateObject } from "../../shared/validator/validate-object.ts";
import type { ObjectVerdict } from "../../shared/verdicts.ts";
import { type CliIo, createAwsClients } from "../oncall/cli.ts";
import { redriveMain } from "../oncall/redrive-command.ts";
import { deterministicBytes, MIN_PART_SIZE, multipartUpload } from "./multipart.ts";
import type { ReplicaFate } from "./replication.ts";
import { LOCAL_STAGE, type LocalStack, type LocalTimings, startLocalStack } from "./stack.ts";

export interface ScenarioOptions {
  readonly objects: number;
  readonly timings?: Partial<LocalTimings>;
  readonly outboxDirectory: string;
  readonly stackOutputsFile: string;
  /** Give up waiting for the pipeline after this long. */
  readonly timeoutMs?: number;
  readonly echoFunctionLogs?: boolean;
  readonly log: (line: string) => void;
}

type Plan = "replicate" | "multipart" | "corrupt" | "drop" | "outage";

export interface PlannedObject {
  readonly bucket: string;
  readonly key: string;
  readonly category: string;
  readonly plan: Plan;
  readonly size: number;
  /** The verdict `verify` must give at the end. */
  readonly expectedVerdict: ObjectVerdict;
  /** Whether one alert must name this object. */
  readonly expectAlert: boolean;
  /** Whether its check must have been dead-lettered (and then redriven). */
  readonly expectDeadLetter: boolean;
}

export interface ObjectAccount extends PlannedObject {
  /** The checksum-validator's last verdict for the object, from its own log records. */
  readonly pipelineVerdict?: string;
  /** A fresh check at the end, with the same comparison (`npm run verify`'s). */
  readonly finalVerdict?: ObjectVerdict;
  readonly events: number;
  readonly alerts: readonly string[];
  readonly deadLettered: boolean;
  readonly ok: boolean;
}

export interface ScenarioResult {
  readonly ok: boolean;
  readonly objects: readonly ObjectAccount[];
  readonly verdictCounts: Readonly<Record<string, number>>;
  readonly malformedAlerts: readonly string[];
  readonly alertFiles: readonly string[];
  readonly queueDepths: Readonly<Record<string, number>>;
  readonly redriveExitCode?: number;
  readonly problems: readonly string[];
  readonly elapsedMs: number;
}

const MALFORMED_BODY = "this is not an S3 event: someone sent a test message by hand";

export function planObjects(stack: Pick<LocalStack, "names">, count: number): PlannedObject[] {
  if (count < 5) throw new Error(`--objects must be at least 5 to cover every path (got ${count})`);
  const special: Record<number, Plan> = { 1: "corrupt", 2: "drop", 3: "outage" };
  return Array.from({ length: count }, (_, index) => {
    const pair = stack.names.buckets[index % stack.names.buckets.length];
    if (!pair) throw new Error("no bucket pairs configured");
    const plan: Plan = special[index] ?? (index % 4 === 0 ? "multipart" : "replicate");
    const number = String(index + 1).padStart(3, "0");
    const key =
      plan === "corrupt" || plan === "drop" || plan === "outage"
        ? `${plan}/scenario-${number}.bin`
        : plan === "multipart"
          ? `scenario/${pair.category}/${number} large export.bin`
          : `scenario/${pair.category}/${number} résumé.txt`;
    return {
      bucket: pair.primaryBucket,
      key,
      category: pair.category,
      plan,
      size: plan === "multipart" ? MIN_PART_SIZE + 1024 : 1024 + index,
      expectedVerdict:
        plan === "corrupt" ? "MISMATCH" : plan === "drop" ? "REPLICATION_OVERDUE" : "MATCH",
      expectAlert: plan === "corrupt" || plan === "drop",
      expectDeadLetter: plan === "outage",
    };
  });
}

export async function runScenario(options: ScenarioOptions): Promise<ScenarioResult> {
  const started = Date.now();
  const log = options.log;
  const problems: string[] = [];
  let planned: PlannedObject[] = [];
  const fates = new Map<string, ReplicaFate>();
  const stack = await startLocalStack({
    timings: options.timings,
    outboxDirectory: options.outboxDirectory,
    stackOutputsFile: options.stackOutputsFile,
    echoFunctionLogs: options.echoFunctionLogs,
    fateOf: (bucket, key) => fates.get(`${bucket}/${key}`) ?? "replicate",
    log,
    onEmail: (email) => log(`  ✉ alert written: ${email.subject}  (${email.path})`),
    onInvoke: (invocation) =>
      log(
        `  λ ${invocation.functionName}: ${invocation.records} record(s)${invocation.failed ? `, ${invocation.failed} failed${invocation.error ? ` (${describeError(invocation.error)})` : ""}` : ""}`,
      ),
  });
  try {
    planned = planObjects(stack, options.objects);
    for (const object of planned) {
      if (object.plan === "corrupt" || object.plan === "drop")
        fates.set(`${object.bucket}/${object.key}`, object.plan);
    }
    log(
      `▶ local stack up at ${stack.endpoint} (stage ${LOCAL_STAGE}, ${stack.names.buckets.length} bucket pairs)`,
    );
    log(
      `  replication lag ${stack.timings.replicationLagMs} ms, replication deadline ${stack.timings.replicationDeadlineSeconds} s, visibility timeout ${stack.timings.visibilityTimeoutSeconds} s`,
    );

    const replicaBuckets = new Set(stack.names.buckets.map((pair) => pair.replicaBucket));
    stack.outage.setOutage(
      (target) => replicaBuckets.has(target.bucket) && target.key.startsWith("outage/"),
    );
    log("▶ replica-region outage begins: S3 answers 503 for replicas under outage/");

    log(
      `▶ uploading ${planned.length} objects across ${stack.names.buckets.map((pair) => pair.category).join(", ")}`,
    );
    for (const object of planned) {
      const body = deterministicBytes(object.size, object.key.length);
      if (object.plan === "multipart") {
        await multipartUpload(
          stack.clients.s3,
          object.bucket,
          object.key,
          body,
          [MIN_PART_SIZE, object.size - MIN_PART_SIZE],
          { checksumAlgorithm: "CRC32" },
        );
      } else {
        await stack.clients.s3.send(
          new PutObjectCommand({
            Bucket: object.bucket,
            Key: object.key,
            Body: body,
            ChecksumAlgorithm: "SHA256",
          }),
        );
      }
      log(
        `  ↑ s3://${object.bucket}/${object.key} (${object.size} bytes${object.plan === "replicate" || object.plan === "multipart" ? "" : `, replica will be: ${object.plan}`})`,
      );
    }
    log("▶ sending one malformed message to the validation queue");
    await stack.clients.sqs.send(
      new SendMessageCommand({
        QueueUrl: stack.queues.validation.url,
        MessageBody: MALFORMED_BODY,
      }),
    );

    const timeoutMs = options.timeoutMs ?? 120_000;
    const expectedAlertKeys = planned.filter((object) => object.expectAlert);
    const outageCount = planned.filter((object) => object.expectDeadLetter).length;
    log("▶ waiting for validation, alerts and dead letters");
    const phaseOne = await waitFor(
      () => {
        const depths = depthsOf(stack);
        const alertsSeen = expectedAlertKeys.filter(
          (object) => alertsFor(stack, object).length > 0,
        ).length;
        const malformed = malformedAlerts(stack).length;
        return {
          done:
            alertsSeen === expectedAlertKeys.length &&
            malformed === 1 &&
            depths.validationDlq === outageCount &&
            depths.validation === 0 &&
            depths.failure === 0,
          status: `alerts ${alertsSeen + malformed}/${expectedAlertKeys.length + 1}, dead-lettered ${depths.validationDlq}/${outageCount}, validation queue ${depths.validation}, failure queue ${depths.failure}`,
        };
      },
      timeoutMs,
      log,
    );
    if (!phaseOne)
      problems.push("the pipeline did not settle before redrive (see the last status line)");

    stack.outage.setOutage(undefined);
    log("▶ outage over; redriving the validation DLQ with the real command:");
    const argv = [
      "--stage",
      LOCAL_STAGE,
      "--queue",
      "validation",
      "--yes",
      "--endpoint",
      stack.endpoint,
      "--stack-outputs",
      stack.stackOutputsFile,
    ];
    log(`  $ npm run redrive -- ${argv.join(" ")}`);
    const redriveExitCode = await redriveMain(argv, scenarioIo(stack, log));
    if (redriveExitCode !== 0) problems.push(`redrive exited with ${redriveExitCode}`);

    log("▶ waiting for the redriven checks");
    const phaseTwo = await waitFor(
      () => {
        const depths = depthsOf(stack);
        return {
          done: depths.validation === 0 && depths.validationDlq === 0 && depths.failure === 0,
          status: `validation queue ${depths.validation}, validation DLQ ${depths.validationDlq}, failure queue ${depths.failure}`,
        };
      },
      timeoutMs,
      log,
    );
    if (!phaseTwo) problems.push("redriven messages did not drain");
    // Let any late alert arrive before counting, so a duplicate would be seen.
    await new Promise((resolve) => setTimeout(resolve, 1500));

    log("▶ verifying every object with the validator's comparison");
    const accounts = await accountFor(stack, planned);
    const malformed = malformedAlerts(stack);
    if (malformed.length !== 1)
      problems.push(`expected 1 alert for the malformed message, found ${malformed.length}`);
    for (const account of accounts) {
      if (!account.ok)
        problems.push(`s3://${account.bucket}/${account.key}: ${describeAccount(account)}`);
    }
    const queueDepths = depthsOf(stack);
    for (const [queue, depth] of Object.entries(queueDepths)) {
      if (depth !== 0) problems.push(`${depth} message(s) left on ${queue}`);
    }
    const verdictCounts: Record<string, number> = { MALFORMED_EVENT: malformed.length };
    for (const account of accounts) {
      const verdict = account.pipelineVerdict ?? "NONE";
      verdictCounts[verdict] = (verdictCounts[verdict] ?? 0) + 1;
    }
    return {
      ok: problems.length === 0,
      objects: accounts,
      verdictCounts,
      malformedAlerts: malformed,
      alertFiles: stack.outbox.emails.map((email) => email.path),
      queueDepths,
      redriveExitCode,
      problems,
      elapsedMs: Date.now() - started,
    };
  } catch (error) {
    problems.push(describeError(error));
    return {
      ok: false,
      objects: [],
      verdictCounts: {},
      malformedAlerts: [],
      alertFiles: stack.outbox.emails.map((email) => email.path),
      queueDepths: depthsOf(stack),
      problems,
      elapsedMs: Date.now() - started,
    };
  } finally {
    await stack.stop();
  }
}

async function accountFor(
  stack: LocalStack,
  planned: readonly PlannedObject[],
): Promise<ObjectAccount[]> {
  const context = {
    primary: s3ObjectReader(stack.clients.s3),
    replica: s3ObjectReader(stack.clients.s3),
    replicationDeadlineSeconds: stack.timings.replicationDeadlineSeconds,
    deepVerification: deepVerificationSettings(settings.deepVerification),
    now: () => new Date(),
  };
  const deadLettered = deadLetteredObjects(stack);
  const accounts: ObjectAccount[] = [];
  for (const object of planned) {
    const pair = stack.bucketPairs.get(object.bucket);
    if (!pair) throw new Error(`s3://${object.bucket} is not a primary bucket of the local stack`);
    const result = await validateObject(context, { pair, key: object.key });
    const pipelineVerdict = lastLoggedVerdict(stack, object);
    const alerts = alertsFor(stack, object);
    const events = eventsFor(stack, object);
    const wasDeadLettered = deadLettered.has(`${object.bucket}/${object.key}`);
    accounts.push({
      ...object,
      pipelineVerdict,
      finalVerdict: result.verdict,
      events,
      alerts,
      deadLettered: wasDeadLettered,
      ok:
        pipelineVerdict === object.expectedVerdict &&
        result.verdict === object.expectedVerdict &&
        events === 1 &&
        alerts.length === (object.expectAlert ? 1 : 0) &&
        wasDeadLettered === object.expectDeadLetter,
    });
  }
  return accounts;
}

function describeAccount(account: ObjectAccount): string {
  return `expected ${account.expectedVerdict}${account.expectAlert ? " with one alert" : ""}${account.expectDeadLetter ? " via the DLQ" : ""}; the validator said ${account.pipelineVerdict ?? "nothing"}, a fresh check says ${account.finalVerdict}; ${account.alerts.length} alert(s), ${account.events} event(s)${account.deadLettered ? ", dead-lettered" : ""}`;
}

/** The validator's last verdict for the object, as its log records (CloudWatch Logs) show it. */
function lastLoggedVerdict(
  stack: LocalStack,
  object: { bucket: string; key: string },
): string | undefined {
  const service = "checksum-validator";
  const verdicts = stack.functionLogs.records.filter(
    (record) =>
      record.service === service &&
      typeof record.outcome === "string" &&
      record.bucket === object.bucket &&
      record.key === object.key,
  );
  return verdicts.at(-1)?.outcome as string | undefined;
}

/** Alert emails that name the object (a digest may name several). */
function alertsFor(stack: LocalStack, object: { bucket: string; key: string }): string[] {
  const uri = `s3://${object.bucket}/${object.key}`;
  return stack.outbox.emails.filter((email) => email.body.includes(uri)).map((email) => email.path);
}

function malformedAlerts(stack: LocalStack): string[] {
  return stack.outbox.emails
    .filter((email) => email.attributes.verdict === "MALFORMED_EVENT")
    .map((email) => email.path);
}

/**
 * Distinct Object Created events (by EventBridge event id) that reached the validation queue
 * for the object; a redriven copy of the same event does not count twice.
 */
function eventsFor(stack: LocalStack, object: { bucket: string; key: string }): number {
  const eventIds = new Set<string>();
  for (const message of stack.server.spy.getAllMessages()) {
    if (message.service !== "sqs" || message.status !== "published") continue;
    if (message.queueName !== stack.queues.validation.name) continue;
    const parsed = parseMessageBody(message.body);
    if (parsed.kind !== "objects" || parsed.attempt !== 1 || !parsed.eventId) continue;
    if (parsed.objects.some((ref) => ref.bucket === object.bucket && ref.key === object.key)) {
      eventIds.add(parsed.eventId);
    }
  }
  return eventIds.size;
}

/** Objects whose validation messages SQS moved to the DLQ (maxReceiveCount exceeded). */
function deadLetteredObjects(stack: LocalStack): Set<string> {
  const objects = new Set<string>();
  for (const message of stack.server.spy.getAllMessages()) {
    if (message.service !== "sqs" || message.status !== "dlq") continue;
    const parsed = parseMessageBody(message.body);
    if (parsed.kind !== "objects") continue;
    for (const ref of parsed.objects) objects.add(`${ref.bucket}/${ref.key}`);
  }
  return objects;
}

function depthsOf(stack: LocalStack): Record<string, number> {
  const depth = (name: string) => {
    const queue = stack.server.inspectQueue(name);
    if (!queue) return 0;
    return (
      queue.messages.ready.length + queue.messages.delayed.length + queue.messages.inflight.length
    );
  };
  return {
    validation: depth(stack.queues.validation.name),
    validationDlq: depth(stack.queues.validation.dlqName),
    failure: depth(stack.queues.failure.name),
    failureDlq: depth(stack.queues.failure.dlqName),
  };
}

async function waitFor(
  check: () => { done: boolean; status: string },
  timeoutMs: number,
  log: (line: string) => void,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  let lastStatus = "";
  let lastPrinted = 0;
  for (;;) {
    const { done, status } = check();
    if (status !== lastStatus || Date.now() - lastPrinted > 5000) {
      log(`  … ${status}`);
      lastStatus = status;
      lastPrinted = Date.now();
    }
    if (done) return true;
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

function scenarioIo(stack: LocalStack, log: (line: string) => void): CliIo {
  const lines = (chunk: string) => {
    for (const line of chunk.split("\n")) if (line.trim()) log(`  | ${line}`);
  };
  return {
    stdout: { write: lines },
    stderr: { write: lines },
    stdin: process.stdin,
    env: { ...stack.userEnvironment },
    now: () => new Date(),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    createClients: createAwsClients,
  };
}

export function renderSummary(result: ScenarioResult): string {
  const row = (label: string, value: string | number) => `  ${label.padEnd(30)}${value}`;
  const counts = (values: Readonly<Record<string, number>>) =>
    Object.entries(values)
      .map(([name, count]) => `${name} ${count}`)
      .join(", ");
  return [
    "",
    "Summary",
    row("objects uploaded", result.objects.length),
    row("verdicts", counts(result.verdictCounts)),
    row(
      "dead-lettered, then redriven",
      result.objects.filter((object) => object.deadLettered).length,
    ),
    row("alerts written", result.alertFiles.length),
    ...result.alertFiles.map((file) => `    ${file}`),
    row("messages left", counts(result.queueDepths)),
    row("elapsed", `${(result.elapsedMs / 1000).toFixed(1)} s`),
    row(
      "result",
      result.ok ? "OK: every object reached its expected outcome; no message was lost" : "FAILED",
    ),
    ...result.problems.map((problem) => `    - ${problem}`),
  ].join("\n");
}
