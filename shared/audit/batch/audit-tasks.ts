/**
 * The audit-worker's work: each task of an S3 Batch Operations invocation is one object, audited
 * by the one engine (auditObject), and answered in the documented response.
 *
 * Result codes, and why:
 * - Succeeded for every verdict, problems included, with the verdict in the result string: a
 *   job fails once more than half of its tasks (after the first 1,000) fail, so answering a
 *   MISMATCH as a failure would stop the audit exactly when replication is badly broken. Problems
 *   go to the failure queue as reports, so they alert as for uploads (one alert per report).
 *   https://docs.aws.amazon.com/AmazonS3/latest/userguide/batch-ops-job-status.html
 * - TemporaryFailure for what may pass (throttling, 5xx, timeouts, access denied until someone
 *   fixes it, a report that could not be sent): Batch Operations redrives those tasks.
 * - PermanentFailure for what retrying cannot change (isPermanent: S3 refusing the key or version
 *   for good, also reported as UNCHECKABLE; a task without a bucket or key; a bucket that is no
 *   primary of this stage).
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/batch-ops-invoke-lambda.html
 */
import type { BucketPair, BucketPairs } from "../../contracts/bucket-pairs.ts";
import { reportMessageAttributes } from "../../contracts/failure-report.ts";
import { METRICS } from "../../contracts/metrics.ts";
import { BackupValidatorError, describeError, isPermanent } from "../../errors.ts";
import { keyCandidates } from "../../events/keys.ts";
import { evidenceName } from "../../integrity/compare.ts";
import { compact } from "../../objects.ts";
import { type Log, type MetricsRecorder, MetricUnit } from "../../observability.ts";
import type { MessageSender } from "../../queues/message-sender.ts";
import { type RecordTime, settleLimitsOf, startRecordTime } from "../../record-time.ts";
import { truncate } from "../../text.ts";
import type { ValidationContext } from "../../validator/validate-object.ts";
import { VERDICTS } from "../../verdicts.ts";
import { type AuditResult, auditObject, auditReport, isReportedResult } from "../audit-object.ts";
import {
  type BatchOperationsEvent,
  type BatchOperationsResponse,
  type BatchOperationsTask,
  batchOperationsResponse,
  isUnreadable,
  parseBatchOperationsEvent,
  type ResultCode,
  type TaskResult,
} from "./batch-operations.ts";

export interface WorkerDependencies {
  readonly audit: ValidationContext;
  readonly bucketPairs: BucketPairs;
  /** The failure queue, read by the failure-notifier. */
  readonly failureReports: MessageSender;
  readonly primaryRegion?: string;
  readonly replicaRegion: string;
  readonly log: Log;
  readonly metrics: MetricsRecorder;
}

/** Thrown when an event cannot be answered at all: Batch Operations fails its task. */
export class UnanswerableEventError extends BackupValidatorError {}

/** A short reason in the result string: the report (and the alert) carries the whole of it. */
const REASON_CHARACTERS = 200;

/**
 * Audits every task of a Batch Operations invocation, one after another, within `deadline`
 * (epoch ms, from the Lambda context); answers each task, in the event's order.
 */
export async function auditTasks(
  deps: WorkerDependencies,
  event: unknown,
  deadline?: number,
): Promise<BatchOperationsResponse> {
  const parsed = parseBatchOperationsEvent(event);
  if (parsed.kind === "malformed") {
    deps.log.error(`not an S3 Batch Operations event: ${parsed.problem}`, { event });
    // Batch Operations fails the task this invocation was for: a failed task all the same.
    deps.metrics.addMetric(METRICS.auditTasksFailed, MetricUnit.Count, 1);
    throw new UnanswerableEventError(`not an S3 Batch Operations invocation: ${parsed.problem}`);
  }
  const results: TaskResult[] = [];
  for (const task of parsed.event.tasks) {
    if (isUnreadable(task)) {
      results.push(answer(deps, parsed.event, task.taskId, "PermanentFailure", task.problem, {}));
      continue;
    }
    results.push(await auditTask(deps, parsed.event, task, deadline));
  }
  return batchOperationsResponse(parsed.event, results);
}

async function auditTask(
  deps: WorkerDependencies,
  event: BatchOperationsEvent,
  task: BatchOperationsTask,
  deadline: number | undefined,
): Promise<TaskResult> {
  const identity = compact({
    bucket: task.s3Bucket,
    key: task.s3Key,
    versionId: task.s3VersionId ?? undefined,
  });
  const jobStage = event.job.userArguments.stage;
  if (jobStage !== undefined && deps.audit.stage !== undefined && jobStage !== deps.audit.stage) {
    const reason = `the job was created for stage ${jobStage}, this worker audits stage ${deps.audit.stage}`;
    return answer(deps, event, task.taskId, "PermanentFailure", reason, identity);
  }
  const pair = deps.bucketPairs.get(task.s3Bucket);
  if (!pair) {
    const known = [...deps.bucketPairs.keys()].join(", ");
    const reason = `bucket ${task.s3Bucket} is not a primary bucket of this stage (BUCKET_PAIRS has ${known})`;
    return answer(deps, event, task.taskId, "PermanentFailure", reason, identity);
  }
  // Batch Operations sends keys URL-encoded (inventory CSVs encode a space as `+`); how exactly
  // it encodes them for schema 2.0 is not documented. As for events: the decoded key first,
  // then the key as received.
  const keys = keyCandidates(task.s3Key);
  if (keys.length === 0) {
    const reason =
      "the key is not one any S3 object can have (not well-formed, or over 1,024 bytes)";
    return answer(deps, event, task.taskId, "PermanentFailure", reason, identity);
  }
  // What is still running at the deadline is cancelled and answered TemporaryFailure; a deep
  // read stops earlier (shared/record-time.ts).
  const time =
    deadline === undefined ? undefined : startRecordTime(deadline, "the invocation's time ran out");
  try {
    const result = await auditKeys(deps, pair, keys, task.s3VersionId ?? undefined, time);
    return await conclude(deps, event, task, pair, result);
  } catch (error) {
    const cause = time?.signal.aborted ? time.signal.reason : error;
    const code = isPermanent(cause) ? "PermanentFailure" : "TemporaryFailure";
    return answer(deps, event, task.taskId, code, describeError(cause), identity);
  } finally {
    time?.clear();
  }
}

async function auditKeys(
  deps: WorkerDependencies,
  pair: BucketPair,
  keys: readonly string[],
  versionId: string | undefined,
  time: RecordTime | undefined,
): Promise<AuditResult> {
  let result: AuditResult | undefined;
  for (const key of keys) {
    result = await auditObject(
      deps.audit,
      compact({ pair, key, versionId, signal: time?.signal }),
      settleLimitsOf(time),
    );
    if (result.verdict !== "SOURCE_GONE") return result;
  }
  return result as AuditResult;
}

/**
 * Acts on the verdict as the verdict table says: a reported one is sent to the failure queue
 * first (a failed send fails the task, so it is redriven and the report sent again; its
 * reportId keeps it to one alert). UNCHECKABLE is answered PermanentFailure: the object could
 * not be audited, and asking again cannot change that.
 */
async function conclude(
  deps: WorkerDependencies,
  event: BatchOperationsEvent,
  task: BatchOperationsTask,
  pair: BucketPair,
  result: AuditResult,
): Promise<TaskResult> {
  let reportId: string | undefined;
  if (isReportedResult(result)) {
    const report = auditReport(
      {
        detectedBy: compact({
          kind: "audit" as const,
          // A job created by hand (or with schema 1.0) has no run id: its job id names it.
          runId: event.job.userArguments.runId ?? `job-${event.job.id}`,
          via: "batch-operations",
          startedAt: event.job.userArguments.startedAt,
        }),
        detectedAt: deps.audit.now().toISOString(),
        primaryRegion: deps.primaryRegion,
        replicaRegion: deps.replicaRegion,
      },
      pair,
      result,
    );
    await deps.failureReports.send({
      body: JSON.stringify(report),
      attributes: reportMessageAttributes(report),
    });
    reportId = report.reportId;
    deps.metrics.addMetric(METRICS.auditProblems, MetricUnit.Count, 1);
  }
  deps.metrics.addMetric(METRICS.auditObjectsChecked, MetricUnit.Count, 1);
  const versionId = result.primary?.versionId ?? task.s3VersionId ?? undefined;
  const basis = result.comparison?.basis;
  const summary = compact({
    verdict: result.verdict,
    versionId,
    evidence: basis && evidenceName(basis),
    reportId,
    reason: result.verdict === "MATCH" ? undefined : truncate(result.reason, REASON_CHARACTERS),
  });
  const code: ResultCode = result.verdict === "UNCHECKABLE" ? "PermanentFailure" : "Succeeded";
  deps.log[VERDICTS[result.verdict].logLevel](`${result.verdict}: ${result.reason}`, {
    outcome: result.verdict,
    resultCode: code,
    bucket: pair.primaryBucket,
    key: result.key,
    versionId,
    replicaBucket: pair.replicaBucket,
    category: pair.category,
    evidenceUsed: summary.evidence,
    reportId,
    ...jobKeys(event, task.taskId),
  });
  return { taskId: task.taskId, resultCode: code, resultString: JSON.stringify(summary) };
}

/** A task answered without a verdict: one log line, and a failure counted for the alarm. */
function answer(
  deps: WorkerDependencies,
  event: BatchOperationsEvent,
  taskId: string,
  resultCode: Exclude<ResultCode, "Succeeded">,
  reason: string,
  keys: Readonly<Record<string, unknown>>,
): TaskResult {
  const retried = resultCode === "TemporaryFailure";
  deps.log.error(
    `the task ${retried ? "failed and will be redriven" : "failed for good"}: ${reason}`,
    { resultCode, ...keys, ...jobKeys(event, taskId) },
  );
  deps.metrics.addMetric(METRICS.auditTasksFailed, MetricUnit.Count, 1);
  return { taskId, resultCode, resultString: reason };
}

function jobKeys(event: BatchOperationsEvent, taskId: string) {
  return compact({ jobId: event.job.id, taskId, runId: event.job.userArguments.runId });
}
