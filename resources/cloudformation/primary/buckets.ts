/** Primary buckets, their replication to the replica stack's buckets, and the replication role. */
import {
  INVENTORY_CONFIGURATION_ID,
  INVENTORY_PREFIX,
} from "../../../shared/contracts/inventory.ts";
import type { ResourceNames } from "../../settings.ts";
import type { StackInputs } from "../inputs.ts";
import {
  getAtt,
  type PolicyStatement,
  policyDocument,
  type Resource,
  type Resources,
  ref,
  s3BucketArn,
  s3EncryptionContext,
  s3ObjectsArn,
} from "../intrinsics.ts";
import { DATA_KEY, dataBucket, tlsOnlyBucketPolicy } from "../storage.ts";
import { LOGICAL_IDS, primaryBucketLogicalId, replicationRuleId } from "./logical-ids.ts";
import type { ReplicaFacts } from "./replica-facts.ts";

/**
 * What the daily inventory lists beside bucket and key. The audit-worker HEADs both sides anyway
 * (Batch Operations passes it bucket, key and version only), so these serve people and tools
 * reading the inventory (Athena, a pre-filter on ReplicationStatus). ChecksumAlgorithm is the
 * algorithm, not the value. The spellings are CloudFormation's enum, smaller than the S3 API's.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/storage-inventory.html
 */
export const INVENTORY_FIELDS = [
  "Size",
  "ETag",
  "LastModifiedDate",
  "ReplicationStatus",
  "IsMultipartUploaded",
  "EncryptionStatus",
  "ChecksumAlgorithm",
] as const;

/**
 * The daily inventory of current versions, as CSV (the only format a Batch Operations job takes
 * from an inventory), into the stack's inventory bucket. Reports are encrypted by that bucket's
 * default encryption: CloudFormation has no property for the inventory's own encryption.
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-s3-bucket-inventoryconfiguration.html
 */
const INVENTORY_CONFIGURATION = {
  Id: INVENTORY_CONFIGURATION_ID,
  Enabled: true,
  // Current versions only: an "All" inventory lists null versions as empty strings, and Batch
  // Operations fails those tasks.
  IncludedObjectVersions: "Current",
  ScheduleFrequency: "Daily",
  OptionalFields: INVENTORY_FIELDS,
  Destination: {
    BucketArn: getAtt(LOGICAL_IDS.inventoryBucket, "Arn"),
    BucketAccountId: ref("AWS::AccountId"),
    Format: "CSV",
    Prefix: INVENTORY_PREFIX,
  },
};

export function bucketResources(inputs: StackInputs, names: ResourceNames, replica: ReplicaFacts) {
  const resources: Resources = {};
  const kms = inputs.bucketEncryption === "SSE-KMS";
  for (const pair of names.buckets) {
    const logicalId = primaryBucketLogicalId(pair.category);
    resources[logicalId] = dataBucket(inputs, pair.primaryBucket, `primary/${pair.category}/`, {
      InventoryConfigurations: [INVENTORY_CONFIGURATION],
      ReplicationConfiguration: {
        Role: getAtt(LOGICAL_IDS.replicationRole, "Arn"),
        Rules: [
          {
            Id: replicationRuleId(pair.category),
            Status: "Enabled",
            Priority: 1,
            // A Filter makes this a V2 rule, which is what allows delete-marker replication.
            Filter: { Prefix: "" },
            DeleteMarkerReplication: { Status: "Enabled" },
            ...(kms
              ? { SourceSelectionCriteria: { SseKmsEncryptedObjects: { Status: "Enabled" } } }
              : {}),
            Destination: {
              Bucket: s3BucketArn(pair.replicaBucket),
              // Replication metrics make OperationsFailedReplication and ReplicationLatency
              // exist; RTC (15-minute SLA) requires them.
              // https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-metrics.html
              Metrics: inputs.replicationTimeControl
                ? { Status: "Enabled", EventThreshold: { Minutes: 15 } }
                : { Status: "Enabled" },
              ...(inputs.replicationTimeControl
                ? { ReplicationTime: { Status: "Enabled", Time: { Minutes: 15 } } }
                : {}),
              ...(kms ? { EncryptionConfiguration: { ReplicaKmsKeyID: replica.dataKeyArn } } : {}),
            },
          },
        ],
      },
    });
    resources[`${logicalId}Policy`] = tlsOnlyBucketPolicy(logicalId);
  }
  resources[LOGICAL_IDS.replicationRole] = replicationRole(inputs, names, replica);
  return resources;
}

/**
 * Least-privilege CRR role.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/setting-repl-config-perm-overview.html
 */
function replicationRole(
  inputs: StackInputs,
  names: ResourceNames,
  replica: ReplicaFacts,
): Resource {
  const primaries = names.buckets.map((pair) => pair.primaryBucket);
  const replicas = names.buckets.map((pair) => pair.replicaBucket);
  const statements: PolicyStatement[] = [
    {
      Sid: "ReadReplicationConfiguration",
      Effect: "Allow",
      Action: ["s3:GetReplicationConfiguration", "s3:ListBucket"],
      Resource: primaries.map(s3BucketArn),
    },
    {
      Sid: "ReadSourceVersions",
      Effect: "Allow",
      Action: [
        "s3:GetObjectVersionForReplication",
        "s3:GetObjectVersionAcl",
        "s3:GetObjectVersionTagging",
      ],
      Resource: primaries.map(s3ObjectsArn),
    },
    ...(inputs.objectLock
      ? [
          {
            // Replicating into Object Lock buckets carries each version's retention and legal
            // hold along. https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock-managing.html
            Sid: "ReadSourceLockSettings",
            Effect: "Allow" as const,
            Action: ["s3:GetObjectRetention", "s3:GetObjectLegalHold"],
            Resource: primaries.map(s3ObjectsArn),
          },
        ]
      : []),
    {
      Sid: "WriteReplicas",
      Effect: "Allow",
      Action: ["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"],
      Resource: replicas.map(s3ObjectsArn),
    },
  ];
  if (inputs.bucketEncryption === "SSE-KMS") {
    // https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-config-for-kms-objects.html
    // With S3 Bucket Keys the encryption context is the bucket ARN, without them the object ARN.
    statements.push(
      {
        Sid: "DecryptSourceObjects",
        Effect: "Allow",
        Action: ["kms:Decrypt"],
        Resource: getAtt(DATA_KEY, "Arn"),
        Condition: {
          StringEquals: { "kms:ViaService": `s3.${inputs.primaryRegion}.amazonaws.com` },
          StringLike: s3EncryptionContext(primaries),
        },
      },
      {
        Sid: "EncryptReplicas",
        Effect: "Allow",
        Action: ["kms:Encrypt", "kms:GenerateDataKey"],
        Resource: replica.dataKeyArn,
        Condition: {
          StringEquals: { "kms:ViaService": `s3.${inputs.replicaRegion}.amazonaws.com` },
          StringLike: s3EncryptionContext(replicas),
        },
      },
    );
  }
  return {
    Type: "AWS::IAM::Role",
    Properties: {
      Description: `S3 Cross-Region Replication of backup-validator ${inputs.stage}`,
      RoleName: names.replicationRole,
      // Only S3 acting for this account's primary buckets may assume it (confused deputy).
      // https://docs.aws.amazon.com/AmazonS3/latest/userguide/setting-repl-config-perm-overview.html
      AssumeRolePolicyDocument: {
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Principal: { Service: "s3.amazonaws.com" },
            Action: "sts:AssumeRole",
            Condition: {
              StringEquals: { "aws:SourceAccount": ref("AWS::AccountId") },
              ArnLike: { "aws:SourceArn": primaries.map(s3BucketArn) },
            },
          },
        ],
      },
      Policies: [{ PolicyName: "replication", PolicyDocument: policyDocument(statements) }],
    },
  };
}
