/**
 * Function roles: one each, nothing shared. KMS use is granted in the key policies (which name
 * these roles), so the roles reference queues and the topic by ARN built from their names.
 */
import { INVENTORY_PREFIX } from "../../../shared/contracts/inventory.ts";
import { type FunctionKey, type ResourceNames, settings } from "../../settings.ts";
import type { StackInputs } from "../inputs.ts";
import {
  dynamoDbTableArn,
  getAtt,
  lambdaLogGroupName,
  logGroupArn,
  type PolicyStatement,
  policyDocument,
  type Resource,
  type Resources,
  s3BucketArn,
  s3EncryptionContext,
  s3ObjectsArn,
  snsTopicArn,
  sqsQueueArn,
} from "../intrinsics.ts";
import { DATA_KEY } from "../storage.ts";
import { LOGICAL_IDS } from "./logical-ids.ts";
import type { ReplicaFacts } from "./replica-facts.ts";

export function functionRoles(
  inputs: StackInputs,
  names: ResourceNames,
  replica: ReplicaFacts,
): Resources {
  const primaries = names.buckets.map((pair) => pair.primaryBucket);
  const replicas = names.buckets.map((pair) => pair.replicaBucket);
  const validationQueue = sqsQueueArn(names.validationQueue);
  const failureQueue = sqsQueueArn(names.failureQueue);
  // HeadObject with ChecksumMode ENABLED on an SSE-KMS object returns the checksum only if the
  // caller may kms:Decrypt with the object's key ("If you enable checksum mode and the object is
  // ... encrypted with an AWS KMS key, you must have permission to use the kms:Decrypt action"),
  // and deep verification's ranged GetObject of such an object needs the same, through S3 only.
  // https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html
  // https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html
  // Only through S3, and only for objects of the paired buckets (their encryption context).
  const decryptThroughS3 = (
    sid: string,
    keyArn: unknown,
    region: string,
    buckets: readonly string[],
  ): PolicyStatement => ({
    Sid: sid,
    Effect: "Allow",
    Action: ["kms:Decrypt"],
    Resource: keyArn,
    Condition: {
      StringEquals: { "kms:ViaService": `s3.${region}.amazonaws.com` },
      StringLike: s3EncryptionContext(buckets),
    },
  });
  const checksumsOfKmsObjects =
    inputs.bucketEncryption === "SSE-KMS"
      ? [
          decryptThroughS3(
            "ReadChecksumsOfKmsPrimaryObjects",
            getAtt(DATA_KEY, "Arn"),
            inputs.primaryRegion,
            primaries,
          ),
          decryptThroughS3(
            "ReadChecksumsOfKmsReplicaObjects",
            replica.dataKeyArn,
            inputs.replicaRegion,
            replicas,
          ),
        ]
      : [];
  // The validator and the audit-worker check objects the same way (one engine).
  const readPairedObjects: PolicyStatement[] = [
    {
      // HeadObject (with PartNumber too, for part layouts) and deep verification's ranged
      // GetObject need s3:GetObject (s3:GetObjectVersion for a version id); s3:ListBucket
      // turns a missing key into 404 instead of 403.
      Sid: "HeadPrimaryAndReplicaObjects",
      Effect: "Allow",
      Action: ["s3:GetObject", "s3:GetObjectVersion"],
      Resource: [...primaries, ...replicas].map(s3ObjectsArn),
    },
    {
      Sid: "ListPairedBuckets",
      Effect: "Allow",
      Action: ["s3:ListBucket"],
      Resource: [...primaries, ...replicas].map(s3BucketArn),
    },
    ...checksumsOfKmsObjects,
  ];
  return {
    [LOGICAL_IDS.roles["checksum-validator"]]: lambdaRole(names, "checksum-validator", [
      ...readPairedObjects,
      {
        Sid: "ConsumeValidationQueue",
        Effect: "Allow",
        Action: ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"],
        Resource: validationQueue,
      },
      {
        Sid: "RequeuePendingChecksAndReportFailures",
        Effect: "Allow",
        Action: ["sqs:SendMessage"],
        Resource: [validationQueue, failureQueue],
      },
    ]),
    [LOGICAL_IDS.roles["failure-notifier"]]: lambdaRole(names, "failure-notifier", [
      {
        Sid: "ConsumeFailureQueue",
        Effect: "Allow",
        Action: ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"],
        Resource: failureQueue,
      },
      {
        Sid: "PublishAlerts",
        Effect: "Allow",
        Action: ["sns:Publish"],
        Resource: snsTopicArn(names.alertTopic),
      },
      {
        // What Powertools idempotency calls: a conditional put claims a report, an update
        // marks it sent, a delete releases it when the publish failed, a get reads it back.
        // https://docs.powertools.aws.dev/lambda/typescript/latest/features/idempotency/#iam-permissions
        Sid: "RecordAlertsSent",
        Effect: "Allow",
        Action: [
          "dynamodb:GetItem",
          "dynamodb:PutItem",
          "dynamodb:UpdateItem",
          "dynamodb:DeleteItem",
        ],
        Resource: dynamoDbTableArn(names.alertsSentTable),
      },
    ]),
    [LOGICAL_IDS.roles["audit-starter"]]: lambdaRole(names, "audit-starter", [
      {
        // The newest complete inventory is found by listing alone (folder names, manifest.json's
        // ETag): no object is read, so neither s3:GetObject nor the data key is needed.
        Sid: "ListInventories",
        Effect: "Allow",
        Action: "s3:ListBucket",
        Resource: s3BucketArn(names.inventoryBucket),
        Condition: { StringLike: { "s3:prefix": [`${INVENTORY_PREFIX}/*`] } },
      },
      {
        // CreateJob has no resource-level permissions; its condition keys narrow it to audit
        // jobs (LambdaInvoke) at the configured priority at most.
        // https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html
        Sid: "CreateAuditJobs",
        Effect: "Allow",
        Action: "s3:CreateJob",
        Resource: "*",
        Condition: {
          StringEquals: { "s3:RequestJobOperation": "LambdaInvoke" },
          NumericLessThanEquals: { "s3:RequestJobPriority": settings.audit.jobPriority },
        },
      },
      {
        // "To create a job, ... must also have the iam:PassRole permission" for the job's role.
        // https://docs.aws.amazon.com/AmazonS3/latest/userguide/batch-ops-iam-role-policies.html
        Sid: "PassTheAuditJobRole",
        Effect: "Allow",
        Action: "iam:PassRole",
        Resource: getAtt(LOGICAL_IDS.auditJobRole, "Arn"),
        Condition: { StringEquals: { "iam:PassedToService": "batchoperations.s3.amazonaws.com" } },
      },
    ]),
    [LOGICAL_IDS.roles["audit-worker"]]: lambdaRole(names, "audit-worker", [
      ...readPairedObjects,
      {
        Sid: "ReportProblems",
        Effect: "Allow",
        Action: ["sqs:SendMessage"],
        Resource: failureQueue,
      },
    ]),
  };
}

function lambdaRole(
  names: ResourceNames,
  fn: FunctionKey,
  statements: PolicyStatement[],
): Resource {
  return {
    Type: "AWS::IAM::Role",
    Properties: {
      Description: `${names.functions[fn]} (Lambda)`,
      AssumeRolePolicyDocument: {
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Principal: { Service: "lambda.amazonaws.com" },
            Action: "sts:AssumeRole",
          },
        ],
      },
      Policies: [
        {
          PolicyName: fn,
          PolicyDocument: policyDocument([
            {
              Sid: "WriteOwnLogs",
              Effect: "Allow",
              Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
              Resource: logGroupArn(lambdaLogGroupName(names.functions[fn])),
            },
            ...statements,
          ]),
        },
      ],
    },
  };
}
