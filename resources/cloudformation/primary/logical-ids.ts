/** CloudFormation logical ids of the primary stack, named once for every section. */
import type { FunctionKey } from "../../settings.ts";
import { pascalCase } from "../intrinsics.ts";

export const LOGICAL_IDS = {
  replicationRole: "ReplicationRole",
  queueKey: "QueueKey",
  topicKey: "TopicKey",
  alarmTopicKey: "AlarmTopicKey",
  logsKey: "LogsKey",
  validationQueue: "ValidationQueue",
  validationDlq: "ValidationDlq",
  failureQueue: "FailureQueue",
  failureDlq: "FailureDlq",
  rule: "ObjectCreatedRule",
  topic: "AlertTopic",
  alarmTopic: "AlarmTopic",
  alertsSentTable: "AlertsSentTable",
  dashboard: "Dashboard",
  roles: {
    "checksum-validator": "ChecksumValidatorRole",
    "failure-notifier": "FailureNotifierRole",
  } satisfies Record<FunctionKey, string>,
  // osls names a function <NormalizedName>LambdaFunction, its log group <NormalizedName>LogGroup
  // ("-" becomes "Dash").
  functions: {
    "checksum-validator": "ChecksumDashvalidatorLambdaFunction",
    "failure-notifier": "FailureDashnotifierLambdaFunction",
  } satisfies Record<FunctionKey, string>,
  logGroups: {
    "checksum-validator": "ChecksumDashvalidatorLogGroup",
    "failure-notifier": "FailureDashnotifierLogGroup",
  } satisfies Record<FunctionKey, string>,
} as const;

export const primaryBucketLogicalId = (category: string) => `PrimaryBucket${pascalCase(category)}`;
/** S3 replication rule id; also the RuleId dimension of the replication metrics. */
export const replicationRuleId = (category: string) => `replicate-${category}`;
