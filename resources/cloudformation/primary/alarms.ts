/** CloudWatch alarms of the primary stack, sent to the alert topic. */
import { type FunctionKey, type ResourceNames, settings } from "../../settings.ts";
import type { StackInputs } from "../inputs.ts";
import { getAtt, pascalCase, type Resource, type Resources, ref, sub } from "../intrinsics.ts";
import { LOGICAL_IDS, replicationRuleId } from "./logical-ids.ts";

export function alarmResources(inputs: StackInputs, names: ResourceNames): Resources {
  const { periodSeconds } = settings.alarms;
  const actions = [ref(LOGICAL_IDS.topic)];
  const stage = inputs.stage;
  const alarm = (
    name: string,
    description: string,
    metric: {
      namespace: string;
      metricName: string;
      dimensions: Record<string, unknown>;
      statistic: "Sum" | "Maximum";
      threshold: number;
    },
  ): Resource => ({
    Type: "AWS::CloudWatch::Alarm",
    Properties: {
      AlarmName: `${names.primaryStack}-${name}`,
      AlarmDescription: description,
      Namespace: metric.namespace,
      MetricName: metric.metricName,
      Dimensions: Object.entries(metric.dimensions).map(([Name, Value]) => ({ Name, Value })),
      Statistic: metric.statistic,
      Period: periodSeconds,
      EvaluationPeriods: 1,
      Threshold: metric.threshold,
      ComparisonOperator: "GreaterThanThreshold",
      // No data (idle queue, no replication traffic) is not a failure.
      TreatMissingData: "notBreaching",
      ActionsEnabled: true,
      AlarmActions: actions,
      OKActions: actions,
    },
  });
  const dlqAlarm = (queue: "validation" | "failure", dlqId: string) =>
    alarm(
      `${queue}-dlq-not-empty`,
      `Messages are waiting in the ${queue} dead-letter queue. Inspect: npm run dlq -- inspect --stage ${stage} --queue ${queue}; then redrive: npm run redrive -- --stage ${stage} --queue ${queue}`,
      {
        namespace: "AWS/SQS",
        metricName: "ApproximateNumberOfMessagesVisible",
        dimensions: { QueueName: getAtt(dlqId, "QueueName") },
        statistic: "Maximum",
        threshold: 0,
      },
    );
  const errorsAlarm = (fn: FunctionKey) =>
    alarm(`${fn}-errors`, `${names.functions[fn]} failed (errors or timeouts); see its logs.`, {
      namespace: "AWS/Lambda",
      metricName: "Errors",
      dimensions: { FunctionName: names.functions[fn] },
      statistic: "Sum",
      threshold: 0,
    });
  const resources: Resources = {
    ValidationDlqNotEmptyAlarm: dlqAlarm("validation", LOGICAL_IDS.validationDlq),
    FailureDlqNotEmptyAlarm: dlqAlarm("failure", LOGICAL_IDS.failureDlq),
    ChecksumValidatorErrorsAlarm: errorsAlarm("checksum-validator"),
    FailureNotifierErrorsAlarm: errorsAlarm("failure-notifier"),
    ValidationQueueOldestMessageAlarm: alarm(
      "validation-queue-backlog",
      `The oldest message in the validation queue is older than ${settings.alarms.oldestValidationMessageAgeSeconds} s: the checksum-validator is not keeping up or not running.`,
      {
        namespace: "AWS/SQS",
        metricName: "ApproximateAgeOfOldestMessage",
        dimensions: { QueueName: getAtt(LOGICAL_IDS.validationQueue, "QueueName") },
        statistic: "Maximum",
        threshold: settings.alarms.oldestValidationMessageAgeSeconds,
      },
    ),
  };
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
