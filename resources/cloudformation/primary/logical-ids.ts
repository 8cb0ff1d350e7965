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
  inventoryBucket: "InventoryBucket",
  auditSchedule: "AuditSchedule",
  auditSchedulerRole: "AuditSchedulerRole",
  auditScheduleDlq: "AuditScheduleDlq",
  /**
   * The role S3 Batch Operations assumes to run an audit job. CloudFormation names roles
   * <stack>-<logical id>-<suffix> within IAM's 64 characters, and the deploy role's boundary
   * condition needs the <stack>- prefix intact: logical ids of roles stay short.
   */
  auditJobRole: "AuditJobRole",
  roles: {
    "checksum-validator": "ChecksumValidatorRole",
    "failure-notifier": "FailureNotifierRole",
    "audit-starter": "AuditStarterRole",
    "audit-worker": "AuditWorkerRole",
  } satisfies Record<FunctionKey, string>,
  // osls names a function <NormalizedName>LambdaFunction, its log group <NormalizedName>LogGroup
  // ("-" becomes "Dash").
  functions: {
    "checksum-validator": "ChecksumDashvalidatorLambdaFunction",
    "failure-notifier": "FailureDashnotifierLambdaFunction",
    "audit-starter": "AuditDashstarterLambdaFunction",
    "audit-worker": "AuditDashworkerLambdaFunction",
  } satisfies Record<FunctionKey, string>,
  logGroups: {
    "checksum-validator": "ChecksumDashvalidatorLogGroup",
    "failure-notifier": "FailureDashnotifierLogGroup",
    "audit-starter": "AuditDashstarterLogGroup",
    "audit-worker": "AuditDashworkerLogGroup",
  } satisfies Record<FunctionKey, string>,
} as const;

export const primaryBucketLogicalId = (category: string) => `PrimaryBucket${pascalCase(category)}`;
/** S3 replication rule id; also the RuleId dimension of the replication metrics. */
export const replicationRuleId = (category: string) => `replicate-${category}`;
