import { type AuditResult, auditObject } from "../audit/audit-object.ts";
import type { BucketPairs } from "../contracts/bucket-pairs.ts";
import {
  buildCheckMessage,
  type CheckMessage,
  checkMessageAttributes,
} from "../contracts/check-message.ts";
import { type FailureReport, reportMessageAttributes } from "../contracts/failure-report.ts";
import { METRICS, outcomeMetric } from "../contracts/metrics.ts";
import { describeError, isPermanent } from "../errors.ts";
import { decodeEventKey } from "../events/keys.ts";
import { type ObjectRef, parseMessageBody } from "../events/parse-message.ts";
import { evidenceName } from "../integrity/compare.ts";
import { compact } from "../objects.ts";
import { type Log, type MetricsRecorder, MetricUnit } from "../observability.ts";
import type { MessageSender } from "../queues/message-sender.ts";
import { type RecordTime, settleLimitsOf, startRecordTime } from "../record-time.ts";
import { formatSize } from "../text.ts";
import { isReportedVerdict, type Outcome, VERDICTS, type VerdictAction } from "../verdicts.ts";
import {
  type IncomingMessage,
  malformedEventReport,
  type ObjectsMessage,
  objectReport,
  type ReportContext,
  uncheckableReport,
  unmappedBucketReport,
} from "./reports.ts";
import { nextCheckDelaySeconds } from "./retry.ts";
import { uncheckableReason, type ValidationContext, validateObject } from "./validate-object.ts";

export type { IncomingMessage } from "./reports.ts";

export interface ValidatorDependencies {
  readonly validation: ValidationContext;
  readonly bucketPairs: BucketPairs;
  /** The failure queue, read by the failure-notifier. */
  readonly failureReports: MessageSender;
  /** The validation queue itself, for delayed re-checks of pending replicas. */
  readonly pendingChecks: MessageSender;
  readonly retryBaseDelaySeconds: number;
  readonly primaryRegion?: string;
  readonly replicaRegion: string;
  readonly log: Log;
  readonly metrics: MetricsRecorder;
}

/** What happened to one object (or to the message, for IGNORED and MALFORMED_EVENT). */
export interface OutcomeRecord {
  readonly outcome: Outcome;
  /** acknowledged: nothing more to do; reported: on the failure queue; requeued: re-check later. */
  readonly action: "acknowledged" | "reported" | "requeued";
  readonly bucket?: string;
  readonly key?: string;
  readonly versionId?: string;
  readonly reason: string;
  readonly report?: FailureReport;
  readonly delaySeconds?: number;
}

/**
 * What the validator concluded, before acting on it. The verdict table (shared/verdicts.ts)
 * says what the action is; the conclusion carries what that action needs.
 */
interface Conclusion {
  readonly outcome: Outcome;
  readonly reason: string;
  /** Structured fields of the one log line (bucket, key, evidence, ...). */
  readonly logKeys: Readonly<Record<string, unknown>>;
  readonly object?: { readonly bucket: string; readonly key: string; readonly versionId?: string };
  /** For a reported outcome. */
  readonly report?: FailureReport;
  /** For a re-check: the message to queue and its delay. */
  readonly check?: { readonly message: CheckMessage; readonly delaySeconds: number };
}

/**
 * A deep verification that ran out of time is handed off once: the check of its own starts with
 * a whole invocation's time. If that is not enough either, the object is reported UNVERIFIABLE
 * with the command that settles it from a workstation, rather than handed off for ever.
 */
export const MAX_DEEP_HANDOFFS = 1;

const ACTION_DONE: Record<VerdictAction, OutcomeRecord["action"]> = {
  acknowledge: "acknowledged",
  report: "reported",
  "re-check": "requeued",
};

/**
 * Validates the object a validation-queue message names and acts on the verdict as the verdict
 * table says: acknowledge (MATCH, SOURCE_GONE), re-check later (PENDING), or report.
 *
 * A message naming several objects (a classic notification with several records) is first
 * split into one check message per object on the same queue, each carrying only its own record,
 * so that each object has its own retries: a failure on one object then never repeats the
 * reports or re-checks of the others.
 *
 * Errors are classified once (isPermanent): what retrying cannot change (S3 refusing a version
 * id or key) is reported as UNCHECKABLE and acknowledged; anything else (throttling, 5xx,
 * timeouts, access denied, a failed send, the record's time running out) is logged and thrown,
 * so the SQS record fails alone and is retried, then kept in the dead-letter queue. Every path
 * writes one log line naming the message. Delivery is at-least-once: a report may be sent twice
 * (reports carry a stable reportId for de-duplication).
 */
export async function processValidationMessage(
  deps: ValidatorDependencies,
  message: IncomingMessage,
): Promise<OutcomeRecord[]> {
  const deadline = message.deadline;
  if (deadline === undefined) return processMessage(deps, message, undefined);
  // The record's requests are cancelled when its time is up (shared/record-time.ts), and the
  // record fails alone: a hung dependency must not hold the whole batch until the Lambda times
  // out. A deep read stops earlier and is handed off.
  const time = startRecordTime(deadline, "the record's time ran out");
  try {
    return await Promise.race([processMessage(deps, message, time), time.timeUp]);
  } catch (error) {
    logFailure(deps, error, { messageId: message.messageId });
    throw error;
  } finally {
    time.clear();
  }
}

async function processMessage(
  deps: ValidatorDependencies,
  message: IncomingMessage,
  time: RecordTime | undefined,
): Promise<OutcomeRecord[]> {
  try {
    const parsed = parseMessageBody(message.body);
    if (parsed.kind === "ignored") {
      return [
        await conclude(deps, {
          outcome: "IGNORED",
          reason: parsed.reason,
          logKeys: { messageId: message.messageId },
        }),
      ];
    }
    if (parsed.kind === "malformed") {
      return [await concludeMalformed(deps, message, parsed.reason)];
    }
    const [only, ...more] = parsed.objects;
    const outcomes =
      only && more.length === 0
        ? [await checkOne(deps, message, parsed, only, time)]
        : await splitIntoSingleObjectChecks(deps, message, parsed);
    // Reported last: if a split send fails, the retry must not report the problems twice.
    if (parsed.problems.length > 0) {
      outcomes.push(await concludeMalformed(deps, message, parsed.problems.join("; ")));
    }
    return outcomes;
  } catch (error) {
    if (!time?.signal.aborted) logFailure(deps, error, { messageId: message.messageId });
    throw error;
  }
}

async function checkOne(
  deps: ValidatorDependencies,
  message: IncomingMessage,
  parsed: ObjectsMessage,
  object: ObjectRef,
  time: RecordTime | undefined,
): Promise<OutcomeRecord> {
  let conclusion: Conclusion;
  try {
    conclusion = await examine(deps, message, parsed, object, time);
  } catch (error) {
    const pair = deps.bucketPairs.get(object.bucket);
    if (!pair || !isPermanent(error)) {
      // Cancelled because the record's time is up: processValidationMessage says so, once.
      if (!time?.signal.aborted) {
        logFailure(deps, error, { ...objectKeys(object), messageId: message.messageId });
      }
      throw error;
    }
    const reason = uncheckableReason(error);
    conclusion = {
      outcome: "UNCHECKABLE",
      reason,
      logKeys: { ...objectKeys(object), messageId: message.messageId },
      object,
      report: uncheckableReport(reportContext(deps), message, parsed, object, pair, reason),
    };
  }
  return conclude(deps, conclusion);
}

async function splitIntoSingleObjectChecks(
  deps: ValidatorDependencies,
  message: IncomingMessage,
  parsed: ObjectsMessage,
): Promise<OutcomeRecord[]> {
  const checks = parsed.objects.map((object, index) =>
    checkMessageFor(parsed, object, parsed.attempt, parsed.sources[index]),
  );
  // All sent before any is recorded: if one send fails, the record fails and is retried whole.
  await deps.pendingChecks.sendBatch(
    checks.map((check) => ({
      body: JSON.stringify(check),
      // At once, whatever the queue's own delivery delay.
      delaySeconds: 0,
      attributes: checkMessageAttributes(check),
    })),
  );
  return parsed.objects.map((object) =>
    record(deps, {
      outcome: "SPLIT",
      reason: `one of ${parsed.objects.length} objects in the message: queued as a check of its own`,
      logKeys: { ...objectKeys(object), messageId: message.messageId },
      object,
    }),
  );
}

/** Checks one object and says what follows; sends nothing. */
async function examine(
  deps: ValidatorDependencies,
  message: IncomingMessage,
  parsed: ObjectsMessage,
  object: ObjectRef,
  time: RecordTime | undefined,
): Promise<Conclusion> {
  const pair = deps.bucketPairs.get(object.bucket);
  if (!pair) {
    const known = [...deps.bucketPairs.keys()].join(", ");
    const reason = `bucket ${object.bucket} is not a configured primary bucket (BUCKET_PAIRS has ${known})`;
    return {
      outcome: "UNMAPPED_BUCKET",
      reason,
      logKeys: { ...objectKeys(object), messageId: message.messageId },
      object,
      report: unmappedBucketReport(reportContext(deps), message, parsed, object, reason),
    };
  }

  const limits = settleLimitsOf(time);
  // An audit's check (npm run audit --enqueue) is audited: the replica bucket's current version
  // too. The audit sends keys as events carry them; auditObject takes them as S3 lists them.
  const result: AuditResult = parsed.audit
    ? await auditObject(
        deps.validation,
        compact({
          pair,
          key: decodeEventKey(object.key) ?? object.key,
          versionId: object.versionId,
          signal: time?.signal,
        }),
        limits,
      )
    : await validateObject(
        deps.validation,
        compact({
          pair,
          key: object.key,
          versionId: object.versionId,
          eventTime: object.eventTime,
          signal: time?.signal,
        }),
        limits,
      );
  countDeepVerification(deps, result);
  const conclusion = {
    outcome: result.verdict,
    reason: result.reason,
    logKeys: {
      ...logKeys(pair.primaryBucket, pair.replicaBucket, pair.category, result, object, parsed),
      messageId: message.messageId,
    },
    object: compact({
      bucket: object.bucket,
      key: result.key,
      versionId: result.primary?.versionId ?? object.versionId,
    }),
  };
  const verdict = result.verdict;
  if (verdict === "MATCH" && result.objectAgeSeconds !== undefined) {
    deps.metrics.addMetric(
      METRICS.replicationLagObserved,
      MetricUnit.Seconds,
      result.objectAgeSeconds,
    );
  }
  if (verdict === "PENDING") {
    const delaySeconds = nextCheckDelaySeconds({
      attempt: parsed.attempt,
      baseDelaySeconds: deps.retryBaseDelaySeconds,
      objectAgeSeconds: result.objectAgeSeconds,
      replicationDeadlineSeconds: deps.validation.replicationDeadlineSeconds,
    });
    // A delayed copy, not a failed receive: waiting for replication must not use up the
    // queue's maxReceiveCount, which is kept for poison messages.
    const firstCheckedAt = parsed.firstCheckedAt ?? deps.validation.now().toISOString();
    return {
      ...conclusion,
      reason: `${result.reason}; next check in ${delaySeconds} s`,
      logKeys: { ...conclusion.logKeys, nextCheckInSeconds: delaySeconds },
      check: {
        message: checkMessageFor(parsed, object, parsed.attempt + 1, parsed.sources[0], {
          firstCheckedAt,
        }),
        delaySeconds,
      },
    };
  }
  const deep = result.deepVerification;
  const handoffs = parsed.handoffs ?? 0;
  if (
    deep?.outcome === "stopped" &&
    deep.stoppedBy === "deadline" &&
    handoffs < MAX_DEEP_HANDOFFS
  ) {
    return {
      ...conclusion,
      outcome: "HANDED_OFF",
      reason: `reading the bytes did not finish in the time this invocation had left (${formatSize(deep.bytesRead)} of ${formatSize(deep.bytesToRead)} read): queued as a check of its own`,
      check: {
        message: checkMessageFor(parsed, object, parsed.attempt + 1, parsed.sources[0], {
          firstCheckedAt: parsed.firstCheckedAt ?? deps.validation.now().toISOString(),
          handoffs: handoffs + 1,
        }),
        delaySeconds: 0,
      },
    };
  }
  if (!isReportedVerdict(verdict)) return conclusion;
  return {
    ...conclusion,
    report: objectReport(reportContext(deps), message, parsed, object, pair, {
      ...result,
      verdict,
    }),
  };
}

/**
 * Acts on a conclusion as the verdict table says, then writes the one log line at the table's
 * level and counts the outcome (EMF `Outcome.<VERDICT>`).
 */
async function conclude(
  deps: ValidatorDependencies,
  conclusion: Conclusion,
): Promise<OutcomeRecord> {
  const { outcome } = conclusion;
  const policy = VERDICTS[outcome];
  if (policy.action === "report") {
    if (!conclusion.report) throw new Error(`${outcome} is reported, but no report was built`);
    await deps.failureReports.send({
      body: JSON.stringify(conclusion.report),
      attributes: reportMessageAttributes(conclusion.report),
    });
  } else if (policy.action === "re-check") {
    if (!conclusion.check) throw new Error(`${outcome} is re-checked, but no check was built`);
    await deps.pendingChecks.send({
      body: JSON.stringify(conclusion.check.message),
      delaySeconds: conclusion.check.delaySeconds,
      attributes: checkMessageAttributes(conclusion.check.message),
    });
  }
  return record(deps, conclusion);
}

/** The one log line at the table's level, the `Outcome.<VERDICT>` metric, the outcome record. */
function record(deps: ValidatorDependencies, conclusion: Conclusion): OutcomeRecord {
  const { outcome } = conclusion;
  const policy = VERDICTS[outcome];
  deps.log[policy.logLevel](`${outcome}: ${conclusion.reason}`, {
    outcome,
    ...conclusion.logKeys,
    ...(conclusion.report ? { reportId: conclusion.report.reportId } : {}),
  });
  deps.metrics.addMetric(outcomeMetric(outcome), MetricUnit.Count, 1);
  return compact({
    outcome,
    action: ACTION_DONE[policy.action],
    bucket: conclusion.object?.bucket,
    key: conclusion.object?.key,
    versionId: conclusion.object?.versionId,
    reason: conclusion.reason,
    report: conclusion.report,
    delaySeconds: conclusion.check?.delaySeconds,
  });
}

function concludeMalformed(
  deps: ValidatorDependencies,
  message: IncomingMessage,
  reason: string,
): Promise<OutcomeRecord> {
  return conclude(deps, {
    outcome: "MALFORMED_EVENT",
    reason,
    logKeys: { messageId: message.messageId },
    report: malformedEventReport(reportContext(deps), message, reason),
  });
}

/** A check of one object, carrying only the part of the event that named it. */
function checkMessageFor(
  parsed: ObjectsMessage,
  object: ObjectRef,
  attempt: number,
  source: unknown,
  options: { readonly firstCheckedAt?: string; readonly handoffs?: number } = {},
): CheckMessage {
  return buildCheckMessage({
    attempt,
    firstCheckedAt: options.firstCheckedAt,
    eventId: parsed.eventId,
    object,
    originalEvent: source,
    handoffs: options.handoffs ?? parsed.handoffs,
    audit: parsed.audit,
  });
}

/** EMF: deep verifications that decided a verdict, and the bytes read (by any deep read). */
function countDeepVerification(deps: ValidatorDependencies, result: AuditResult): void {
  const deep = result.deepVerification;
  if (!deep) return;
  if (deep.outcome === "verified") {
    deps.metrics.addMetric(METRICS.deepVerifications, MetricUnit.Count, 1);
  }
  if (deep.bytesRead > 0) {
    deps.metrics.addMetric(METRICS.deepVerificationBytes, MetricUnit.Bytes, deep.bytesRead);
  }
}

/** Errors already logged on their way up: each failure gets one log line, not one per level. */
const logged = new WeakSet<object>();

/** One error line with the cause and the record's identity, the first time an error passes. */
function logFailure(
  deps: ValidatorDependencies,
  error: unknown,
  identity: Readonly<Record<string, unknown>>,
): void {
  if (error !== null && typeof error === "object") {
    if (logged.has(error)) return;
    logged.add(error);
  }
  deps.log.error(`the message failed and will be retried: ${describeError(error)}`, {
    ...identity,
    failure: isPermanent(error) ? "permanent" : "transient",
    error: describeError(error),
  });
}

function reportContext(deps: ValidatorDependencies): ReportContext {
  return compact({
    primaryRegion: deps.primaryRegion,
    replicaRegion: deps.replicaRegion,
    detectedAt: deps.validation.now().toISOString(),
  });
}

function objectKeys(object: ObjectRef): Record<string, unknown> {
  return compact({ bucket: object.bucket, key: object.key, versionId: object.versionId });
}

function logKeys(
  primaryBucket: string,
  replicaBucket: string,
  category: string,
  result: AuditResult,
  object: ObjectRef,
  parsed: ObjectsMessage,
): Record<string, unknown> {
  return compact({
    bucket: primaryBucket,
    key: result.key,
    versionId: result.primary?.versionId ?? object.versionId,
    replicaBucket,
    category,
    attempt: parsed.attempt,
    objectAgeSeconds: result.objectAgeSeconds,
    evidence: result.comparison?.basis,
    evidenceUsed: result.comparison?.basis && evidenceName(result.comparison.basis),
    deepVerification: result.deepVerification,
    notComparable: result.comparison?.notComparable.length
      ? result.comparison.notComparable
      : undefined,
    primaryReplicationStatus: result.primary?.replicationStatus,
    replicaReplicationStatus: result.replica?.replicationStatus,
  });
}
