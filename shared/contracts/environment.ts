/**
 * The functions' environment: the one place that names each variable, builds the values the
 * stacks and the local stack set, and parses them at cold start. resources/ (the deployed
 * functions), scripts/local (the local stack) and the tests all build environments with
 * `validatorEnvironment` / `notifierEnvironment` (and the audit's `auditStarterEnvironment` /
 * `auditWorkerEnvironment`), so a variable cannot be renamed on one side of the deploy boundary
 * only. A bad value stops the function at cold start with an error
 * naming the variable and the value.
 */
import { ConfigurationError } from "../errors.ts";
import { type BucketPairs, parseBucketPairs } from "./bucket-pairs.ts";
import { checkBucketName, checkRegion, checkStage } from "./names.ts";

export type Environment = Readonly<Record<string, string | undefined>>;

/** SQS's longest per-message delay: https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessage.html */
export const MAX_DELAY_SECONDS = 900;
/** S3 Replication Time Control replicates 99.99 % of objects within 15 minutes. */
export const DEFAULT_REPLICATION_DEADLINE_SECONDS = 900;
export const DEFAULT_RETRY_BASE_DELAY_SECONDS = 30;
export const REPLICATION_DEADLINE_BOUNDS = { min: 1, max: 7 * 24 * 3600 } as const;
/**
 * Deep verification (reading bytes when the recorded metadata cannot decide), by default for
 * objects up to 1 GiB, reading the primary, 8 ranged GETs of 8 MiB at a time (64 MiB of buffers).
 * S3's largest object is 5 TiB: https://docs.aws.amazon.com/AmazonS3/latest/userguide/upload-objects.html
 */
export const DEEP_VERIFICATION_DEFAULTS = {
  maxBytes: 1024 ** 3,
  read: "primary",
  concurrency: 8,
} as const satisfies DeepVerificationConfig;
export const DEEP_VERIFY_MAX_BYTES_BOUNDS = { min: 0, max: 5 * 1024 ** 4 } as const;
export const DEEP_VERIFY_CONCURRENCY_BOUNDS = { min: 1, max: 64 } as const;
export const DEEP_VERIFY_READS = ["primary", "replica"] as const;

export const VALIDATOR_VARIABLES = {
  bucketPairs: "BUCKET_PAIRS",
  replicaRegion: "REPLICA_REGION",
  failureQueueUrl: "FAILURE_QUEUE_URL",
  validationQueueUrl: "VALIDATION_QUEUE_URL",
  replicationDeadlineSeconds: "REPLICATION_DEADLINE_SECONDS",
  retryBaseDelaySeconds: "RETRY_BASE_DELAY_SECONDS",
  deepVerifyMaxBytes: "DEEP_VERIFY_MAX_BYTES",
  deepVerifyRead: "DEEP_VERIFY_READ",
  deepVerifyConcurrency: "DEEP_VERIFY_CONCURRENCY",
  stage: "STAGE",
  sdkRequestTimeoutMs: "SDK_REQUEST_TIMEOUT_MS",
} as const;

export const NOTIFIER_VARIABLES = {
  alertTopicArn: "ALERT_TOPIC_ARN",
  stage: "STAGE",
  sdkRequestTimeoutMs: "SDK_REQUEST_TIMEOUT_MS",
  alertsSentTable: "ALERTS_SENT_TABLE",
  deduplicationWindowSeconds: "ALERT_DEDUPLICATION_WINDOW_SECONDS",
  chatNotifications: "CHAT_NOTIFICATIONS",
} as const;

/** The audit-worker checks objects as the validator does: the same variables, but no queue of its own. */
export const AUDIT_WORKER_VARIABLES = {
  bucketPairs: VALIDATOR_VARIABLES.bucketPairs,
  replicaRegion: VALIDATOR_VARIABLES.replicaRegion,
  failureQueueUrl: VALIDATOR_VARIABLES.failureQueueUrl,
  replicationDeadlineSeconds: VALIDATOR_VARIABLES.replicationDeadlineSeconds,
  deepVerifyMaxBytes: VALIDATOR_VARIABLES.deepVerifyMaxBytes,
  deepVerifyRead: VALIDATOR_VARIABLES.deepVerifyRead,
  deepVerifyConcurrency: VALIDATOR_VARIABLES.deepVerifyConcurrency,
  stage: VALIDATOR_VARIABLES.stage,
  sdkRequestTimeoutMs: VALIDATOR_VARIABLES.sdkRequestTimeoutMs,
} as const;

export const AUDIT_STARTER_VARIABLES = {
  stage: "STAGE",
  bucketPairs: VALIDATOR_VARIABLES.bucketPairs,
  inventoryBucket: "INVENTORY_BUCKET",
  workerFunctionArn: "AUDIT_WORKER_ARN",
  jobRoleArn: "AUDIT_JOB_ROLE_ARN",
  jobPriority: "AUDIT_JOB_PRIORITY",
  maxInventoryAgeHours: "MAX_INVENTORY_AGE_HOURS",
  sdkRequestTimeoutMs: "SDK_REQUEST_TIMEOUT_MS",
} as const;

/** CreateJob's Priority range. https://docs.aws.amazon.com/AmazonS3/latest/API/API_control_CreateJob.html */
export const JOB_PRIORITY_BOUNDS = { min: 0, max: 2_147_483_647 } as const;
export const DEFAULT_JOB_PRIORITY = 10;
/** Inventories are daily; a newest one older than three days means they stopped. */
export const DEFAULT_MAX_INVENTORY_AGE_HOURS = 72;
export const MAX_INVENTORY_AGE_BOUNDS = { min: 25, max: 24 * 365 } as const;

/** The same report again within a day sends no second alert. */
export const DEFAULT_DEDUPLICATION_WINDOW_SECONDS = 86_400;
export const DEDUPLICATION_WINDOW_BOUNDS = { min: 60, max: 7 * 24 * 3600 } as const;

/** Time without a byte on the socket before an AWS call is abandoned (and retried). */
export const DEFAULT_SDK_REQUEST_TIMEOUT_MS = 10_000;
const SDK_REQUEST_TIMEOUT_BOUNDS = { min: 100, max: 60_000 } as const;

/** A value for each variable of `Names`, those in `Optional` may be left out. */
type VariableValues<Names, V, Optional extends keyof Names> = {
  readonly [K in Exclude<keyof Names, Optional>]: V;
} & { readonly [K in Optional]?: V };

/**
 * Values for the checksum-validator's variables. `V` is a string, or a CloudFormation value
 * (`{ Ref: ... }`) when the stacks build it.
 */
export type ValidatorEnvironmentValues<V = string> = VariableValues<
  typeof VALIDATOR_VARIABLES,
  V,
  | "replicationDeadlineSeconds"
  | "retryBaseDelaySeconds"
  | "deepVerifyMaxBytes"
  | "deepVerifyRead"
  | "deepVerifyConcurrency"
  | "stage"
  | "sdkRequestTimeoutMs"
>;

export type NotifierEnvironmentValues<V = string> = VariableValues<
  typeof NOTIFIER_VARIABLES,
  V,
  "sdkRequestTimeoutMs" | "deduplicationWindowSeconds" | "chatNotifications"
>;

export type AuditWorkerEnvironmentValues<V = string> = VariableValues<
  typeof AUDIT_WORKER_VARIABLES,
  V,
  | "replicationDeadlineSeconds"
  | "deepVerifyMaxBytes"
  | "deepVerifyRead"
  | "deepVerifyConcurrency"
  | "stage"
  | "sdkRequestTimeoutMs"
>;

export type AuditStarterEnvironmentValues<V = string> = VariableValues<
  typeof AUDIT_STARTER_VARIABLES,
  V,
  "jobPriority" | "maxInventoryAgeHours" | "sdkRequestTimeoutMs"
>;

export function auditWorkerEnvironment<V>(
  values: AuditWorkerEnvironmentValues<V>,
): Record<string, V> {
  return toVariables(AUDIT_WORKER_VARIABLES, values);
}

export function auditStarterEnvironment<V>(
  values: AuditStarterEnvironmentValues<V>,
): Record<string, V> {
  return toVariables(AUDIT_STARTER_VARIABLES, values);
}

export function validatorEnvironment<V>(values: ValidatorEnvironmentValues<V>): Record<string, V> {
  return toVariables(VALIDATOR_VARIABLES, values);
}

export function notifierEnvironment<V>(values: NotifierEnvironmentValues<V>): Record<string, V> {
  return toVariables(NOTIFIER_VARIABLES, values);
}

function toVariables<V>(
  names: Readonly<Record<string, string>>,
  values: Readonly<Record<string, V | undefined>>,
): Record<string, V> {
  const variables: Record<string, V> = {};
  for (const [field, name] of Object.entries(names)) {
    const value = values[field];
    if (value !== undefined) variables[name] = value;
  }
  return variables;
}

export interface ValidatorConfig {
  readonly bucketPairs: BucketPairs;
  readonly replicaRegion: string;
  /** Region of the primary buckets: the function's own (AWS_REGION). */
  readonly primaryRegion?: string;
  readonly failureQueueUrl: string;
  /** The validation queue itself: pending checks are re-queued to it with a delay. */
  readonly validationQueueUrl: string;
  readonly replicationDeadlineSeconds: number;
  readonly retryBaseDelaySeconds: number;
  readonly deepVerification: DeepVerificationConfig;
  readonly stage?: string;
  readonly sdkRequestTimeoutMs: number;
}

export interface DeepVerificationConfig {
  /** The largest object whose bytes are read when metadata cannot decide; 0 turns it off. */
  readonly maxBytes: number;
  /** Whose bytes: the primary's (in-region, the default) or the replica's (cross-region). */
  readonly read: (typeof DEEP_VERIFY_READS)[number];
  /** Ranged GETs of one read in flight at once. */
  readonly concurrency: number;
}

/**
 * Reads and validates the checksum-validator's settings; throws ConfigurationError. Besides
 * each value's own shape it refuses the combinations that break the system quietly: the failure
 * queue being the validation queue (a malformed message would be re-read and re-reported
 * forever), the replicas in the primary's own region (not a disaster-recovery copy).
 */
export function loadValidatorConfig(env: Environment): ValidatorConfig {
  const names = VALIDATOR_VARIABLES;
  const checking = readObjectChecking(env);
  const validationQueueUrl = requireQueueUrl(env, names.validationQueueUrl);
  if (sameQueue(checking.failureQueueUrl, validationQueueUrl)) {
    throw new ConfigurationError(
      names.failureQueueUrl,
      `must not be the validation queue (${names.validationQueueUrl}): reports would be read back as events, forever`,
      checking.failureQueueUrl,
    );
  }
  return {
    ...checking,
    validationQueueUrl,
    retryBaseDelaySeconds: optionalInteger(
      env,
      names.retryBaseDelaySeconds,
      DEFAULT_RETRY_BASE_DELAY_SECONDS,
      // At least 1 s: with no delay a pending replica would be re-checked in a tight loop.
      { min: 1, max: MAX_DELAY_SECONDS },
    ),
  };
}

/** What the audit-worker needs: how to check an object, and where to report. */
export type AuditWorkerConfig = Omit<
  ValidatorConfig,
  "validationQueueUrl" | "retryBaseDelaySeconds"
>;

/** Reads and validates the audit-worker's settings (the validator's rules); throws ConfigurationError. */
export function loadAuditWorkerConfig(env: Environment): AuditWorkerConfig {
  return readObjectChecking(env);
}

/**
 * The settings of checking one object and reporting it, shared by the validator and the
 * audit-worker, which read the same variables. Refuses the replicas in the primary's own region
 * (not a disaster-recovery copy).
 */
function readObjectChecking(env: Environment): AuditWorkerConfig {
  const names = AUDIT_WORKER_VARIABLES;
  const stage = optionalString(env, names.stage);
  const primaryRegion = optionalString(env, "AWS_REGION");
  const replicaRegion = checkRegion(requireString(env, names.replicaRegion), names.replicaRegion);
  if (replicaRegion === primaryRegion) {
    throw new ConfigurationError(
      names.replicaRegion,
      "must differ from the function's own region AWS_REGION (Cross-Region Replication)",
      replicaRegion,
    );
  }
  return {
    bucketPairs: parseBucketPairs(requireString(env, names.bucketPairs), names.bucketPairs),
    replicaRegion,
    primaryRegion,
    failureQueueUrl: requireQueueUrl(env, names.failureQueueUrl),
    replicationDeadlineSeconds: optionalInteger(
      env,
      names.replicationDeadlineSeconds,
      DEFAULT_REPLICATION_DEADLINE_SECONDS,
      REPLICATION_DEADLINE_BOUNDS,
    ),
    deepVerification: parseDeepVerification(env),
    stage: stage === undefined ? undefined : checkStage(stage, names.stage),
    sdkRequestTimeoutMs: readSdkRequestTimeout(env, names.sdkRequestTimeoutMs),
  };
}

export interface AuditStarterConfig {
  readonly stage: string;
  readonly bucketPairs: BucketPairs;
  /** Holds the inventories; the jobs write their completion reports here too. */
  readonly inventoryBucket: string;
  /** The audit-worker the jobs invoke (LambdaInvoke). */
  readonly workerFunctionArn: string;
  /** The account of the worker: S3 Control needs it on every request (x-amz-account-id). */
  readonly accountId: string;
  /** The worker's partition (aws, aws-cn, ...): that of every ARN the job names. */
  readonly partition: string;
  /** The role S3 Batch Operations assumes to run the jobs. */
  readonly jobRoleArn: string;
  readonly jobPriority: number;
  readonly maxInventoryAgeHours: number;
  readonly region?: string;
  readonly sdkRequestTimeoutMs: number;
}

// arn:<partition>:lambda:<region>:<account>:function:<name>; names are 1-64 letters, digits, - and _.
// https://docs.aws.amazon.com/lambda/latest/api/API_CreateFunction.html
const FUNCTION_ARN = /^arn:(aws[a-z-]*):lambda:[a-z0-9-]+:(\d{12}):function:[A-Za-z0-9_-]{1,64}$/;
// arn:<partition>:iam::<account>:role/<path/><name>
const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/([\w+=,.@-]+\/)*[\w+=,.@-]{1,64}$/;

/** Reads and validates the audit-starter's settings; throws ConfigurationError. */
export function loadAuditStarterConfig(env: Environment): AuditStarterConfig {
  const names = AUDIT_STARTER_VARIABLES;
  const [workerFunctionArn, partition = "", accountId = ""] = requireMatch(
    env,
    names.workerFunctionArn,
    FUNCTION_ARN,
    "must be a Lambda function ARN such as arn:aws:lambda:us-east-1:111122223333:function:name (no version or alias)",
  );
  const [jobRoleArn] = requireMatch(
    env,
    names.jobRoleArn,
    ROLE_ARN,
    "must be an IAM role ARN such as arn:aws:iam::111122223333:role/name",
  );
  const inventoryBucket = requireString(env, names.inventoryBucket);
  checkBucketName(inventoryBucket, names.inventoryBucket);
  return {
    stage: checkStage(requireString(env, names.stage), names.stage),
    bucketPairs: parseBucketPairs(requireString(env, names.bucketPairs), names.bucketPairs),
    inventoryBucket,
    workerFunctionArn,
    accountId,
    partition,
    jobRoleArn,
    jobPriority: optionalInteger(env, names.jobPriority, DEFAULT_JOB_PRIORITY, JOB_PRIORITY_BOUNDS),
    maxInventoryAgeHours: optionalInteger(
      env,
      names.maxInventoryAgeHours,
      DEFAULT_MAX_INVENTORY_AGE_HOURS,
      MAX_INVENTORY_AGE_BOUNDS,
    ),
    region: optionalString(env, "AWS_REGION"),
    sdkRequestTimeoutMs: readSdkRequestTimeout(env, names.sdkRequestTimeoutMs),
  };
}

/** DEEP_VERIFY_MAX_BYTES, DEEP_VERIFY_READ and DEEP_VERIFY_CONCURRENCY, with their defaults. */
export function parseDeepVerification(env: Environment): DeepVerificationConfig {
  const names = VALIDATOR_VARIABLES;
  const defaults = DEEP_VERIFICATION_DEFAULTS;
  return {
    maxBytes: optionalInteger(
      env,
      names.deepVerifyMaxBytes,
      defaults.maxBytes,
      DEEP_VERIFY_MAX_BYTES_BOUNDS,
    ),
    read: optionalChoice(env, names.deepVerifyRead, DEEP_VERIFY_READS, defaults.read),
    concurrency: optionalInteger(
      env,
      names.deepVerifyConcurrency,
      defaults.concurrency,
      DEEP_VERIFY_CONCURRENCY_BOUNDS,
    ),
  };
}

/** The values of the DEEP_VERIFY_* variables for these settings. */
export function deepVerificationValues(
  config: DeepVerificationConfig,
): Pick<
  ValidatorEnvironmentValues,
  "deepVerifyMaxBytes" | "deepVerifyRead" | "deepVerifyConcurrency"
> {
  return {
    deepVerifyMaxBytes: String(config.maxBytes),
    deepVerifyRead: config.read,
    deepVerifyConcurrency: String(config.concurrency),
  };
}

function readSdkRequestTimeout(env: Environment, name: string): number {
  return optionalInteger(env, name, DEFAULT_SDK_REQUEST_TIMEOUT_MS, SDK_REQUEST_TIMEOUT_BOUNDS);
}

export interface NotifierConfig {
  /** The SNS topic the alerts go to (email subscriptions hang off it). */
  readonly alertTopicArn: string;
  /** Deployment stage (dev, prod, ...): shown in every subject and in the on-call commands. */
  readonly stage: string;
  readonly sdkRequestTimeoutMs: number;
  /** DynamoDB table of the reports alerted (the idempotency store). */
  readonly alertsSentTable: string;
  /** A report alerted within this many seconds is not alerted again. */
  readonly deduplicationWindowSeconds: number;
  /** Also publish AWS Chatbot custom-notification JSON (for https subscribers). */
  readonly chatNotifications: boolean;
}

// DynamoDB table names: 3-255 letters, digits, _ . and -.
// https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/HowItWorks.NamingRulesDataTypes.html
const TABLE_NAME = /^[A-Za-z0-9_.-]{3,255}$/;

// arn:partition:sns:region:account:topic — topic names are 1–256 letters, digits, - and _
// (".fifo" suffix for FIFO topics). https://docs.aws.amazon.com/sns/latest/api/API_CreateTopic.html
const TOPIC_ARN = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$/;

/** Reads and validates the failure-notifier's settings; throws ConfigurationError. */
export function loadNotifierConfig(env: Environment): NotifierConfig {
  const names = NOTIFIER_VARIABLES;
  const [alertTopicArn] = requireMatch(
    env,
    names.alertTopicArn,
    TOPIC_ARN,
    "must be an SNS topic ARN such as arn:aws:sns:us-east-1:111122223333:alerts",
  );
  const [alertsSentTable] = requireMatch(
    env,
    names.alertsSentTable,
    TABLE_NAME,
    "must be a DynamoDB table name (3-255 letters, digits, _ . -)",
  );
  return {
    alertTopicArn,
    stage: checkStage(requireString(env, names.stage), names.stage),
    alertsSentTable,
    deduplicationWindowSeconds: optionalInteger(
      env,
      names.deduplicationWindowSeconds,
      DEFAULT_DEDUPLICATION_WINDOW_SECONDS,
      DEDUPLICATION_WINDOW_BOUNDS,
    ),
    chatNotifications: optionalBoolean(env, names.chatNotifications, false),
    sdkRequestTimeoutMs: readSdkRequestTimeout(env, names.sdkRequestTimeoutMs),
  };
}

export function optionalBoolean(env: Environment, name: string, fallback: boolean): boolean {
  const raw = optionalString(env, name);
  if (raw === undefined) return fallback;
  if (raw === "true") return true;
  if (raw === "false") return false;
  throw new ConfigurationError(name, "must be true or false", raw);
}

export function requireString(env: Environment, name: string): string {
  const value = env[name]?.trim();
  if (value === undefined || value === "") throw new ConfigurationError(name, "is required");
  return value;
}

/** A required variable that must match `pattern`: the match (the value, then its groups). */
export function requireMatch(
  env: Environment,
  name: string,
  pattern: RegExp,
  problem: string,
): RegExpExecArray {
  const value = requireString(env, name);
  const match = pattern.exec(value);
  if (match === null) throw new ConfigurationError(name, problem, value);
  return match;
}

export function optionalString(env: Environment, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === "" ? undefined : value;
}

export function optionalInteger(
  env: Environment,
  name: string,
  fallback: number,
  bounds: { readonly min: number; readonly max: number },
): number {
  const raw = optionalString(env, name);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigurationError(name, "must be a whole number", raw);
  const value = Number(raw);
  if (value < bounds.min || value > bounds.max) {
    throw new ConfigurationError(name, `must be between ${bounds.min} and ${bounds.max}`, raw);
  }
  return value;
}

export function optionalChoice<T extends string>(
  env: Environment,
  name: string,
  choices: readonly T[],
  fallback: T,
): T {
  const raw = optionalString(env, name);
  if (raw === undefined) return fallback;
  if (!(choices as readonly string[]).includes(raw)) {
    throw new ConfigurationError(name, `must be one of ${choices.join(", ")}`, raw);
  }
  return raw as T;
}

/**
 * An SQS queue URL: http(s), with the account and queue name as the last two path segments
 * (https://sqs.<region>.amazonaws.com/<account>/<name>; emulators use other hosts). A queue ARN
 * is refused by name: it parses as a URL ("arn:" as the scheme) but the SDK cannot send to it.
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-queue-message-identifiers.html
 */
function requireQueueUrl(env: Environment, name: string): string {
  const value = requireString(env, name);
  if (value.startsWith("arn:")) {
    throw new ConfigurationError(
      name,
      "must be the queue's URL (https://sqs.<region>.amazonaws.com/<account>/<name>), not its ARN",
      value,
    );
  }
  const url = URL.canParse(value) ? new URL(value) : undefined;
  const segments = url?.pathname.split("/").filter(Boolean) ?? [];
  if (!url || !["http:", "https:"].includes(url.protocol) || segments.length < 2) {
    throw new ConfigurationError(name, "must be an SQS queue URL", value);
  }
  return value;
}

function sameQueue(left: string, right: string): boolean {
  const path = (value: string) => new URL(value).pathname.replace(/\/+$/, "");
  return path(left) === path(right) && new URL(left).host === new URL(right).host;
}
