/**
 * The replica stack, deployed first in the replica region: one replica bucket per category,
 * the region's access-log bucket and, with SSE-KMS, the region's data key.
 */
import { namesFor, type StackInputs } from "./inputs.ts";
import {
  getAtt,
  type Outputs,
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
    resources[logicalId] = dataBucket(inputs, pair.replicaBucket, `replica/${pair.category}/`);
    resources[`${logicalId}Policy`] = tlsOnlyBucketPolicy(logicalId);
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
