/**
 * The functions' environment: the one place that names each variable, builds the values the
 * stacks and the local stack set, and parses them at cold start. resources/ (the deployed
 * functions), scripts/local (the local stack) and the tests all build environments with
 * `validatorEnvironment` / `notifierEnvironment`, so a variable cannot be renamed on one side
 * of the deploy boundary only. A bad value stops the function at cold start with an error
 * naming the variable and the value.
 */
import { ConfigurationError } from "../errors.ts";
import { type BucketPairs, parseBucketPairs } from "./bucket-pairs.ts";
import { checkRegion, checkStage } from "./names.ts";

export type Environment = Readonly<Record<string, string | undefined>>;

/** SQS's longest per-message delay: https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessage.html */
export const MAX_DELAY_SECONDS = 900;
/** S3 Replication Time Control replicates 99.99 % of objects within 15 minutes. */
export const DEFAULT_REPLICATION_DEADLINE_SECONDS = 900;
export const DEFAULT_RETRY_BASE_DELAY_SECONDS = 30;
export const REPLICATION_DEADLINE_BOUNDS = { min: 1, max: 7 * 24 * 3600 } as const;

export const VALIDATOR_VARIABLES = {
  bucketPairs: "BUCKET_PAIRS",
  replicaRegion: "REPLICA_REGION",
  failureQueueUrl: "FAILURE_QUEUE_URL",
  validationQueueUrl: "VALIDATION_QUEUE_URL",
  replicationDeadlineSeconds: "REPLICATION_DEADLINE_SECONDS",
  retryBaseDelaySeconds: "RETRY_BASE_DELAY_SECONDS",
  stage: "STAGE",
} as const;

export const NOTIFIER_VARIABLES = {
  alertTopicArn: "ALERT_TOPIC_ARN",
  stage: "STAGE",
  alertsSentTable: "ALERTS_SENT_TABLE",
  deduplicationWindowSeconds: "ALERT_DEDUPLICATION_WINDOW_SECONDS",
  chatNotifications: "CHAT_NOTIFICATIONS",
} as const;

/** The same report again within a day sends no second alert. */
export const DEFAULT_DEDUPLICATION_WINDOW_SECONDS = 86_400;
export const DEDUPLICATION_WINDOW_BOUNDS = { min: 60, max: 7 * 24 * 3600 } as const;

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
  "replicationDeadlineSeconds" | "retryBaseDelaySeconds" | "stage"
>;

export type NotifierEnvironmentValues<V = string> = VariableValues<
  typeof NOTIFIER_VARIABLES,
  V,
  "deduplicationWindowSeconds" | "chatNotifications"
>;

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
  readonly stage?: string;
}

/** Reads and validates the checksum-validator's settings; throws ConfigurationError. */
export function loadValidatorConfig(env: Environment): ValidatorConfig {
  const names = VALIDATOR_VARIABLES;
  const stage = optionalString(env, names.stage);
  return {
    bucketPairs: parseBucketPairs(requireString(env, names.bucketPairs), names.bucketPairs),
    replicaRegion: checkRegion(requireString(env, names.replicaRegion), names.replicaRegion),
    primaryRegion: optionalString(env, "AWS_REGION"),
    failureQueueUrl: requireUrl(env, names.failureQueueUrl),
    validationQueueUrl: requireUrl(env, names.validationQueueUrl),
    replicationDeadlineSeconds: optionalInteger(
      env,
      names.replicationDeadlineSeconds,
      DEFAULT_REPLICATION_DEADLINE_SECONDS,
      REPLICATION_DEADLINE_BOUNDS,
    ),
    retryBaseDelaySeconds: optionalInteger(
      env,
      names.retryBaseDelaySeconds,
      DEFAULT_RETRY_BASE_DELAY_SECONDS,
      // At least 1 s: with no delay a pending replica would be re-checked in a tight loop.
      { min: 1, max: MAX_DELAY_SECONDS },
    ),
    stage: stage === undefined ? undefined : checkStage(stage, names.stage),
  };
}

export interface NotifierConfig {
  /** The SNS topic the alerts go to (email subscriptions hang off it). */
  readonly alertTopicArn: string;
  /** Deployment stage (dev, prod, ...): shown in every subject and in the on-call commands. */
  readonly stage: string;
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
  const alertTopicArn = requireString(env, names.alertTopicArn);
  if (!TOPIC_ARN.test(alertTopicArn)) {
    throw new ConfigurationError(
      names.alertTopicArn,
      "must be an SNS topic ARN such as arn:aws:sns:us-east-1:111122223333:alerts",
      alertTopicArn,
    );
  }
  const alertsSentTable = requireString(env, names.alertsSentTable);
  if (!TABLE_NAME.test(alertsSentTable)) {
    throw new ConfigurationError(
      names.alertsSentTable,
      "must be a DynamoDB table name (3-255 letters, digits, _ . -)",
      alertsSentTable,
    );
  }
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

function requireUrl(env: Environment, name: string): string {
  const value = requireString(env, name);
  if (!URL.canParse(value)) throw new ConfigurationError(name, "must be a URL", value);
  return value;
}
