/**
 * The scripted run behind `npm start`: plan the objects (plan.ts), run them through the local
 * stack — uploads replicated with a lag, one replica corrupted, one dropped, one behind a
 * replica-region outage so its check dead-letters, one malformed message — then end the outage
 * and redrive the DLQ with the real redrive command, observe what the pipeline did
 * (observe.ts), account for every object (account.ts), damage two proven replicas behind the
 * pipeline's back and find them with the real audit command (audit.ts), and summarise
 * (summary.ts).
 */
import { join } from "node:path";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { SendMessageCommand } from "@aws-sdk/client-sqs";
import { describeError } from "../../../shared/errors.ts";
import { type CliIo, createAwsClients } from "../../oncall/cli.ts";
import { redriveMain } from "../../oncall/redrive-command.ts";
import { describeInvocation } from "../lambda-event-source.ts";
import { deterministicBytes, MIN_PART_SIZE, multipartUpload } from "../multipart.ts";
import type { ReplicaFate } from "../replication.ts";
import { LOCAL_STAGE, type LocalStack, type LocalTimings, startLocalStack } from "../stack.ts";
import { accountFor, describeAccount, type ObjectAccount } from "./account.ts";
import { auditEveryPair, damageReplicas, type ScenarioAudit } from "./audit.ts";
import { alertsFor, depthsOf, malformedAlerts, waitFor } from "./observe.ts";
import { fatesOf, MALFORMED_BODY, type PlannedObject, planObjects } from "./plan.ts";

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

export interface ScenarioResult {
  readonly ok: boolean;
  readonly objects: readonly ObjectAccount[];
  readonly verdictCounts: Readonly<Record<string, number>>;
  readonly malformedAlerts: readonly string[];
  readonly alertFiles: readonly string[];
  readonly queueDepths: Readonly<Record<string, number>>;
  readonly redriveExitCode?: number;
  /** The audit run after two proven replicas were damaged. */
  readonly audit?: ScenarioAudit;
  readonly problems: readonly string[];
  readonly elapsedMs: number;
}

export async function runScenario(options: ScenarioOptions): Promise<ScenarioResult> {
  const started = Date.now();
  const { log } = options;
  const problems: string[] = [];
  let fates = new Map<string, ReplicaFate>();
  const stack = await startLocalStack({
    timings: options.timings,
    outboxDirectory: options.outboxDirectory,
    stackOutputsFile: options.stackOutputsFile,
    echoFunctionLogs: options.echoFunctionLogs,
    fateOf: (bucket, key) => fates.get(`${bucket}/${key}`) ?? "replicate",
    log,
    onEmail: (email) => log(`  ✉ alert written: ${email.subject}  (${email.path})`),
    onInvoke: (invocation) => log(`  ${describeInvocation(invocation)}`),
  });
  const finish = (fields: Partial<ScenarioResult>): ScenarioResult => ({
    objects: [],
    verdictCounts: {},
    malformedAlerts: [],
    alertFiles: stack.outbox.emails.map((email) => email.path),
    queueDepths: depthsOf(stack),
    ...fields,
    ok: problems.length === 0,
    problems,
    elapsedMs: Date.now() - started,
  });
  try {
    const planned = planObjects(stack, options.objects);
    fates = fatesOf(planned);
    describeStack(stack, log);
    const timeoutMs = options.timeoutMs ?? 120_000;

    beginOutage(stack, log);
    await upload(stack, planned, log);
    log("▶ sending one malformed message to the validation queue");
    await stack.clients.sqs.send(
      new SendMessageCommand({
        QueueUrl: stack.queues.validation.url,
        MessageBody: MALFORMED_BODY,
      }),
    );
    if (!(await waitForAlertsAndDeadLetters(stack, planned, timeoutMs, log))) {
      problems.push("the pipeline did not settle before redrive (see the last status line)");
    }

    const redriveExitCode = await endOutageAndRedrive(stack, log);
    if (redriveExitCode !== 0) problems.push(`redrive exited with ${redriveExitCode}`);
    if (!(await waitForQueuesToDrain(stack, timeoutMs, log))) {
      problems.push("redriven messages did not drain");
    }
    // Let any late alert arrive before counting, so a duplicate would be seen.
    await new Promise((resolve) => setTimeout(resolve, 1500));

    log("▶ verifying every object with the validator's comparison");
    const accounts = await accountFor(stack, planned);
    const malformed = malformedAlerts(stack);
    if (malformed.length !== 1) {
      problems.push(`expected 1 alert for the malformed message, found ${malformed.length}`);
    }
    for (const account of accounts) {
      if (!account.ok) {
        problems.push(`s3://${account.bucket}/${account.key}: ${describeAccount(account)}`);
      }
    }
    const queueDepths = depthsOf(stack);
    for (const [queue, depth] of Object.entries(queueDepths)) {
      if (depth !== 0) problems.push(`${depth} message(s) left on ${queue}`);
    }

    log("▶ damaging two proven replicas behind the pipeline's back:");
    problems.push(...(await damageReplicas(stack, planned, log)));
    log("▶ auditing every pair with the real command:");
    const audited = await auditEveryPair(
      stack,
      planned,
      join(options.outboxDirectory, "audit-report.ndjson"),
      scenarioIo(stack, log),
      log,
    );
    problems.push(...audited.problems);
    return finish({
      objects: accounts,
      verdictCounts: countVerdicts(accounts, malformed.length),
      malformedAlerts: malformed,
      queueDepths,
      redriveExitCode,
      audit: audited.audit,
    });
  } catch (error) {
    problems.push(describeError(error));
    return finish({});
  } finally {
    await stack.stop();
  }
}

function describeStack(stack: LocalStack, log: (line: string) => void): void {
  log(
    `▶ local stack up at ${stack.endpoint} (stage ${LOCAL_STAGE}, ${stack.names.buckets.length} bucket pairs)`,
  );
  log(
    `  replication lag ${stack.timings.replicationLagMs} ms, replication deadline ${stack.timings.replicationDeadlineSeconds} s, visibility timeout ${stack.timings.visibilityTimeoutSeconds} s`,
  );
}

function beginOutage(stack: LocalStack, log: (line: string) => void): void {
  const replicaBuckets = new Set(stack.names.buckets.map((pair) => pair.replicaBucket));
  stack.outage.setOutage(
    (target) => replicaBuckets.has(target.bucket) && target.key.startsWith("outage/"),
  );
  log("▶ replica-region outage begins: S3 answers 503 for replicas under outage/");
}

async function upload(
  stack: LocalStack,
  planned: readonly PlannedObject[],
  log: (line: string) => void,
): Promise<void> {
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
    const fate =
      object.plan === "replicate" || object.plan === "multipart"
        ? ""
        : `, replica will be: ${object.plan}`;
    log(`  ↑ s3://${object.bucket}/${object.key} (${object.size} bytes${fate})`);
  }
}

/** Phase one: every expected alert written, the outage's checks dead-lettered, queues idle. */
function waitForAlertsAndDeadLetters(
  stack: LocalStack,
  planned: readonly PlannedObject[],
  timeoutMs: number,
  log: (line: string) => void,
): Promise<boolean> {
  const expectedAlerts = planned.filter((object) => object.expectAlert);
  const outageCount = planned.filter((object) => object.expectDeadLetter).length;
  log("▶ waiting for validation, alerts and dead letters");
  return waitFor(
    () => {
      const depths = depthsOf(stack);
      const alertsSeen = expectedAlerts.filter((object) => alertsFor(stack, object).length > 0);
      const malformed = malformedAlerts(stack).length;
      return {
        done:
          alertsSeen.length === expectedAlerts.length &&
          malformed === 1 &&
          depths.validationDlq === outageCount &&
          depths.validation === 0 &&
          depths.failure === 0,
        status: `alerts ${alertsSeen.length + malformed}/${expectedAlerts.length + 1}, dead-lettered ${depths.validationDlq}/${outageCount}, validation queue ${depths.validation}, failure queue ${depths.failure}`,
      };
    },
    timeoutMs,
    log,
  );
}

/** The outage ends and the runbook's own step runs: the real `npm run redrive` command. */
async function endOutageAndRedrive(stack: LocalStack, log: (line: string) => void) {
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
  return redriveMain(argv, scenarioIo(stack, log));
}

function waitForQueuesToDrain(
  stack: LocalStack,
  timeoutMs: number,
  log: (line: string) => void,
): Promise<boolean> {
  log("▶ waiting for the redriven checks");
  return waitFor(
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
}

function countVerdicts(accounts: readonly ObjectAccount[], malformed: number) {
  const counts: Record<string, number> = { MALFORMED_EVENT: malformed };
  for (const account of accounts) {
    const verdict = account.pipelineVerdict ?? "NONE";
    counts[verdict] = (counts[verdict] ?? 0) + 1;
  }
  return counts;
}

/** The on-call commands' I/O, with their output indented into the scenario's log. */
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
