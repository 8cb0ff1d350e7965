/** The validation and failure queues, their dead-letter queues and queue policies. */
import { type ResourceNames, settings } from "../../settings.ts";
import {
  getAtt,
  type PolicyStatement,
  policyDocument,
  type Resource,
  type Resources,
  ref,
  sqsQueueArn,
} from "../intrinsics.ts";
import { LOGICAL_IDS } from "./logical-ids.ts";

export function queueResources(names: ResourceNames): Resources {
  const { maxReceiveCount, dlqMessageRetentionSeconds } = settings.queues;
  const encrypted = { KmsMasterKeyId: getAtt(LOGICAL_IDS.queueKey, "Arn") };
  const pair = (
    queueId: string,
    dlqId: string,
    queueName: string,
    dlqName: string,
    queue: { visibilityTimeoutSeconds: number; messageRetentionSeconds: number },
    allowEventBridge: boolean,
  ): Resources => ({
    [queueId]: {
      Type: "AWS::SQS::Queue",
      Properties: {
        QueueName: queueName,
        ...encrypted,
        VisibilityTimeout: queue.visibilityTimeoutSeconds,
        MessageRetentionPeriod: queue.messageRetentionSeconds,
        RedrivePolicy: { deadLetterTargetArn: getAtt(dlqId, "Arn"), maxReceiveCount },
      },
    },
    [dlqId]: {
      Type: "AWS::SQS::Queue",
      Properties: {
        QueueName: dlqName,
        ...encrypted,
        // Longer than the source queue's retention: a message keeps its original enqueue
        // time when it moves to a DLQ.
        MessageRetentionPeriod: dlqMessageRetentionSeconds,
        RedriveAllowPolicy: {
          redrivePermission: "byQueue",
          sourceQueueArns: [sqsQueueArn(queueName)],
        },
      },
    },
    [`${queueId}Policy`]: queuePolicy(queueId, allowEventBridge),
    [`${dlqId}Policy`]: queuePolicy(dlqId, allowEventBridge),
  });
  return {
    ...pair(
      LOGICAL_IDS.validationQueue,
      LOGICAL_IDS.validationDlq,
      names.validationQueue,
      names.validationDlq,
      settings.queues.validation,
      true,
    ),
    ...pair(
      LOGICAL_IDS.failureQueue,
      LOGICAL_IDS.failureDlq,
      names.failureQueue,
      names.failureDlq,
      settings.queues.failure,
      false,
    ),
  };
}

/** TLS only; the validation queue and its DLQ (the rule target's DLQ) also accept the rule. */
export function queuePolicy(queueId: string, allowEventBridge: boolean): Resource {
  const queueArn = getAtt(queueId, "Arn");
  const statements: PolicyStatement[] = [
    {
      Sid: "DenyInsecureTransport",
      Effect: "Deny",
      Principal: "*",
      Action: "sqs:*",
      Resource: queueArn,
      Condition: { Bool: { "aws:SecureTransport": "false" } },
    },
  ];
  if (allowEventBridge) {
    statements.push({
      Sid: "ObjectCreatedRuleSends",
      Effect: "Allow",
      Principal: { Service: "events.amazonaws.com" },
      Action: "sqs:SendMessage",
      Resource: queueArn,
      Condition: { ArnEquals: { "aws:SourceArn": getAtt(LOGICAL_IDS.rule, "Arn") } },
    });
  }
  return {
    Type: "AWS::SQS::QueuePolicy",
    Properties: { Queues: [ref(queueId)], PolicyDocument: policyDocument(statements) },
  };
}
