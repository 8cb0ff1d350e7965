/**
 * The primary stack (`backup-validator-<stage>` in the primary region): primary buckets with
 * replication to the replica stack's buckets, the EventBridge rule, the queues, the alert and
 * alarm topics, the notifier's alerts-sent table, the KMS keys, the function roles, the scheduled
 * audit (inventory bucket, job role, schedule), the alarms and the dashboard, one file per
 * section. The
 * functions themselves are declared in serverless.yml and use the roles and environment built
 * here (environment.ts).
 */
import { namesFor, type StackInputs } from "../inputs.ts";
import { getAtt, type Resources, withPermissionsBoundary } from "../intrinsics.ts";
import { accessLogsResources, dataKeyResources, deploymentBucketExtension } from "../storage.ts";
import { alarmResources } from "./alarms.ts";
import { alertsSentResources } from "./alerts-sent.ts";
import { auditResources, inventoryDeliveryKeyStatement } from "./audit.ts";
import { bucketResources } from "./buckets.ts";
import { dashboard } from "./dashboard.ts";
import { keyResources } from "./keys.ts";
import { LOGICAL_IDS } from "./logical-ids.ts";
import { outputs } from "./outputs.ts";
import { queueResources } from "./queues.ts";
import type { ReplicaFacts } from "./replica-facts.ts";
import { functionRoles } from "./roles.ts";
import { ruleResources } from "./rule.ts";
import { topicResources } from "./topic.ts";

export { functionEnvironment } from "./environment.ts";
export { type ReplicaFacts, readReplicaFacts } from "./replica-facts.ts";

export function primaryStack(inputs: StackInputs, replica: ReplicaFacts) {
  const names = namesFor(inputs);
  const alarms = alarmResources(inputs, names);
  const alarmNames = Object.values(alarms).map((alarm) => String(alarm.Properties?.AlarmName));
  const resources: Resources = {
    ...accessLogsResources(names.accessLogsBuckets.primary, [
      ...names.buckets.map((pair) => pair.primaryBucket),
      names.inventoryBucket,
    ]),
    ...dataKeyResources(
      inputs,
      `backup-validator ${inputs.stage}: primary data buckets and their inventories`,
      [inventoryDeliveryKeyStatement(names)],
    ),
    ...bucketResources(inputs, names, replica),
    ...keyResources(inputs, names),
    ...queueResources(names),
    ...ruleResources(names),
    ...topicResources(inputs, names),
    ...alertsSentResources(names),
    ...functionRoles(inputs, names, replica),
    ...auditResources(inputs, names),
    ...alarms,
    [LOGICAL_IDS.dashboard]: dashboard(inputs, names, alarmNames),
  };
  return {
    Resources: withPermissionsBoundary(resources, inputs.permissionsBoundary),
    Outputs: outputs(inputs, names),
    extensions: {
      ...deploymentBucketExtension(),
      // osls adds `DependsOn: <role>` next to `Role: !GetAtt <role>.Arn`; cfn-lint W3005 flags
      // the redundancy, which is harmless and not ours to remove.
      ...Object.fromEntries(
        Object.values(LOGICAL_IDS.functions).map((logicalId) => [
          logicalId,
          { Metadata: { "cfn-lint": { config: { ignore_checks: ["W3005"] } } } },
        ]),
      ),
      // Function log groups are created by osls; encrypt them with the logs key (CT.CLOUDWATCH.PR.3).
      ...Object.fromEntries(
        Object.values(LOGICAL_IDS.logGroups).map((logicalId) => [
          logicalId,
          { Properties: { KmsKeyId: getAtt(LOGICAL_IDS.logsKey, "Arn") } },
        ]),
      ),
    },
  };
}
