import type { BucketPair, BucketPairs } from "../config/bucket-pairs.ts";
import { describeError } from "../errors.ts";
import {
  type ObjectRef,
  type ParsedMessage,
  PENDING_CHECK_TYPE,
  type PendingCheckMessage,
  parseMessageBody,
} from "../events/parse-message.ts";
import { compact } from "../objects.ts";
import { type Log, type MetricsRecorder, MetricUnit } from "../observability.ts";
import type { MessageSender } from "../queues/message-sender.ts";
import {
  buildFailureReport,
  type FailureReport,
  type FailureReportInput,
  objectSide,
  reportMessageAttributes,
} from "../reports/failure-report.ts";
import { nextCheckDelaySeconds } from "./retry.ts";
import {
  type ObjectVerdict,
  type ValidationContext,
  type ValidationResult,
  validateObject,
} from "./validate-object.ts";

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

/** An SQS message as the validator sees it. */
export interface IncomingMessage {
  readonly messageId: string;
  readonly body: string;
  /** ApproximateReceiveCount of this delivery. */
  readonly receiveCount?: number;
  readonly eventSourceArn?: string;
}

export type Outcome = ObjectVerdict | "UNMAPPED_BUCKET" | "MALFORMED_EVENT" | "IGNORED" | "SPLIT";

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
 * Validates the object a validation-queue message names and acts on the verdict: MATCH and
 * SOURCE_GONE are acknowledged, PENDING is re-queued with a delay, failures are reported.
 *
 * A message naming several objects (a classic notification with several records) is first
 * split into one check message per object on the same queue, so that each object has its own
 * retries: a failure on one object then never repeats the reports or re-checks of the others.
 *
 * Throws (so the SQS record fails and is retried, then dead-lettered) when the check or a send
 * fails for a reason we do not understand. Delivery is at-least-once: a report may be sent
 * twice (reports carry a stable reportId for de-duplication).
 */
export async function processValidationMessage(
  deps: ValidatorDependencies,
  message: IncomingMessage,
): Promise<OutcomeRecord[]> {
  const parsed = parseMessageBody(message.body);
  if (parsed.kind === "ignored") {
    deps.log.info(`IGNORED: ${parsed.reason}`, {
      outcome: "IGNORED",
      messageId: message.messageId,
    });
    countOutcome(deps, "IGNORED");
    return [{ outcome: "IGNORED", action: "acknowledged", reason: parsed.reason }];
  }
  if (parsed.kind === "malformed") {
    return [await reportMalformed(deps, message, parsed.reason)];
  }
  const [only, ...more] = parsed.objects;
  const outcomes =
    only && more.length === 0
      ? [await checkOne(deps, message, parsed, only)]
      : await splitIntoSingleObjectChecks(deps, parsed);
  // Reported last: if a split send fails, the retry must not report the problems twice.
  if (parsed.problems.length > 0) {
    outcomes.push(await reportMalformed(deps, message, parsed.problems.join("; ")));
  }
  return outcomes;
}

async function checkOne(
  deps: ValidatorDependencies,
  message: IncomingMessage,
  parsed: ObjectsMessage,
  object: ObjectRef,
): Promise<OutcomeRecord> {
  try {
    return await processObject(deps, message, parsed, object);
  } catch (error) {
    deps.log.error(`check failed, the message will be retried: ${describeError(error)}`, {
      bucket: object.bucket,
      key: object.key,
      versionId: object.versionId,
      messageId: message.messageId,
      error: error as Error,
    });
    throw error;
  }
}

async function splitIntoSingleObjectChecks(
  deps: ValidatorDependencies,
  parsed: ObjectsMessage,
): Promise<OutcomeRecord[]> {
  const outcomes: OutcomeRecord[] = [];
  for (const object of parsed.objects) {
    await sendCheck(deps, parsed, object, { attempt: parsed.attempt, delaySeconds: 0 });
    outcomes.push({
      outcome: "SPLIT",
      action: "requeued",
      bucket: object.bucket,
      key: object.key,
      ...(object.versionId ? { versionId: object.versionId } : {}),
      reason: "one of several objects in the message: queued as a check of its own",
      delaySeconds: 0,
    });
  }
  deps.log.info(`SPLIT: ${parsed.objects.length} objects queued as checks of their own`, {
    outcome: "SPLIT",
    objects: parsed.objects.length,
  });
  return outcomes;
}

type ObjectsMessage = Extract<ParsedMessage, { kind: "objects" }>;

async function processObject(
  deps: ValidatorDependencies,
  message: IncomingMessage,
  parsed: ObjectsMessage,
  object: ObjectRef,
): Promise<OutcomeRecord> {
  const pair = deps.bucketPairs.get(object.bucket);
  if (!pair) return reportUnmapped(deps, message, parsed, object);

  const result = await validateObject(deps.validation, {
    pair,
    key: object.key,
    versionId: object.versionId,
    eventTime: object.eventTime,
  });
  const keys = logKeys(pair, result, object, parsed.attempt);
  countOutcome(deps, result.verdict);

  switch (result.verdict) {
    case "MATCH":
      if (result.objectAgeSeconds !== undefined) {
        deps.metrics.addMetric(
          "ReplicationLagObserved",
          MetricUnit.Seconds,
          result.objectAgeSeconds,
        );
      }
      deps.log.info(`MATCH: ${result.reason}`, keys);
      return acknowledged(result, object);
    case "SOURCE_GONE":
      deps.log.info(`SOURCE_GONE: ${result.reason}`, keys);
      return acknowledged(result, object);
    case "PENDING":
      return requeuePending(deps, parsed, object, result, keys);
    default: {
      const report = buildFailureReport({
        ...reportBase(deps, message, parsed, object, pair),
        verdict: result.verdict,
        summary: result.reason,
        object: {
          ...objectIdentity(object, result.key, result.primary?.versionId),
          replicaBucket: pair.replicaBucket,
          primaryRegion: deps.primaryRegion,
          replicaRegion: deps.replicaRegion,
        },
        primary: objectSide(
          { bucket: pair.primaryBucket, key: result.key, region: deps.primaryRegion },
          result.primary,
        ),
        replica: objectSide(
          { bucket: pair.replicaBucket, key: result.key, region: deps.replicaRegion },
          result.replica,
        ),
        evidence: result.comparison && {
          basis: result.comparison.basis,
          compared: result.comparison.evidence,
          notComparable: result.comparison.notComparable,
        },
        objectAgeSeconds: result.objectAgeSeconds,
      });
      await sendReport(deps, report);
      const level = report.severity === "warning" ? "warn" : "error";
      deps.log[level](`${result.verdict}: ${result.reason}`, {
        ...keys,
        reportId: report.reportId,
      });
      return { ...acknowledged(result, object), action: "reported", report };
    }
  }
}

async function requeuePending(
  deps: ValidatorDependencies,
  parsed: ObjectsMessage,
  object: ObjectRef,
  result: ValidationResult,
  keys: Record<string, unknown>,
): Promise<OutcomeRecord> {
  const delaySeconds = nextCheckDelaySeconds({
    attempt: parsed.attempt,
    baseDelaySeconds: deps.retryBaseDelaySeconds,
    objectAgeSeconds: result.objectAgeSeconds,
    replicationDeadlineSeconds: deps.validation.replicationDeadlineSeconds,
  });
  // A delayed copy, not a failed receive: waiting for replication must not use up the queue's
  // maxReceiveCount, which is kept for poison messages.
  await sendCheck(deps, parsed, object, {
    attempt: parsed.attempt + 1,
    delaySeconds,
    firstCheckedAt: parsed.firstCheckedAt ?? deps.validation.now().toISOString(),
  });
  deps.log.warn(`PENDING: ${result.reason}; next check in ${delaySeconds} s`, {
    ...keys,
    nextCheckInSeconds: delaySeconds,
  });
  return { ...acknowledged(result, object), action: "requeued", delaySeconds };
}

/** Queues a check of one object on the validation queue (a re-check, or one of a split). */
async function sendCheck(
  deps: ValidatorDependencies,
  parsed: ObjectsMessage,
  object: ObjectRef,
  check: { attempt: number; delaySeconds: number; firstCheckedAt?: string },
): Promise<void> {
  const message: PendingCheckMessage = compact({
    type: PENDING_CHECK_TYPE,
    version: 1,
    attempt: check.attempt,
    firstCheckedAt: check.firstCheckedAt,
    eventId: parsed.eventId,
    object,
    originalEvent: parsed.originalEvent,
  });
  await deps.pendingChecks.send({
    body: JSON.stringify(message),
    delaySeconds: check.delaySeconds,
    attributes: { type: PENDING_CHECK_TYPE, attempt: String(check.attempt) },
  });
}

async function reportUnmapped(
  deps: ValidatorDependencies,
  message: IncomingMessage,
  parsed: ObjectsMessage,
  object: ObjectRef,
): Promise<OutcomeRecord> {
  const known = [...deps.bucketPairs.keys()].join(", ");
  const reason = `bucket ${object.bucket} is not a configured primary bucket (BUCKET_PAIRS has ${known})`;
  const report = buildFailureReport({
    ...reportBase(deps, message, parsed, object, undefined),
    verdict: "UNMAPPED_BUCKET",
    summary: reason,
    object: { ...objectIdentity(object, object.key), primaryRegion: deps.primaryRegion },
  });
  await sendReport(deps, report);
  countOutcome(deps, "UNMAPPED_BUCKET");
  deps.log.warn(`UNMAPPED_BUCKET: ${reason}`, {
    outcome: "UNMAPPED_BUCKET",
    bucket: object.bucket,
    key: object.key,
    reportId: report.reportId,
  });
  return {
    outcome: "UNMAPPED_BUCKET",
    action: "reported",
    bucket: object.bucket,
    key: object.key,
    reason,
    report,
  };
}

async function reportMalformed(
  deps: ValidatorDependencies,
  message: IncomingMessage,
  reason: string,
): Promise<OutcomeRecord> {
  const report = buildFailureReport({
    verdict: "MALFORMED_EVENT",
    summary: `a message on the validation queue could not be read: ${reason}`,
    detectedAt: deps.validation.now().toISOString(),
    attempts: 1,
    source: compact({
      messageId: message.messageId,
      eventSourceArn: message.eventSourceArn,
      receiveCount: message.receiveCount,
    }),
    rawBody: message.body,
  });
  await sendReport(deps, report);
  countOutcome(deps, "MALFORMED_EVENT");
  deps.log.warn(`MALFORMED_EVENT: ${reason}`, {
    outcome: "MALFORMED_EVENT",
    messageId: message.messageId,
    reportId: report.reportId,
  });
  return { outcome: "MALFORMED_EVENT", action: "reported", reason, report };
}

function reportBase(
  deps: ValidatorDependencies,
  message: IncomingMessage,
  parsed: ObjectsMessage,
  object: ObjectRef,
  pair: BucketPair | undefined,
): Omit<FailureReportInput, "verdict" | "summary"> {
  return compact({
    category: pair?.category,
    eventTime: object.eventTime,
    firstCheckedAt: parsed.firstCheckedAt,
    detectedAt: deps.validation.now().toISOString(),
    attempts: parsed.attempt,
    source: compact({
      messageId: message.messageId,
      eventSourceArn: message.eventSourceArn,
      eventId: parsed.eventId,
      receiveCount: message.receiveCount,
    }),
    originalEvent: parsed.originalEvent,
  });
}

function objectIdentity(object: ObjectRef, key: string, versionId = object.versionId) {
  return compact({ bucket: object.bucket, key, versionId });
}

async function sendReport(deps: ValidatorDependencies, report: FailureReport): Promise<void> {
  await deps.failureReports.send({
    body: JSON.stringify(report),
    attributes: reportMessageAttributes(report),
  });
}

function acknowledged(result: ValidationResult, object: ObjectRef): OutcomeRecord {
  return compact({
    outcome: result.verdict,
    action: "acknowledged" as const,
    bucket: object.bucket,
    key: result.key,
    versionId: result.primary?.versionId ?? object.versionId,
    reason: result.reason,
  });
}

function logKeys(
  pair: BucketPair,
  result: ValidationResult,
  object: ObjectRef,
  attempt: number,
): Record<string, unknown> {
  return compact({
    outcome: result.verdict,
    bucket: pair.primaryBucket,
    key: result.key,
    versionId: result.primary?.versionId ?? object.versionId,
    replicaBucket: pair.replicaBucket,
    category: pair.category,
    attempt,
    objectAgeSeconds: result.objectAgeSeconds,
    evidence: result.comparison?.basis,
    notComparable: result.comparison?.notComparable.length
      ? result.comparison.notComparable
      : undefined,
    primaryReplicationStatus: result.primary?.replicationStatus,
    replicaReplicationStatus: result.replica?.replicationStatus,
  });
}

/** One EMF metric per outcome, e.g. `Outcome.MISMATCH`. */
function countOutcome(deps: ValidatorDependencies, outcome: Outcome): void {
  deps.metrics.addMetric(`Outcome.${outcome}`, MetricUnit.Count, 1);
}
