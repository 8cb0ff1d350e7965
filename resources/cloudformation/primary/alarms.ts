/**
 * CloudWatch alarms of the primary stack, sent to the alarm topic (never the alert topic: an
 * alarm about the alert topic must not depend on it). Each watches one way the pipeline can fail
 * without anyone being told otherwise; the README's alarms table says which and what to run.
 */
import {
  METRIC_SERVICES,
  METRICS,
  METRICS_NAMESPACE,
  type MetricService,
} from "../../../shared/contracts/metrics.ts";
import {
  type ConsumerFunctionKey,
  type FunctionKey,
  type ResourceNames,
  settings,
} from "../../settings.ts";
import type { StackInputs } from "../inputs.ts";
import { getAtt, pascalCase, type Resource, type Resources, ref, sub } from "../intrinsics.ts";
import { LOGICAL_IDS, replicationRuleId } from "./logical-ids.ts";

interface AlarmSpec {
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Record<string, unknown>;
  readonly statistic: "Sum" | "Maximum";
  readonly threshold: number;
  /** Default: fires above the threshold. */
  readonly comparison?: "GreaterThanThreshold" | "LessThanThreshold";
  /** Default 1 period of settings.alarms.periodSeconds. */
  readonly periodSeconds?: number;
  readonly evaluationPeriods?: number;
  /** Default: no data (an idle queue, no traffic) is not a failure. */
  readonly treatMissingData?: "notBreaching" | "breaching";
}

export function alarmResources(inputs: StackInputs, names: ResourceNames): Resources {
  const { alarms } = settings;
  const actions = [ref(LOGICAL_IDS.alarmTopic)];
  const stage = inputs.stage;
  const alarm = (name: string, description: string, spec: AlarmSpec): Resource => ({
    Type: "AWS::CloudWatch::Alarm",
    Properties: {
      AlarmName: `${names.alarmNamePrefix}${name}`,
      AlarmDescription: description,
      Namespace: spec.namespace,
      MetricName: spec.metricName,
      Dimensions: Object.entries(spec.dimensions).map(([Name, Value]) => ({ Name, Value })),
      Statistic: spec.statistic,
      Period: spec.periodSeconds ?? alarms.periodSeconds,
      EvaluationPeriods: spec.evaluationPeriods ?? 1,
      Threshold: spec.threshold,
      ComparisonOperator: spec.comparison ?? "GreaterThanThreshold",
      TreatMissingData: spec.treatMissingData ?? "notBreaching",
      ActionsEnabled: true,
      AlarmActions: actions,
      OKActions: actions,
    },
  });
  const custom = (service: MetricService, metricName: string) => ({
    namespace: METRICS_NAMESPACE,
    metricName,
    // Powertools Metrics emits every metric with the one dimension `service`.
    dimensions: { service },
    statistic: "Sum" as const,
    threshold: 0,
  });
  const sqs = (queueId: string, metricName: string, statistic: "Maximum", threshold: number) => ({
    namespace: "AWS/SQS",
    metricName,
    dimensions: { QueueName: getAtt(queueId, "QueueName") },
    statistic,
    threshold,
  });
  const lambda = (
    fn: FunctionKey,
    metricName: string,
    statistic: "Sum" | "Maximum",
    threshold = 0,
  ) => ({
    namespace: "AWS/Lambda",
    metricName,
    dimensions: { FunctionName: names.functions[fn] },
    statistic,
    threshold,
  });
  // The rule is on the default bus, whose metrics carry RuleName alone.
  // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-monitoring.html
  const rule = (metricName: string) => ({
    namespace: "AWS/Events",
    metricName,
    dimensions: { RuleName: ref(LOGICAL_IDS.rule) },
    statistic: "Sum" as const,
    threshold: 0,
  });
  const inspect = (queue: "validation" | "failure") =>
    `npm run dlq -- inspect --stage ${stage} --queue ${queue}`;
  const redrive = (queue: "validation" | "failure") =>
    `npm run redrive -- --stage ${stage} --queue ${queue}`;
  const age = (seconds: number) =>
    seconds >= 86_400 ? `${seconds / 86_400} days` : `${seconds / 60} minutes`;

  const dlqAlarms = (queue: "validation" | "failure", dlqId: string): Resources => ({
    [`${pascalCase(queue)}DlqNotEmptyAlarm`]: alarm(
      `${queue}-dlq-not-empty`,
      `Messages are waiting in the ${queue} dead-letter queue. Inspect: ${inspect(queue)}; then redrive: ${redrive(queue)}`,
      sqs(dlqId, "ApproximateNumberOfMessagesVisible", "Maximum", 0),
    ),
    // The not-empty alarm fires once and stays in ALARM; this one reminds while dead letters
    // are still there, well before they expire.
    [`${pascalCase(queue)}DlqOldestMessageAlarm`]: alarm(
      `${queue}-dlq-messages-aging`,
      `A message has waited in the ${queue} dead-letter queue for more than ${age(alarms.oldestDeadLetterAgeSeconds)}; dead letters expire ${settings.queues.dlqMessageRetentionSeconds / 86_400} days after they were first queued. Inspect: ${inspect(queue)}; then redrive: ${redrive(queue)}`,
      sqs(dlqId, "ApproximateAgeOfOldestMessage", "Maximum", alarms.oldestDeadLetterAgeSeconds),
    ),
  });

  const errorsAlarm = (fn: FunctionKey): Resources => ({
    [`${pascalCase(fn)}ErrorsAlarm`]: alarm(
      `${fn}-errors`,
      `${names.functions[fn]} failed (errors or timeouts); see its logs.`,
      lambda(fn, "Errors", "Sum"),
    ),
  });
  // The longest invocation, not a percentile: one near the timeout is one timeout away.
  const nearTimeoutAlarm = (fn: FunctionKey): Resources => {
    const timeoutSeconds = settings.functions[fn].timeoutSeconds;
    return {
      [`${pascalCase(fn)}DurationAlarm`]: alarm(
        `${fn}-near-timeout`,
        `An invocation of ${names.functions[fn]} took more than ${alarms.durationShareOfTimeout * 100} % of its ${timeoutSeconds} s timeout: slow S3 or SNS, or batches too large.`,
        lambda(
          fn,
          "Duration",
          "Maximum",
          Math.round(timeoutSeconds * 1000 * alarms.durationShareOfTimeout),
        ),
      ),
    };
  };
  const consumerAlarms = (fn: ConsumerFunctionKey): Resources => {
    const id = pascalCase(fn);
    return {
      ...errorsAlarm(fn),
      // Record failures: the handlers report failed records instead of throwing (so only they
      // are retried), which the Errors metric never counts.
      [`${id}RecordsFailedAlarm`]: alarm(
        `${fn}-records-failed`,
        `${names.functions[fn]} returned records to SQS as failed (they are retried, then dead-lettered); see its logs for "check failed" or "alert not published".`,
        custom(fn, METRICS.recordsFailed),
      ),
      [`${id}ThrottlesAlarm`]: alarm(
        `${fn}-throttled`,
        `${names.functions[fn]} was throttled: the account's or the function's concurrency is exhausted, so messages wait.`,
        lambda(fn, "Throttles", "Sum"),
      ),
      ...nearTimeoutAlarm(fn),
    };
  };

  const resources: Resources = {
    ...dlqAlarms("validation", LOGICAL_IDS.validationDlq),
    ...dlqAlarms("failure", LOGICAL_IDS.failureDlq),
    ...consumerAlarms("checksum-validator"),
    ...consumerAlarms("failure-notifier"),
    // The audit: a starter that fails starts no job; a worker that fails (crash, timeout) fails
    // its task. No throttle alarm on the worker: its reserved concurrency is the job's throttle
    // by design (Batch Operations invokes "up to the concurrency limit of the function").
    ...errorsAlarm("audit-starter"),
    ...errorsAlarm("audit-worker"),
    ...nearTimeoutAlarm("audit-worker"),
    // The worker answers a verdict for every object it could audit; this counts the others.
    AuditTasksFailedAlarm: alarm(
      "audit-tasks-failed",
      `${names.functions["audit-worker"]} could not audit objects of an audit job (S3 throttling or errors, access denied, a report it could not send: redriven; a bucket or key it cannot audit: failed for good); see its logs. A job fails once more than half of its tasks fail; its completion report (inventory bucket, reports/<bucket>/job-<id>/) lists them.`,
      custom(METRIC_SERVICES.audit, METRICS.auditTasksFailed),
    ),
    AlertPublishFailuresAlarm: alarm(
      "alert-publish-failures",
      `The failure-notifier could not publish alerts to ${names.alertTopic} (topic policy, its KMS key, throttling); their reports are retried, then dead-lettered. Inspect: ${inspect("failure")}`,
      custom(METRIC_SERVICES.notifier, METRICS.alertPublishFailures),
    ),
    AlertDeliveryFailuresAlarm: alarm(
      "alert-delivery-failures",
      `SNS could not deliver alerts from ${names.alertTopic} to a subscriber (an unreachable pager or chat endpoint, a bounced address).`,
      {
        namespace: "AWS/SNS",
        metricName: "NumberOfNotificationsFailed",
        dimensions: { TopicName: getAtt(LOGICAL_IDS.topic, "TopicName") },
        statistic: "Sum",
        threshold: 0,
      },
    ),
    ValidationQueueOldestMessageAlarm: alarm(
      "validation-queue-backlog",
      `The oldest message in the validation queue is older than ${alarms.oldestValidationMessageAgeSeconds} s: the checksum-validator is not keeping up or not running.`,
      sqs(
        LOGICAL_IDS.validationQueue,
        "ApproximateAgeOfOldestMessage",
        "Maximum",
        alarms.oldestValidationMessageAgeSeconds,
      ),
    ),
    FailureQueueOldestMessageAlarm: alarm(
      "failure-queue-backlog",
      `Failure reports have waited on the failure queue for more than ${alarms.oldestFailureMessageAgeSeconds} s: alerts are late (the failure-notifier is failing or not running). Inspect: ${inspect("failure")}`,
      sqs(
        LOGICAL_IDS.failureQueue,
        "ApproximateAgeOfOldestMessage",
        "Maximum",
        alarms.oldestFailureMessageAgeSeconds,
      ),
    ),
    // The rule's target and its DLQ share the queue key: a key problem fails both, and the
    // events are lost without either of these.
    EventRuleFailedInvocationsAlarm: alarm(
      "events-not-delivered",
      "EventBridge could not deliver S3 upload events to the validation queue (queue policy, the queue's KMS key); they go to the validation DLQ while it accepts them.",
      rule("FailedInvocations"),
    ),
    EventRuleDlqFailuresAlarm: alarm(
      "events-lost",
      "EventBridge could deliver S3 upload events neither to the validation queue nor to its DLQ: those uploads are never checked (often the queue key's policy). Fix it, then find the uploads of the period (S3 Inventory, CloudTrail) and verify them.",
      rule("InvocationsFailedToBeSentToDlq"),
    ),
  };
  if (inputs.auditSchedule !== undefined) {
    resources.AuditScheduleDlqNotEmptyAlarm = alarm(
      "audit-schedule-dlq-not-empty",
      `EventBridge Scheduler could not invoke ${names.functions["audit-starter"]} (its role, the function, throttling): the scheduled audit did not start. The messages in ${names.auditScheduleDlq} say why; start it by hand (README, "Audit at scale").`,
      sqs(LOGICAL_IDS.auditScheduleDlq, "ApproximateNumberOfMessagesVisible", "Maximum", 0),
    );
  }
  if (inputs.heartbeatHours !== undefined) {
    const hours = inputs.heartbeatHours;
    // MatchedEvents is only sent when non-zero, so silence is missing data: breaching.
    resources.NoUploadEventsAlarm = alarm(
      "no-upload-events",
      `No S3 upload event reached the rule for ${hours} h: uploads stopped, or S3 no longer sends events to EventBridge (the buckets' notification configuration).`,
      {
        ...rule("MatchedEvents"),
        threshold: 1,
        comparison: "LessThanThreshold",
        periodSeconds: 3600,
        evaluationPeriods: hours,
        treatMissingData: "breaching",
      },
    );
  }
  for (const pair of names.buckets) {
    const dimensions = {
      SourceBucket: sub(pair.primaryBucket),
      DestinationBucket: sub(pair.replicaBucket),
      RuleId: replicationRuleId(pair.category),
    };
    const category = pascalCase(pair.category);
    resources[`ReplicationFailed${category}Alarm`] = alarm(
      `${pair.category}-replication-failed`,
      `S3 failed to replicate objects of the ${pair.category} category (permissions or KMS). Check: npm run verify -- s3://<primary-bucket>/<key> --stage ${stage}`,
      {
        namespace: "AWS/S3",
        metricName: "OperationsFailedReplication",
        dimensions,
        statistic: "Sum",
        threshold: 0,
      },
    );
    resources[`ReplicationLatency${category}Alarm`] = alarm(
      `${pair.category}-replication-late`,
      `Replication of the ${pair.category} category takes longer than ${settings.replicationDeadlineSeconds} s.`,
      {
        namespace: "AWS/S3",
        metricName: "ReplicationLatency",
        dimensions,
        statistic: "Maximum",
        threshold: settings.replicationDeadlineSeconds,
      },
    );
  }
  return resources;
}
