/**
 * The replica stack, deployed first in the replica region: one replica bucket per category,
 * the region's access-log bucket and, with SSE-KMS, the region's data key.
 */
import { namesFor, type StackInputs } from "./inputs.ts";
import {
  getAtt,
  iamRoleArn,
  type Outputs,
  type PolicyStatement,
  pascalCase,
  type Resources,
  ref,
  sub,
  withPermissionsBoundary,
} from "./intrinsics.ts";
import {
  ACCESS_LOGS_BUCKET,
  accessLogsResources,
  DATA_KEY,
  dataBucket,
  dataKeyResources,
  deploymentBucketExtension,
  tlsOnlyBucketPolicy,
} from "./storage.ts";

/** Outputs the primary stack reads at deploy time with `${cf(<region>):<stack>.<output>}`. */
export const REPLICA_OUTPUTS = {
  bucketNames: "ReplicaBucketNames",
  bucketEncryption: "ReplicaBucketEncryption",
  dataKeyArn: "ReplicaDataKeyArn",
} as const;

/**
 * The replicas are the backups: nobody but replication may change them. The bucket policy
 * denies, to every principal (account root and administrators included):
 * - writing, deleting, re-tagging or re-locking replica objects, except the break-glass role;
 * - replicating into the bucket, except the stage's replication role (fixed name, primary stack);
 * - changing the bucket's protection (policy, versioning, lifecycle, Object Lock, replication,
 *   encryption, public access, deletion) except through CloudFormation (aws:CalledViaFirst:
 *   the stacks' own updates) or by the break-glass role.
 * Expiry by the bucket's lifecycle rules is S3's own action and not subject to bucket policies.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-calledviafirst
 */
export function backupProtection(
  bucketLogicalId: string,
  replicationRoleName: string,
  breakGlassRoleArn: string | undefined,
): PolicyStatement[] {
  const bucketArn = getAtt(bucketLogicalId, "Arn");
  const objectsArn = { "Fn::Join": ["", [bucketArn, "/*"]] };
  const exceptBreakGlass = breakGlassRoleArn
    ? { ArnNotEquals: { "aws:PrincipalArn": breakGlassRoleArn } }
    : {};
  return [
    {
      Sid: "OnlyBreakGlassChangesReplicas",
      Effect: "Deny",
      Principal: "*",
      Action: REPLICA_OBJECT_CHANGES,
      Resource: objectsArn,
      ...(breakGlassRoleArn ? { Condition: exceptBreakGlass } : {}),
    },
    {
      Sid: "OnlyTheStageReplicationRoleReplicates",
      Effect: "Deny",
      Principal: "*",
      Action: ["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"],
      Resource: objectsArn,
      Condition: { ArnNotEquals: { "aws:PrincipalArn": iamRoleArn(replicationRoleName) } },
    },
    {
      Sid: "ProtectionChangesOnlyThroughCloudFormation",
      Effect: "Deny",
      Principal: "*",
      Action: BUCKET_PROTECTION_CHANGES,
      Resource: bucketArn,
      Condition: {
        StringNotEqualsIfExists: { "aws:CalledViaFirst": "cloudformation.amazonaws.com" },
        ...exceptBreakGlass,
      },
    },
  ];
}

/** Everything that changes a replica object's bytes, existence, tags or lock. */
export const REPLICA_OBJECT_CHANGES = [
  "s3:PutObject",
  "s3:DeleteObject",
  "s3:DeleteObjectVersion",
  "s3:PutObjectTagging",
  "s3:PutObjectVersionTagging",
  "s3:DeleteObjectTagging",
  "s3:DeleteObjectVersionTagging",
  "s3:PutObjectRetention",
  "s3:PutObjectLegalHold",
  "s3:BypassGovernanceRetention",
] as const;

/** Everything that changes how a replica bucket protects its objects. */
export const BUCKET_PROTECTION_CHANGES = [
  "s3:PutBucketPolicy",
  "s3:DeleteBucketPolicy",
  "s3:PutBucketVersioning",
  "s3:PutLifecycleConfiguration",
  "s3:PutBucketObjectLockConfiguration",
  "s3:PutReplicationConfiguration",
  "s3:PutEncryptionConfiguration",
  "s3:PutBucketPublicAccessBlock",
  "s3:PutBucketOwnershipControls",
  "s3:DeleteBucket",
] as const;

/**
 * Object Lock on the replica buckets (with --param objectLockMode/objectLockRetentionDays): every
 * replica version gets the default retention; replication from unlocked primaries into locked
 * replicas needs no more than this. https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock.html
 */
function objectLockProperties(inputs: StackInputs): Record<string, unknown> {
  if (!inputs.objectLock) return {};
  return {
    ObjectLockEnabled: true,
    ObjectLockConfiguration: {
      ObjectLockEnabled: "Enabled",
      Rule: { DefaultRetention: { Mode: inputs.objectLock.mode, Days: inputs.objectLock.days } },
    },
  };
}

export const replicaBucketLogicalId = (category: string) => `ReplicaBucket${pascalCase(category)}`;

export function replicaStack(inputs: StackInputs) {
  const names = namesFor(inputs);
  const resources: Resources = {
    ...accessLogsResources(
      names.accessLogsBuckets.replica,
      names.buckets.map((pair) => pair.replicaBucket),
    ),
    ...dataKeyResources(inputs, `backup-validator ${inputs.stage}: replica data buckets`),
  };
  const outputs: Outputs = {};
  for (const pair of names.buckets) {
    const logicalId = replicaBucketLogicalId(pair.category);
    resources[logicalId] = dataBucket(
      inputs,
      pair.replicaBucket,
      `replica/${pair.category}/`,
      objectLockProperties(inputs),
    );
    resources[`${logicalId}Policy`] = tlsOnlyBucketPolicy(
      logicalId,
      backupProtection(logicalId, names.replicationRole, inputs.breakGlassRoleArn),
    );
    outputs[logicalId] = {
      Description: `Replica bucket of the ${pair.category} category`,
      Value: ref(logicalId),
    };
  }
  outputs[REPLICA_OUTPUTS.bucketNames] = {
    Description: "Replica bucket names, comma-separated, in category order",
    Value: sub(names.buckets.map((pair) => pair.replicaBucket).join(",")),
  };
  outputs[REPLICA_OUTPUTS.bucketEncryption] = {
    Description: "Default encryption of the replica buckets (SSE-S3 or SSE-KMS)",
    Value: inputs.bucketEncryption,
  };
  if (inputs.bucketEncryption === "SSE-KMS") {
    outputs[REPLICA_OUTPUTS.dataKeyArn] = {
      Description: "KMS key of the replica buckets; replication encrypts replicas with it",
      Value: getAtt(DATA_KEY, "Arn"),
    };
  }
  outputs.AccessLogsBucketName = {
    Description: "S3 server access logs of this region's buckets",
    Value: ref(ACCESS_LOGS_BUCKET),
  };
  outputs.Stage = { Description: "Deployment stage", Value: inputs.stage };
  // No role here today; any added later gets the boundary too.
  return {
    Resources: withPermissionsBoundary(resources, inputs.permissionsBoundary),
    Outputs: outputs,
    extensions: deploymentBucketExtension(),
  };
}
