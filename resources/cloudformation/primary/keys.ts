/** The KMS keys of the queues, the alert topic, the alarm topic and the function log groups. */
import type { FunctionKey, ResourceNames } from "../../settings.ts";
import type { StackInputs } from "../inputs.ts";
import {
  eventRuleArn,
  getAtt,
  lambdaLogGroupName,
  type PolicyStatement,
  type Resource,
  type Resources,
  ref,
  sub,
} from "../intrinsics.ts";
import { deployScopeTags, keyPolicy } from "../storage.ts";
import { LOGICAL_IDS } from "./logical-ids.ts";

export function keyResources(inputs: StackInputs, names: ResourceNames): Resources {
  const role = (fn: FunctionKey) => getAtt(LOGICAL_IDS.roles[fn], "Arn");
  const via = (service: string) => ({
    StringEquals: { "kms:ViaService": sub(`${service}.\${AWS::Region}.amazonaws.com`) },
  });
  /** A role of the stack uses the key, only through `service`. */
  const roleUses = (
    sid: string,
    roleArn: unknown,
    actions: readonly string[],
    service: string,
  ): PolicyStatement => ({
    Sid: sid,
    Effect: "Allow",
    Principal: { AWS: roleArn },
    Action: actions,
    Resource: "*",
    Condition: via(service),
  });
  // Receiving from an SSE-KMS queue takes kms:Decrypt; sending, kms:GenerateDataKey and
  // kms:Decrypt. https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-key-management.html
  const sends = ["kms:Decrypt", "kms:GenerateDataKey"];
  const key = (logicalId: string, description: string, statements: PolicyStatement[]) => ({
    [logicalId]: {
      Type: "AWS::KMS::Key",
      Properties: {
        Description: `backup-validator ${inputs.stage}: ${description}`,
        EnableKeyRotation: true,
        PendingWindowInDays: 30,
        KeyPolicy: keyPolicy(statements),
        Tags: deployScopeTags(inputs),
      },
    } satisfies Resource,
    [`${logicalId}Alias`]: {
      Type: "AWS::KMS::Alias",
      Properties: {
        AliasName: `alias/${names.primaryStack}-${logicalId.replace(/Key$/, "").toLowerCase()}`,
        TargetKeyId: ref(logicalId),
      },
    } satisfies Resource,
  });
  const logGroupArns = Object.values(names.functions).map((functionName) =>
    sub(
      `arn:\${AWS::Partition}:logs:\${AWS::Region}:\${AWS::AccountId}:log-group:${lambdaLogGroupName(functionName)}`,
    ),
  );
  return {
    ...key(LOGICAL_IDS.queueKey, "the SQS queues", [
      {
        // EventBridge encrypts what it sends to the validation queue and its DLQ; SQS calls
        // KMS on its behalf. https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-troubleshooting.html
        // Only for the stage's Object Created rule (confused deputy). Its ARN is built from its
        // name: a GetAtt would be a cycle (the rule targets the queue, which names this key).
        // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-key-management.html
        Sid: "EventBridgeSendsToEncryptedQueues",
        Effect: "Allow",
        Principal: { Service: "events.amazonaws.com" },
        Action: ["kms:GenerateDataKey", "kms:Decrypt"],
        Resource: "*",
        Condition: {
          StringEquals: { "aws:SourceAccount": ref("AWS::AccountId") },
          ArnEquals: { "aws:SourceArn": eventRuleArn(names.objectCreatedRule) },
        },
      },
      roleUses("ChecksumValidatorReceivesAndSends", role("checksum-validator"), sends, "sqs"),
      roleUses("FailureNotifierReceives", role("failure-notifier"), ["kms:Decrypt"], "sqs"),
      roleUses("AuditWorkerReports", role("audit-worker"), sends, "sqs"),
      // Scheduler sends what it could not deliver to its DLQ with the schedule's role.
      // https://docs.aws.amazon.com/scheduler/latest/UserGuide/configuring-schedule-dlq.html
      ...(inputs.auditSchedule === undefined
        ? []
        : [
            roleUses(
              "AuditSchedulerDeadLetters",
              getAtt(LOGICAL_IDS.auditSchedulerRole, "Arn"),
              sends,
              "sqs",
            ),
          ]),
    ]),
    ...key(LOGICAL_IDS.topicKey, "the alert topic", [
      // Publishing to an SSE-KMS topic: kms:GenerateDataKey* and kms:Decrypt.
      // https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html
      roleUses(
        "FailureNotifierPublishes",
        role("failure-notifier"),
        ["kms:GenerateDataKey*", "kms:Decrypt"],
        "sns",
      ),
    ]),
    ...key(LOGICAL_IDS.alarmTopicKey, "the alarm topic", [
      {
        // Alarm actions publish to an encrypted topic only through a customer-managed key
        // that allows CloudWatch. https://repost.aws/knowledge-center/cloudwatch-receive-sns-for-alarm-trigger
        Sid: "CloudWatchAlarmsPublish",
        Effect: "Allow",
        Principal: { Service: "cloudwatch.amazonaws.com" },
        Action: ["kms:GenerateDataKey*", "kms:Decrypt"],
        Resource: "*",
        Condition: { StringEquals: { "aws:SourceAccount": ref("AWS::AccountId") } },
      },
    ]),
    ...key(LOGICAL_IDS.logsKey, "the function log groups", [
      {
        // https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html
        Sid: "CloudWatchLogsEncryptsFunctionLogs",
        Effect: "Allow",
        Principal: { Service: sub(`logs.\${AWS::Region}.amazonaws.com`) },
        Action: [
          "kms:Encrypt",
          "kms:Decrypt",
          "kms:ReEncryptFrom",
          "kms:ReEncryptTo",
          "kms:GenerateDataKey",
          "kms:GenerateDataKeyWithoutPlaintext",
          "kms:DescribeKey",
        ],
        Resource: "*",
        Condition: { ArnEquals: { "kms:EncryptionContext:aws:logs:arn": logGroupArns } },
      },
    ]),
  };
}
