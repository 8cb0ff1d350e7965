/**
 * Outputs of the primary stack: the contract's (resources/stack-outputs.ts, read by the on-call
 * commands with DescribeStacks), then one bucket output per category and a few for people.
 */
import { formatBucketPairs } from "../../../shared/contracts/bucket-pairs.ts";
import { type ResourceNames, settings } from "../../settings.ts";
import { contractOutputs } from "../../stack-outputs.ts";
import type { StackInputs } from "../inputs.ts";
import { getAtt, type Outputs, pascalCase, ref, sub } from "../intrinsics.ts";
import { ACCESS_LOGS_BUCKET } from "../storage.ts";
import { LOGICAL_IDS, primaryBucketLogicalId } from "./logical-ids.ts";

export function outputs(inputs: StackInputs, names: ResourceNames): Outputs {
  const result: Outputs = {
    ...contractOutputs<unknown>({
      ValidationQueueUrl: ref(LOGICAL_IDS.validationQueue),
      ValidationQueueArn: getAtt(LOGICAL_IDS.validationQueue, "Arn"),
      ValidationDlqUrl: ref(LOGICAL_IDS.validationDlq),
      ValidationDlqArn: getAtt(LOGICAL_IDS.validationDlq, "Arn"),
      FailureQueueUrl: ref(LOGICAL_IDS.failureQueue),
      FailureQueueArn: getAtt(LOGICAL_IDS.failureQueue, "Arn"),
      FailureDlqUrl: ref(LOGICAL_IDS.failureDlq),
      FailureDlqArn: getAtt(LOGICAL_IDS.failureDlq, "Arn"),
      AlertTopicArn: ref(LOGICAL_IDS.topic),
      ReplicaRegion: inputs.replicaRegion,
      Stage: inputs.stage,
      BucketPairs: bucketPairsValue(names),
      // The validator's deadline, so `npm run verify` calls a missing replica overdue as it does.
      ReplicationDeadlineSeconds: String(settings.replicationDeadlineSeconds),
      AlarmTopicArn: ref(LOGICAL_IDS.alarmTopic),
      AlarmNamePrefix: names.alarmNamePrefix,
      AuditStarterFunctionName: ref(LOGICAL_IDS.functions["audit-starter"]),
      InventoryBucketName: ref(LOGICAL_IDS.inventoryBucket),
    }),
    ReplicationRoleArn: {
      Description: "Role S3 uses to replicate",
      Value: getAtt(LOGICAL_IDS.replicationRole, "Arn"),
    },
    AccessLogsBucketName: {
      Description: "S3 server access logs of this region's buckets",
      Value: ref(ACCESS_LOGS_BUCKET),
    },
    DashboardName: { Description: "CloudWatch dashboard", Value: ref(LOGICAL_IDS.dashboard) },
  };
  for (const pair of names.buckets) {
    const category = pascalCase(pair.category);
    result[`PrimaryBucket${category}`] = {
      Description: `Primary bucket of the ${pair.category} category`,
      Value: ref(primaryBucketLogicalId(pair.category)),
    };
    result[`ReplicaBucket${category}`] = {
      Description: `Replica bucket of the ${pair.category} category (in ${inputs.replicaRegion})`,
      Value: sub(pair.replicaBucket),
    };
  }
  return result;
}

/** The BUCKET_PAIRS JSON, with the account id substituted at deploy (`Fn::Sub`). */
export function bucketPairsValue(names: ResourceNames) {
  return sub(formatBucketPairs(names.buckets));
}
