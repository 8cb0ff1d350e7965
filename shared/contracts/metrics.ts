/**
 * The custom CloudWatch metrics: what the functions emit (Powertools Metrics, EMF) and what the
 * alarms, the dashboard and `npm run status` read. One owner, so an alarm cannot watch a name
 * nobody emits. Powertools puts every metric under the namespace with one dimension, `service`
 * (POWERTOOLS_SERVICE_NAME: the function's key), so an alarm must name both.
 * https://docs.powertools.aws.dev/lambda/typescript/latest/features/metrics/
 */
import type { Verdict } from "../verdicts.ts";

/** POWERTOOLS_METRICS_NAMESPACE of both functions (resources/settings.json powertools). */
export const METRICS_NAMESPACE = "BackupValidator";

/** The `service` dimension of each emitter. */
export const METRIC_SERVICES = {
  validator: "checksum-validator",
  notifier: "failure-notifier",
  /** The audit: `npm run audit`, and the scheduled audit's audit-worker. */
  audit: "audit",
} as const;
export type MetricService = (typeof METRIC_SERVICES)[keyof typeof METRIC_SERVICES];

export const METRICS = {
  /** Both functions, every invocation: records returned to SQS as batch item failures. */
  recordsFailed: "RecordsFailed",
  /** Validator: seconds from upload to a verified match (an upper bound of the lag). */
  replicationLagObserved: "ReplicationLagObserved",
  /** Notifier: SNS publishes that failed (their records are retried). */
  alertPublishFailures: "AlertPublishFailures",
  alertsPublished: "AlertsPublished",
  messagesAlerted: "MessagesAlerted",
  /** Notifier: reports already alerted within the window, acknowledged without an alert. */
  duplicateReportsSuppressed: "DuplicateReportsSuppressed",
  /** Notifier: the alerts-sent store could not be read or written; alerts went out anyway. */
  alertStoreErrors: "AlertStoreErrors",
  /** Validator: verdicts decided by reading the bytes (deep verification). */
  deepVerifications: "DeepVerifications",
  /** Validator: bytes read by deep verification, decided or not. */
  deepVerificationBytes: "DeepVerificationBytesRead",
  /**
   * Audit: objects checked and problems found. Counts that add up: `npm run audit` sends a run's
   * totals, the audit-worker 1 per object, so a run's totals are the Sum over its time.
   */
  auditObjectsChecked: "AuditObjectsChecked",
  auditProblems: "AuditProblems",
  /**
   * The scheduled audit's worker: tasks it answered with a failure (redriven, or failed for
   * good) instead of a verdict. A job fails once over half of its tasks do.
   */
  auditTasksFailed: "AuditTasksFailed",
} as const;

/** Validator: one count per verdict (`Outcome.MATCH`, ...). */
export function outcomeMetric(verdict: Verdict): string {
  return `Outcome.${verdict}`;
}
