/**
 * Environment of each function (serverless.yml `environment:`), built with the contract the
 * functions parse at cold start (shared/contracts/environment.ts).
 */

import {
  auditStarterEnvironment,
  auditWorkerEnvironment,
  deepVerificationValues,
  notifierEnvironment,
  validatorEnvironment,
} from "../../../shared/contracts/environment.ts";
import { METRICS_NAMESPACE } from "../../../shared/contracts/metrics.ts";
import { type FunctionKey, settings } from "../../settings.ts";
import { namesFor, type StackInputs } from "../inputs.ts";
import { getAtt, lambdaFunctionArn, ref, sub } from "../intrinsics.ts";
import { LOGICAL_IDS } from "./logical-ids.ts";
import { bucketPairsValue } from "./outputs.ts";

export function functionEnvironment(inputs: StackInputs, fn: FunctionKey) {
  const common = {
    POWERTOOLS_SERVICE_NAME: fn,
    POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
    POWERTOOLS_LOG_LEVEL: settings.powertools.logLevel,
    // The bundles ship source maps; this makes stack traces point at the TypeScript.
    NODE_OPTIONS: "--enable-source-maps",
  };
  const names = namesFor(inputs);
  if (fn === "audit-starter") {
    return {
      ...common,
      ...auditStarterEnvironment<unknown>({
        stage: inputs.stage,
        bucketPairs: bucketPairsValue(names),
        inventoryBucket: sub(names.inventoryBucket),
        // By name: a GetAtt would make the starter depend on the worker for nothing.
        workerFunctionArn: lambdaFunctionArn(names.functions["audit-worker"]),
        jobRoleArn: getAtt(LOGICAL_IDS.auditJobRole, "Arn"),
        jobPriority: String(settings.audit.jobPriority),
        maxInventoryAgeHours: String(settings.audit.maxInventoryAgeHours),
      }),
    };
  }
  if (fn === "audit-worker") {
    return {
      ...common,
      ...auditWorkerEnvironment<unknown>({
        stage: inputs.stage,
        bucketPairs: bucketPairsValue(names),
        replicaRegion: inputs.replicaRegion,
        failureQueueUrl: ref(LOGICAL_IDS.failureQueue),
        replicationDeadlineSeconds: String(settings.replicationDeadlineSeconds),
        ...deepVerificationValues(settings.deepVerification),
      }),
    };
  }
  if (fn === "failure-notifier") {
    return {
      ...common,
      ...notifierEnvironment<unknown>({
        alertTopicArn: ref(LOGICAL_IDS.topic),
        stage: inputs.stage,
        alertsSentTable: ref(LOGICAL_IDS.alertsSentTable),
        deduplicationWindowSeconds: String(settings.alertDeduplicationWindowSeconds),
        chatNotifications: String(inputs.chatNotifications),
      }),
    };
  }
  return {
    ...common,
    ...validatorEnvironment<unknown>({
      stage: inputs.stage,
      bucketPairs: bucketPairsValue(names),
      replicaRegion: inputs.replicaRegion,
      validationQueueUrl: ref(LOGICAL_IDS.validationQueue),
      failureQueueUrl: ref(LOGICAL_IDS.failureQueue),
      replicationDeadlineSeconds: String(settings.replicationDeadlineSeconds),
      ...deepVerificationValues(settings.deepVerification),
    }),
  };
}
