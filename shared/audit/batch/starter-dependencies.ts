import { S3Client } from "@aws-sdk/client-s3";
import { S3ControlClient } from "@aws-sdk/client-s3-control";
import { functionClientOptions } from "../../clients.ts";
import type { AuditStarterConfig } from "../../contracts/environment.ts";
import type { Log } from "../../observability.ts";
import { s3InventoryLister } from "./inventory.ts";
import { type StarterDependencies, s3ControlJobCreator } from "./start-audit.ts";

/**
 * Builds the starter's clients once per cold start. S3 Control jobs are regional: the job runs
 * where the inventory, the primary buckets and the worker are (the function's own region).
 * Endpoints are left to the SDK (AWS_ENDPOINT_URL_S3 for an emulator).
 */
export function createStarterDependencies(
  config: AuditStarterConfig,
  log: Log,
): StarterDependencies {
  const options = functionClientOptions(config.region, config.sdkRequestTimeoutMs);
  return {
    inventories: s3InventoryLister(new S3Client(options)),
    jobs: s3ControlJobCreator(new S3ControlClient(options)),
    job: {
      accountId: config.accountId,
      partition: config.partition,
      inventoryBucket: config.inventoryBucket,
      workerFunctionArn: config.workerFunctionArn,
      jobRoleArn: config.jobRoleArn,
      priority: config.jobPriority,
    },
    stage: config.stage,
    bucketPairs: config.bucketPairs,
    maxInventoryAgeHours: config.maxInventoryAgeHours,
    log,
    now: () => new Date(),
  };
}
