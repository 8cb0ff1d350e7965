/**
 * S3 Batch Operations' LambdaInvoke contract: the event the audit-worker receives (one task per
 * invocation) and the response it must give. `@types/aws-lambda` models schema 1.0 only, so the
 * shapes are written here from AWS's documentation.
 *
 * Schema 2.0 (what the starter's jobs use) passes `job.userArguments` and each task's bucket by
 * name (`s3Bucket`); schema 1.0 passes its ARN (`s3BucketArn`) and no arguments. Both are read,
 * so a job created by hand with 1.0 is audited too. Keys are URL-encoded ("URL decode the key").
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/batch-ops-invoke-lambda.html
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_control_LambdaInvokeOperation.html
 */
import { isJsonObject } from "../../objects.ts";
import { boundedText } from "../../text.ts";

export type InvocationSchemaVersion = "1.0" | "2.0";

export interface BatchOperationsTask {
  readonly taskId: string;
  /** URL-encoded, as S3 sends it (inventory keys: `+` for a space). */
  readonly s3Key: string;
  /** Null for a manifest without versions (the audit's inventories list current versions). */
  readonly s3VersionId: string | null;
  /** The bucket's name (2.0), or derived from `s3BucketArn` (1.0). */
  readonly s3Bucket: string;
}

export interface BatchOperationsEvent {
  readonly invocationSchemaVersion: InvocationSchemaVersion;
  readonly invocationId: string;
  readonly job: { readonly id: string; readonly userArguments: Readonly<Record<string, string>> };
  /** In the event's order; a task that lacks a field is kept with the problem. */
  readonly tasks: readonly (BatchOperationsTask | UnreadableTask)[];
}

/**
 * Succeeded: the result string goes to the report. TemporaryFailure: "will be redriven before
 * the job completes". PermanentFailure: the task is failed with the result string as its error.
 */
export type ResultCode = "Succeeded" | "TemporaryFailure" | "PermanentFailure";

export interface TaskResult {
  readonly taskId: string;
  readonly resultCode: ResultCode;
  readonly resultString: string;
}

export interface BatchOperationsResponse {
  readonly invocationSchemaVersion: InvocationSchemaVersion;
  /**
   * In every AWS example, never explained; a task left without a result is not a success. The
   * worker always answers every task, so this never applies.
   */
  readonly treatMissingKeysAs: ResultCode;
  readonly invocationId: string;
  readonly results: readonly TaskResult[];
}

/**
 * No limit is documented for the result string, which becomes a quoted CSV field of the
 * completion report (one line per object): kept short.
 */
export const MAX_RESULT_STRING_BYTES = 512;

/** A task that could not be read: answered PermanentFailure with the reason. */
export interface UnreadableTask {
  readonly taskId: string;
  readonly problem: string;
}

export type ParsedEvent =
  | { readonly kind: "event"; readonly event: BatchOperationsEvent }
  | { readonly kind: "malformed"; readonly problem: string };

// arn:<partition>:s3:::<bucket>
const BUCKET_ARN = /^arn:aws[a-z-]*:s3:::([^/]+)$/;

/**
 * Reads the event. What cannot be answered at all (no invocation id, no task list) is
 * `malformed`: the worker then throws, and Batch Operations fails the task with that error. A
 * task that lacks a field is answered PermanentFailure on its own: retrying cannot supply it.
 */
export function parseBatchOperationsEvent(event: unknown): ParsedEvent {
  if (!isJsonObject(event)) return { kind: "malformed", problem: "the event is not a JSON object" };
  const { invocationSchemaVersion: version, invocationId, job, tasks } = event;
  if (version !== "1.0" && version !== "2.0") {
    return {
      kind: "malformed",
      problem: `invocationSchemaVersion ${JSON.stringify(version)} is neither "1.0" nor "2.0"`,
    };
  }
  if (typeof invocationId !== "string" || invocationId === "") {
    return { kind: "malformed", problem: "the event has no invocationId" };
  }
  if (!isJsonObject(job) || typeof job.id !== "string") {
    return { kind: "malformed", problem: "the event has no job.id" };
  }
  if (!Array.isArray(tasks) || tasks.length === 0) {
    return { kind: "malformed", problem: "the event has no tasks" };
  }
  const parsed: (BatchOperationsTask | UnreadableTask)[] = [];
  for (const task of tasks) {
    if (!isJsonObject(task) || typeof task.taskId !== "string" || task.taskId === "") {
      return { kind: "malformed", problem: "a task has no taskId, so it cannot be answered" };
    }
    const read = readTask(task);
    parsed.push(typeof read === "string" ? { taskId: task.taskId, problem: read } : read);
  }
  return {
    kind: "event",
    event: {
      invocationSchemaVersion: version,
      invocationId,
      job: { id: job.id, userArguments: stringEntries(job.userArguments) },
      tasks: parsed,
    },
  };
}

function readTask(task: Record<string, unknown>): BatchOperationsTask | string {
  const { taskId, s3Key, s3VersionId, s3Bucket, s3BucketArn } = task;
  if (typeof s3Key !== "string" || s3Key === "") return "the task has no s3Key";
  if (s3VersionId !== undefined && s3VersionId !== null && typeof s3VersionId !== "string") {
    return "the task's s3VersionId is not a string";
  }
  const bucket =
    typeof s3Bucket === "string"
      ? s3Bucket
      : typeof s3BucketArn === "string"
        ? BUCKET_ARN.exec(s3BucketArn)?.[1]
        : undefined;
  if (bucket === undefined || bucket === "")
    return "the task names no bucket (s3Bucket or s3BucketArn)";
  return {
    taskId: taskId as string,
    s3Key,
    // An empty version id is what "null" versions look like in an "All" inventory.
    s3VersionId: typeof s3VersionId === "string" && s3VersionId !== "" ? s3VersionId : null,
    s3Bucket: bucket,
  };
}

function stringEntries(value: unknown): Readonly<Record<string, string>> {
  if (!isJsonObject(value)) return {};
  return Object.fromEntries(
    Object.entries(value).filter(
      (entry): entry is [string, string] => typeof entry[1] === "string",
    ),
  );
}

export function isUnreadable(task: BatchOperationsTask | UnreadableTask): task is UnreadableTask {
  return "problem" in task;
}

/** The response to `event`: the results, one per task in the event's order, bounded. */
export function batchOperationsResponse(
  event: Pick<BatchOperationsEvent, "invocationSchemaVersion" | "invocationId">,
  results: readonly TaskResult[],
): BatchOperationsResponse {
  return {
    invocationSchemaVersion: event.invocationSchemaVersion,
    treatMissingKeysAs: "PermanentFailure",
    invocationId: event.invocationId,
    results: results.map((result) => ({
      ...result,
      resultString: boundedText(result.resultString, MAX_RESULT_STRING_BYTES),
    })),
  };
}
