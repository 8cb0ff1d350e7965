/**
 * The scheduled audit's infrastructure (README, "Audit at scale"): the inventory bucket that S3
 * Inventory of every primary bucket writes to and the audit jobs report into, the role S3 Batch
 * Operations assumes to run a job, and, unless the schedule is off, the EventBridge Scheduler
 * schedule that invokes the audit-starter with its own role and dead-letter queue. The
 * inventory configurations themselves are on the primary buckets (buckets.ts); the two
 * functions and their roles are declared with the others (serverless.yml, roles.ts).
 */
import { INVENTORY_PREFIX, JOB_REPORTS_PREFIX } from "../../../shared/contracts/inventory.ts";
import { type ResourceNames, settings } from "../../settings.ts";
import type { StackInputs } from "../inputs.ts";
import {
  getAtt,
  lambdaFunctionArn,
  type PolicyStatement,
  policyDocument,
  type Resource,
  type Resources,
  ref,
  s3BucketArn,
  s3EncryptionContext,
  sqsQueueArn,
  sub,
} from "../intrinsics.ts";
import { ABORT_INCOMPLETE_UPLOADS, DATA_KEY, dataBucket, tlsOnlyBucketPolicy } from "../storage.ts";
import { LOGICAL_IDS } from "./logical-ids.ts";
import { queuePolicy } from "./queues.ts";

export function auditResources(inputs: StackInputs, names: ResourceNames): Resources {
  return {
    [LOGICAL_IDS.inventoryBucket]: inventoryBucket(inputs, names),
    [`${LOGICAL_IDS.inventoryBucket}Policy`]: inventoryBucketPolicy(inputs, names),
    [LOGICAL_IDS.auditJobRole]: jobRole(inputs, names),
    ...(inputs.auditSchedule === undefined
      ? {}
      : scheduleResources(inputs, names, inputs.auditSchedule)),
  };
}

/** Objects under a prefix of the inventory bucket, as an ARN built from its name. */
export const inventoryObjectsArn = (names: ResourceNames, prefix: string) =>
  sub(`arn:\${AWS::Partition}:s3:::${names.inventoryBucket}/${prefix}/*`);

/**
 * With SSE-KMS the inventory bucket's default key is the data key: S3 encrypts the inventories
 * it delivers with it, for the stack's primary buckets in this account only. (The AWS managed
 * aws/s3 key cannot be used for inventories.)
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/configure-inventory.html
 */
export function inventoryDeliveryKeyStatement(names: ResourceNames): PolicyStatement {
  return {
    Sid: "S3InventoryDelivery",
    Effect: "Allow",
    Principal: { Service: "s3.amazonaws.com" },
    Action: "kms:GenerateDataKey",
    Resource: "*",
    Condition: {
      StringEquals: { "aws:SourceAccount": ref("AWS::AccountId") },
      // Names, not Ref: the key, the primary buckets and the inventory bucket would be a cycle.
      ArnLike: { "aws:SourceArn": names.buckets.map((pair) => s3BucketArn(pair.primaryBucket)) },
    },
  };
}

/**
 * Encrypted like the data buckets (with SSE-KMS, the data key: the inventories list the data's
 * keys), versioned, private, logged, and retained with the stack's removal like every bucket
 * holding records. Inventories expire after a short while (the starter uses the newest); the
 * jobs' completion reports, each run's integrity record, are kept `reportRetentionDays`, and
 * an overwritten or deleted report stays as a noncurrent version for as long.
 */
function inventoryBucket(inputs: StackInputs, names: ResourceNames): Resource {
  const { audit } = settings;
  return dataBucket(inputs, names.inventoryBucket, "inventory-bucket/", {
    LifecycleConfiguration: {
      Rules: [
        {
          Id: "expire-inventories",
          Status: "Enabled",
          Prefix: `${INVENTORY_PREFIX}/`,
          ExpirationInDays: audit.inventoryRetentionDays,
          NoncurrentVersionExpiration: { NoncurrentDays: 1 },
          ...ABORT_INCOMPLETE_UPLOADS,
        },
        {
          Id: "expire-job-reports",
          Status: "Enabled",
          Prefix: `${JOB_REPORTS_PREFIX}/`,
          ExpirationInDays: audit.reportRetentionDays,
          NoncurrentVersionExpiration: { NoncurrentDays: audit.reportRetentionDays },
          ...ABORT_INCOMPLETE_UPLOADS,
        },
      ],
    },
  });
}

/**
 * TLS only; S3 may deliver inventories of the stack's primary buckets in this account only (the
 * confused-deputy conditions of AWS's example; with the API, unlike the console, this policy is
 * ours to write); and the completion reports are written by the audit job's role alone and
 * deleted by no one but the lifecycle (and the break-glass role, when there is one).
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/example-bucket-policies.html#example-bucket-policies-s3-inventory-1
 */
function inventoryBucketPolicy(inputs: StackInputs, names: ResourceNames): Resource {
  const writers = [
    getAtt(LOGICAL_IDS.auditJobRole, "Arn"),
    ...(inputs.breakGlassRoleArn === undefined ? [] : [inputs.breakGlassRoleArn]),
  ];
  return tlsOnlyBucketPolicy(LOGICAL_IDS.inventoryBucket, [
    {
      Sid: "S3InventoryDelivery",
      Effect: "Allow",
      Principal: { Service: "s3.amazonaws.com" },
      Action: "s3:PutObject",
      Resource: inventoryObjectsArn(names, INVENTORY_PREFIX),
      Condition: {
        // Built from the names, not Ref: the primary buckets name this bucket as destination.
        ArnLike: { "aws:SourceArn": names.buckets.map((pair) => s3BucketArn(pair.primaryBucket)) },
        StringEquals: {
          "aws:SourceAccount": ref("AWS::AccountId"),
          "s3:x-amz-acl": "bucket-owner-full-control",
        },
      },
    },
    {
      Sid: "JobReportsWrittenByTheAuditJobOnly",
      Effect: "Deny",
      Principal: "*",
      Action: ["s3:PutObject", "s3:DeleteObject", "s3:DeleteObjectVersion"],
      Resource: inventoryObjectsArn(names, JOB_REPORTS_PREFIX),
      Condition: { ArnNotEquals: { "aws:PrincipalArn": writers } },
    },
  ]);
}

/**
 * The role S3 Batch Operations assumes for an audit job: read the inventory's manifest and data
 * files, invoke the audit-worker, write the completion report. Only for jobs of this account.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/batch-ops-iam-role-policies.html
 */
function jobRole(inputs: StackInputs, names: ResourceNames): Resource {
  const statements: PolicyStatement[] = [
    {
      // Batch Operations calls the function with this role's credentials: no resource policy
      // on the function is needed. https://docs.aws.amazon.com/AmazonS3/latest/userguide/batch-ops-invoke-lambda.html
      Sid: "InvokeAuditWorker",
      Effect: "Allow",
      Action: "lambda:InvokeFunction",
      Resource: lambdaFunctionArn(names.functions["audit-worker"]),
    },
    {
      Sid: "ReadInventories",
      Effect: "Allow",
      Action: ["s3:GetObject", "s3:GetObjectVersion"],
      Resource: inventoryObjectsArn(names, INVENTORY_PREFIX),
    },
    {
      // Completion reports are always SSE-S3, whatever the bucket's default: no KMS needed.
      // https://docs.aws.amazon.com/AmazonS3/latest/userguide/batch-ops-examples-reports.html
      Sid: "WriteCompletionReports",
      Effect: "Allow",
      Action: "s3:PutObject",
      Resource: inventoryObjectsArn(names, JOB_REPORTS_PREFIX),
    },
  ];
  if (inputs.bucketEncryption === "SSE-KMS") {
    statements.push(decryptInventories(inputs, names, "ReadKmsInventories"));
  }
  return {
    Type: "AWS::IAM::Role",
    Properties: {
      Description: `S3 Batch Operations audit jobs of backup-validator ${inputs.stage}`,
      AssumeRolePolicyDocument: trustedBy("batchoperations.s3.amazonaws.com"),
      Policies: [{ PolicyName: "audit-job", PolicyDocument: policyDocument(statements) }],
    },
  };
}

/** A trust policy: `service` may assume the role, for this account's resources only. */
function trustedBy(service: string) {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { Service: service },
        Action: "sts:AssumeRole",
        Condition: { StringEquals: { "aws:SourceAccount": ref("AWS::AccountId") } },
      },
    ],
  };
}

/** kms:Decrypt of the data key through S3, for objects of the inventory bucket only. */
export function decryptInventories(
  inputs: StackInputs,
  names: ResourceNames,
  sid: string,
): PolicyStatement {
  return {
    Sid: sid,
    Effect: "Allow",
    Action: "kms:Decrypt",
    Resource: getAtt(DATA_KEY, "Arn"),
    Condition: {
      StringEquals: { "kms:ViaService": `s3.${inputs.primaryRegion}.amazonaws.com` },
      StringLike: s3EncryptionContext([names.inventoryBucket]),
    },
  };
}

/**
 * The schedule (when not "off"), its role and its dead-letter queue. Scheduler invokes the
 * starter asynchronously; its retry policy and DLQ cover invocations it could not deliver
 * (permissions, a missing function, throttling), the starter's own errors are Lambda's (its
 * errors alarm). osls's `schedule: method: scheduler` would give the schedule the function's
 * own role and neither retry policy nor DLQ, so the resource is written here.
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-scheduler-schedule.html
 * https://docs.aws.amazon.com/scheduler/latest/UserGuide/configuring-schedule-dlq.html
 */
function scheduleResources(
  inputs: StackInputs,
  names: ResourceNames,
  expression: string,
): Resources {
  const { audit } = settings;
  return {
    [LOGICAL_IDS.auditSchedule]: {
      Type: "AWS::Scheduler::Schedule",
      Properties: {
        Name: names.auditSchedule,
        Description: `Starts the backup-validator ${inputs.stage} audit of every primary bucket`,
        ScheduleExpression: expression,
        ScheduleExpressionTimezone: "UTC",
        State: "ENABLED",
        FlexibleTimeWindow: { Mode: "OFF" },
        Target: {
          Arn: getAtt(LOGICAL_IDS.functions["audit-starter"], "Arn"),
          RoleArn: getAtt(LOGICAL_IDS.auditSchedulerRole, "Arn"),
          Input: JSON.stringify({ trigger: "schedule" }),
          RetryPolicy: {
            MaximumRetryAttempts: audit.scheduleRetry.maximumRetryAttempts,
            MaximumEventAgeInSeconds: audit.scheduleRetry.maximumEventAgeSeconds,
          },
          DeadLetterConfig: { Arn: getAtt(LOGICAL_IDS.auditScheduleDlq, "Arn") },
        },
      },
    },
    [LOGICAL_IDS.auditSchedulerRole]: {
      Type: "AWS::IAM::Role",
      Properties: {
        Description: `EventBridge Scheduler starts the backup-validator ${inputs.stage} audit`,
        // Confused deputy: only schedules of this account.
        // https://docs.aws.amazon.com/scheduler/latest/UserGuide/setting-up.html
        AssumeRolePolicyDocument: trustedBy("scheduler.amazonaws.com"),
        Policies: [
          {
            PolicyName: "start-audit",
            PolicyDocument: policyDocument([
              {
                Sid: "InvokeAuditStarter",
                Effect: "Allow",
                Action: "lambda:InvokeFunction",
                Resource: lambdaFunctionArn(names.functions["audit-starter"]),
              },
              {
                // The DLQ is encrypted with the queue key, whose policy lets this role use it
                // through SQS (keys.ts).
                Sid: "DeadLetterUndeliveredStarts",
                Effect: "Allow",
                Action: "sqs:SendMessage",
                Resource: sqsQueueArn(names.auditScheduleDlq),
              },
            ]),
          },
        ],
      },
    },
    [LOGICAL_IDS.auditScheduleDlq]: {
      Type: "AWS::SQS::Queue",
      Properties: {
        QueueName: names.auditScheduleDlq,
        KmsMasterKeyId: getAtt(LOGICAL_IDS.queueKey, "Arn"),
        MessageRetentionPeriod: settings.queues.dlqMessageRetentionSeconds,
      },
    },
    [`${LOGICAL_IDS.auditScheduleDlq}Policy`]: queuePolicy(LOGICAL_IDS.auditScheduleDlq, false),
  };
}
