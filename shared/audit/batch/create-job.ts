/**
 * The S3 Batch Operations job that audits one primary bucket: over its newest inventory, a
 * LambdaInvoke of the audit-worker per object (invocation schema 2.0, the one that passes user
 * arguments and the bucket's name), a completion report of every task into the inventory bucket.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_control_CreateJob.html
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/batch-ops-invoke-lambda.html
 */
import { createHash } from "node:crypto";
import type { CreateJobCommandInput } from "@aws-sdk/client-s3-control";
import type { BucketPair } from "../../contracts/bucket-pairs.ts";
import { jobReportsPrefix } from "../../contracts/inventory.ts";
import { truncate } from "../../text.ts";
import type { InventoryRun } from "./inventory.ts";

/** What the worker learns of the job besides each task's object (at most 10, values ≤ 1,024). */
export interface AuditJobArguments {
  readonly stage: string;
  /** Names the audit run: every job (and every report) of one start carries it. */
  readonly runId: string;
  /** When the run started (ISO 8601). */
  readonly startedAt: string;
}

export interface AuditJobSettings {
  readonly accountId: string;
  /** `aws`, `aws-cn`, `aws-us-gov`: the partition of every ARN in the request. */
  readonly partition: string;
  readonly inventoryBucket: string;
  readonly workerFunctionArn: string;
  readonly jobRoleArn: string;
  readonly priority: number;
}

/** CreateJob's Description: at most 256 characters. */
const MAX_DESCRIPTION = 256;

/**
 * The CreateJob request. ClientRequestToken comes from the manifest (its key and ETag): the SDK
 * would otherwise generate a new token per call, and Scheduler's and Lambda's retries would then
 * start the same audit twice; with it one inventory gives at most one job, however often the
 * starter runs.
 *
 * The report covers AllTasks, not FailedTasksOnly: each task's result string carries its verdict
 * and evidence, so the report is the run's record of every object proven, not only of the
 * failures (about 200 bytes per object, in the inventory bucket for reportRetentionDays).
 */
export function auditJobRequest(
  job: AuditJobSettings,
  pair: BucketPair,
  inventory: InventoryRun,
  args: AuditJobArguments,
): CreateJobCommandInput {
  const s3Arn = (path: string) => `arn:${job.partition}:s3:::${path}`;
  return {
    AccountId: job.accountId,
    ConfirmationRequired: false,
    ClientRequestToken: jobToken(job.inventoryBucket, inventory),
    Priority: job.priority,
    RoleArn: job.jobRoleArn,
    Description: truncate(
      `backup-validator ${args.stage} audit ${args.runId}: ${pair.category} (${pair.primaryBucket}), inventory of ${inventory.run}`,
      MAX_DESCRIPTION,
    ),
    Manifest: {
      Spec: { Format: "S3InventoryReport_CSV_20161130" },
      Location: {
        ObjectArn: s3Arn(`${job.inventoryBucket}/${inventory.manifestKey}`),
        ETag: inventory.manifestEtag,
      },
    },
    Operation: {
      LambdaInvoke: {
        FunctionArn: job.workerFunctionArn,
        InvocationSchemaVersion: "2.0",
        UserArguments: { stage: args.stage, runId: args.runId, startedAt: args.startedAt },
      },
    },
    Report: {
      Bucket: s3Arn(job.inventoryBucket),
      Format: "Report_CSV_20180820",
      Enabled: true,
      Prefix: jobReportsPrefix(pair.primaryBucket),
      ReportScope: "AllTasks",
    },
  };
}

/** 1-64 characters, the same for the same manifest version. */
export function jobToken(inventoryBucket: string, inventory: InventoryRun): string {
  return createHash("sha256")
    .update(`${inventoryBucket}/${inventory.manifestKey}\u0000${inventory.manifestEtag}`)
    .digest("hex");
}
