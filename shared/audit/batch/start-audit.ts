/**
 * The audit-starter's work: for each bucket pair, the newest complete inventory of the primary
 * bucket, and one S3 Batch Operations job over it (create-job.ts). Every pair is attempted; a
 * pair whose inventory is missing is logged (the first inventory takes up to 48 hours), one whose
 * inventory is stale or whose job could not be created fails the start once all pairs were
 * tried, so the function's errors alarm fires and Lambda retries it (the job token makes a retry
 * start no second job for an inventory that already has one).
 */
import {
  CreateJobCommand,
  type CreateJobCommandInput,
  type S3ControlClient,
} from "@aws-sdk/client-s3-control";
import type { BucketPair, BucketPairs } from "../../contracts/bucket-pairs.ts";
import { BackupValidatorError, ConfigurationError, describeError } from "../../errors.ts";
import { compact, isJsonObject } from "../../objects.ts";
import type { Log } from "../../observability.ts";
import { formatDuration } from "../../text.ts";
import { type AuditJobArguments, type AuditJobSettings, auditJobRequest } from "./create-job.ts";
import { type InventoryLister, newestInventory } from "./inventory.ts";

/** Creates a Batch Operations job; returns its id. */
export interface JobCreator {
  create(request: CreateJobCommandInput, signal?: AbortSignal): Promise<string>;
}

export interface StarterDependencies {
  readonly inventories: InventoryLister;
  readonly jobs: JobCreator;
  readonly job: AuditJobSettings;
  readonly stage: string;
  readonly bucketPairs: BucketPairs;
  readonly maxInventoryAgeHours: number;
  readonly log: Log;
  readonly now: () => Date;
}

/**
 * What starts an audit: the schedule sends `{"trigger":"schedule"}`; by hand, `{}` audits every
 * pair and `{"categories":["documents"]}` only those.
 */
export interface StartRequest {
  readonly trigger?: string;
  readonly categories?: readonly string[];
}

export type PairOutcome = "started" | "no-inventory" | "stale-inventory" | "failed";

export interface PairStart {
  readonly category: string;
  readonly primaryBucket: string;
  readonly outcome: PairOutcome;
  readonly reason: string;
  readonly jobId?: string;
  /** The inventory run the job reads (`YYYY-MM-DDTHH-MMZ`). */
  readonly inventory?: string;
}

export interface AuditStart {
  readonly runId: string;
  readonly pairs: readonly PairStart[];
}

/** Some pair's audit could not start: a stale inventory, or CreateJob failed. */
export class AuditNotStartedError extends BackupValidatorError {
  readonly start: AuditStart;

  constructor(start: AuditStart) {
    const failed = start.pairs.filter(
      (pair) => pair.outcome === "stale-inventory" || pair.outcome === "failed",
    );
    super(
      `the audit ${start.runId} did not start for ${failed.map((pair) => `${pair.category} (${pair.reason})`).join("; ")}`,
    );
    this.start = start;
  }
}

/** Reads the invocation's event; anything else than the documented shape is refused. */
export function parseStartRequest(event: unknown, pairs: BucketPairs): StartRequest {
  if (event === undefined || event === null) return {};
  if (!isJsonObject(event)) {
    throw new ConfigurationError(
      "event",
      'must be a JSON object such as {"categories":["documents"]}',
      JSON.stringify(event),
    );
  }
  const { trigger, categories } = event;
  if (trigger !== undefined && typeof trigger !== "string") {
    throw new ConfigurationError("event.trigger", "must be a string", JSON.stringify(trigger));
  }
  if (categories === undefined) return compact({ trigger });
  const known = [...pairs.values()].map((pair) => pair.category);
  if (
    !Array.isArray(categories) ||
    categories.length === 0 ||
    !categories.every((category) => typeof category === "string" && known.includes(category))
  ) {
    throw new ConfigurationError(
      "event.categories",
      `must be a non-empty list of this stage's categories (${known.join(", ")})`,
      JSON.stringify(categories),
    );
  }
  return compact({ trigger, categories: categories as string[] });
}

/** Starts one job per pair (those the request names); throws AuditNotStartedError after trying all. */
export async function startAudit(
  deps: StarterDependencies,
  request: StartRequest,
): Promise<AuditStart> {
  const startedAt = deps.now();
  // What started it and when, to the second: the same id goes to every job and report of the run.
  const runId = `${request.trigger ?? "manual"}-${startedAt.toISOString().slice(0, 19)}Z`;
  const chosen = [...deps.bucketPairs.values()].filter(
    (pair) => request.categories === undefined || request.categories.includes(pair.category),
  );
  const pairs: PairStart[] = [];
  for (const pair of chosen) {
    const start = await startPair(
      deps,
      pair,
      { stage: deps.stage, runId, startedAt: startedAt.toISOString() },
      startedAt,
    );
    const level =
      start.outcome === "started" ? "info" : start.outcome === "no-inventory" ? "warn" : "error";
    deps.log[level](`audit ${start.outcome}: ${start.reason}`, {
      runId,
      trigger: request.trigger,
      ...start,
    });
    pairs.push(start);
  }
  const result = { runId, pairs };
  if (pairs.some((pair) => pair.outcome === "stale-inventory" || pair.outcome === "failed")) {
    throw new AuditNotStartedError(result);
  }
  return result;
}

async function startPair(
  deps: StarterDependencies,
  pair: BucketPair,
  args: AuditJobArguments,
  now: Date,
): Promise<PairStart> {
  const base = { category: pair.category, primaryBucket: pair.primaryBucket };
  try {
    const inventory = await newestInventory(
      deps.inventories,
      deps.job.inventoryBucket,
      pair.primaryBucket,
    );
    if (inventory === undefined) {
      return {
        ...base,
        outcome: "no-inventory",
        reason: `no complete inventory of ${pair.primaryBucket} in ${deps.job.inventoryBucket} yet (S3 delivers the first within 48 hours of the configuration)`,
      };
    }
    const ageSeconds = Math.round((now.getTime() - inventory.startedAt.getTime()) / 1000);
    if (ageSeconds > deps.maxInventoryAgeHours * 3600) {
      return {
        ...base,
        outcome: "stale-inventory",
        inventory: inventory.run,
        reason: `the newest complete inventory of ${pair.primaryBucket} is ${formatDuration(ageSeconds)} old (${inventory.run}), over the ${deps.maxInventoryAgeHours} h limit: the daily inventory stopped (its configuration on the bucket, or the inventory bucket's policy or key)`,
      };
    }
    const jobId = await deps.jobs.create(auditJobRequest(deps.job, pair, inventory, args));
    return {
      ...base,
      outcome: "started",
      jobId,
      inventory: inventory.run,
      reason: `job ${jobId} audits ${pair.primaryBucket} over the inventory of ${inventory.run}`,
    };
  } catch (error) {
    return { ...base, outcome: "failed", reason: describeError(error) };
  }
}

/** S3 Control's CreateJob. */
export function s3ControlJobCreator(client: S3ControlClient): JobCreator {
  return {
    async create(request, signal) {
      const response = await client.send(new CreateJobCommand(request), { abortSignal: signal });
      if (response.JobId === undefined) throw new Error("CreateJob answered without a JobId");
      return response.JobId;
    },
  };
}
