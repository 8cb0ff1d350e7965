/** Buckets, bucket policies and the data key, shared by the primary and the replica stack. */
import { settings } from "../settings.ts";
import type { StackInputs } from "./inputs.ts";
import {
  getAtt,
  type PolicyStatement,
  policyDocument,
  type Resource,
  type Resources,
  ref,
  s3BucketArn,
  sub,
  type Value,
} from "./intrinsics.ts";

export const ACCESS_LOGS_BUCKET = "AccessLogsBucket";
export const DATA_KEY = "DataKey";
export const DEPLOYMENT_BUCKET = "ServerlessDeploymentBucket";

/** A backup system must not destroy backups: the stack's removal leaves the data in place. */
const RETAIN = { DeletionPolicy: "Retain", UpdateReplacePolicy: "Retain" } as const;

const BLOCK_ALL_PUBLIC_ACCESS = {
  BlockPublicAcls: true,
  BlockPublicPolicy: true,
  IgnorePublicAcls: true,
  RestrictPublicBuckets: true,
};

// ACLs off: the bucket owner owns every object, including replicas and access logs.
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/about-object-ownership.html
const OWNER_ENFORCED = { Rules: [{ ObjectOwnership: "BucketOwnerEnforced" }] };

// S3 needs nothing more than this flag to send events to the default bus of its region.
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-event-notifications-eventbridge.html
const EVENTBRIDGE_NOTIFICATIONS = { EventBridgeConfiguration: { EventBridgeEnabled: true } };

export const ABORT_INCOMPLETE_UPLOADS = {
  AbortIncompleteMultipartUpload: {
    DaysAfterInitiation: settings.lifecycle.abortIncompleteMultipartUploadDays,
  },
};

const DATA_LIFECYCLE = {
  Rules: [
    {
      Id: "noncurrent-versions-and-incomplete-uploads",
      Status: "Enabled",
      NoncurrentVersionTransitions: [
        {
          StorageClass: "GLACIER_IR",
          TransitionInDays: settings.lifecycle.noncurrentToGlacierIrDays,
        },
      ],
      NoncurrentVersionExpiration: { NoncurrentDays: settings.lifecycle.noncurrentExpirationDays },
      ...ABORT_INCOMPLETE_UPLOADS,
    },
  ],
};

/** Default encryption: SSE-S3, or SSE-KMS with this stack's data key (and S3 Bucket Keys). */
export function defaultEncryption(inputs: StackInputs) {
  const byDefault =
    inputs.bucketEncryption === "SSE-KMS"
      ? { SSEAlgorithm: "aws:kms", KMSMasterKeyID: getAtt(DATA_KEY, "Arn") }
      : { SSEAlgorithm: "AES256" };
  return {
    ServerSideEncryptionConfiguration: [
      {
        ServerSideEncryptionByDefault: byDefault,
        // Bucket Keys cut KMS requests (and cost) by orders of magnitude; no effect on SSE-S3.
        BucketKeyEnabled: inputs.bucketEncryption === "SSE-KMS",
      },
    ],
  };
}

/** A primary or replica data bucket; `extra` adds replication and the like. */
export function dataBucket(
  inputs: StackInputs,
  bucketName: string,
  accessLogPrefix: string,
  extra: Record<string, Value> = {},
): Resource {
  return {
    Type: "AWS::S3::Bucket",
    ...RETAIN,
    // Log delivery is authorised by the log bucket's policy: have it in place first.
    DependsOn: [`${ACCESS_LOGS_BUCKET}Policy`],
    Properties: {
      BucketName: sub(bucketName),
      VersioningConfiguration: { Status: "Enabled" },
      BucketEncryption: defaultEncryption(inputs),
      PublicAccessBlockConfiguration: BLOCK_ALL_PUBLIC_ACCESS,
      OwnershipControls: OWNER_ENFORCED,
      LifecycleConfiguration: DATA_LIFECYCLE,
      NotificationConfiguration: EVENTBRIDGE_NOTIFICATIONS,
      LoggingConfiguration: {
        DestinationBucketName: ref(ACCESS_LOGS_BUCKET),
        LogFilePrefix: accessLogPrefix,
      },
      ...extra,
    },
  };
}

/** Denies every request that does not use TLS (CT.S3.PR.8). */
export function tlsOnlyBucketPolicy(
  bucketLogicalId: string,
  more: readonly PolicyStatement[] = [],
): Resource {
  const bucketArn = getAtt(bucketLogicalId, "Arn");
  return {
    Type: "AWS::S3::BucketPolicy",
    Properties: {
      Bucket: ref(bucketLogicalId),
      PolicyDocument: policyDocument([
        {
          Sid: "DenyInsecureTransport",
          Effect: "Deny",
          Principal: "*",
          Action: "s3:*",
          Resource: [bucketArn, { "Fn::Join": ["", [bucketArn, "/*"]] }],
          Condition: { Bool: { "aws:SecureTransport": "false" } },
        },
        ...more,
      ]),
    },
  };
}

/**
 * The bucket that receives this region's S3 server access logs. Log delivery supports SSE-S3
 * only as the destination's default encryption, and a bucket must not log into itself.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html
 */
export function accessLogsResources(
  bucketName: string,
  sourceBucketNames: readonly string[],
): Resources {
  return {
    [ACCESS_LOGS_BUCKET]: {
      Type: "AWS::S3::Bucket",
      ...RETAIN,
      Properties: {
        BucketName: sub(bucketName),
        VersioningConfiguration: { Status: "Enabled" },
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [
            { ServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" } },
          ],
        },
        PublicAccessBlockConfiguration: BLOCK_ALL_PUBLIC_ACCESS,
        OwnershipControls: OWNER_ENFORCED,
        NotificationConfiguration: EVENTBRIDGE_NOTIFICATIONS,
        LifecycleConfiguration: {
          Rules: [
            {
              Id: "expire-access-logs",
              Status: "Enabled",
              ExpirationInDays: settings.accessLogRetentionDays,
              NoncurrentVersionExpiration: { NoncurrentDays: 1 },
              ...ABORT_INCOMPLETE_UPLOADS,
            },
          ],
        },
      },
    },
    [`${ACCESS_LOGS_BUCKET}Policy`]: tlsOnlyBucketPolicy(ACCESS_LOGS_BUCKET, [
      {
        // With BucketOwnerEnforced, log delivery is granted by bucket policy, not by ACL.
        Sid: "AllowServerAccessLogDelivery",
        Effect: "Allow",
        Principal: { Service: "logging.s3.amazonaws.com" },
        Action: "s3:PutObject",
        Resource: { "Fn::Join": ["", [getAtt(ACCESS_LOGS_BUCKET, "Arn"), "/*"]] },
        Condition: {
          StringEquals: { "aws:SourceAccount": ref("AWS::AccountId") },
          ArnLike: {
            "aws:SourceArn": [
              ...sourceBucketNames.map(s3BucketArn),
              // The Serverless deployment bucket has a generated name.
              sub(`arn:\${AWS::Partition}:s3:::\${${DEPLOYMENT_BUCKET}}`),
            ],
          },
        },
      },
    ]),
  };
}

/**
 * Tag on every KMS key of a stage's two stacks. The GitHub deploy role
 * (resources/github-oidc-deploy-role.yml) creates keys only with this tag (aws:RequestTag) and
 * changes, disables or deletes only keys that carry it (aws:ResourceTag): key ARNs are random
 * IDs, so the tag is what tells this stage's keys from the account's other keys.
 */
export const DEPLOY_SCOPE_TAG = "deploy-scope";

export function deployScopeTags(inputs: StackInputs) {
  return [{ Key: DEPLOY_SCOPE_TAG, Value: `${settings.service}-${inputs.stage}` }];
}

/**
 * Customer-managed key for the data buckets of one region (only with SSE-KMS), with `statements`
 * added to its policy.
 */
export function dataKeyResources(
  inputs: StackInputs,
  description: string,
  statements: readonly PolicyStatement[] = [],
): Resources {
  if (inputs.bucketEncryption !== "SSE-KMS") return {};
  return {
    [DATA_KEY]: {
      Type: "AWS::KMS::Key",
      // Objects in the retained buckets stay encrypted with this key: deleting it with the
      // stack would make every backup unreadable.
      ...RETAIN,
      Properties: {
        Description: description,
        EnableKeyRotation: true,
        PendingWindowInDays: 30,
        KeyPolicy: keyPolicy(statements),
        Tags: deployScopeTags(inputs),
      },
    },
  };
}

/**
 * Key policy: the account administers the key (so IAM policies apply), only AWS services may
 * create grants (CT.KMS.PR.3), plus the statements given.
 * https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html
 */
export function keyPolicy(statements: readonly PolicyStatement[]) {
  return policyDocument([
    {
      Sid: "AccountAdministersKey",
      Effect: "Allow",
      Principal: { AWS: sub(`arn:\${AWS::Partition}:iam::\${AWS::AccountId}:root`) },
      Action: "kms:*",
      Resource: "*",
    },
    {
      Sid: "OnlyAwsServicesCreateGrants",
      Effect: "Deny",
      Principal: "*",
      Action: ["kms:CreateGrant"],
      Resource: "*",
      Condition: {
        BoolIfExists: {
          "kms:GrantIsForAWSResource": "false",
          "aws:PrincipalIsAWSService": "false",
        },
      },
    },
    ...statements,
  ]);
}

/** Extra properties merged into the Serverless deployment bucket (osls `resources.extensions`). */
export function deploymentBucketExtension() {
  return {
    // osls's own TLS policy compares aws:SecureTransport with a boolean and builds the ARNs with
    // Fn::Join; this is the same denial in the form CT.S3.PR.8 recognises.
    [`${DEPLOYMENT_BUCKET}Policy`]: {
      Properties: {
        PolicyDocument: tlsOnlyBucketPolicy(DEPLOYMENT_BUCKET).Properties?.PolicyDocument,
      },
    },
    [DEPLOYMENT_BUCKET]: {
      // No DependsOn on the log bucket's policy, unlike the data buckets: that policy names
      // this bucket, which would make a cycle.
      Properties: {
        OwnershipControls: OWNER_ENFORCED,
        NotificationConfiguration: EVENTBRIDGE_NOTIFICATIONS,
        LoggingConfiguration: {
          DestinationBucketName: ref(ACCESS_LOGS_BUCKET),
          LogFilePrefix: "deployment-bucket/",
        },
        LifecycleConfiguration: {
          Rules: [
            {
              // Serverless keeps the artifacts of the last deployments itself; old versions of
              // overwritten objects are not needed.
              Id: "expire-noncurrent-artifacts",
              Status: "Enabled",
              NoncurrentVersionExpiration: { NoncurrentDays: 30 },
              ...ABORT_INCOMPLETE_UPLOADS,
            },
          ],
        },
      },
    },
  };
}
