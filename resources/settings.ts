/**
 * Names and settings of the deployed system, read from resources/settings.json beside it: the
 * one source that the CloudFormation generator (resources/cloudformation/), the local stack and
 * the tests all use, so a bucket, queue or redrive setting cannot differ between them. Name rules
 * come from the contract the functions check at run time (shared/contracts/names.ts).
 */

import {
  type DeepVerificationConfig,
  deepVerificationValues,
  parseDeepVerification,
  VALIDATOR_VARIABLES,
} from "../shared/contracts/environment.ts";
import {
  checkCategory,
  checkRegion,
  checkStage,
  isAccountId,
  isBucketName,
} from "../shared/contracts/names.ts";
import { ConfigurationError } from "../shared/errors.ts";
import raw from "./settings.json" with { type: "json" };

/** The functions that consume an SQS queue. */
export type ConsumerFunctionKey = "checksum-validator" | "failure-notifier";
/** The scheduled audit's functions: invoked by EventBridge Scheduler and S3 Batch Operations. */
export type AuditFunctionKey = "audit-starter" | "audit-worker";
export type FunctionKey = ConsumerFunctionKey | AuditFunctionKey;
export type QueueKey = "validation" | "failure";
export type BucketEncryption = "SSE-S3" | "SSE-KMS";

export interface FunctionSettings {
  readonly timeoutSeconds: number;
  readonly memorySizeMb: number;
}

export interface ConsumerFunctionSettings extends FunctionSettings {
  readonly batchSize: number;
  readonly maximumBatchingWindowSeconds: number;
  readonly maximumConcurrency: number;
}

export interface AuditWorkerSettings extends FunctionSettings {
  /**
   * The worker's reserved concurrency: Batch Operations runs "up to the concurrency limit of the
   * function", so this bounds the job's rate (and its load on S3 and the account's concurrency).
   * https://docs.aws.amazon.com/lambda/latest/dg/services-s3-batch.html
   */
  readonly reservedConcurrency: number;
}

export interface AuditSettings {
  /** EventBridge Scheduler expression (UTC), or "off": the deploy parameter's default. */
  readonly schedule: string;
  /** CreateJob Priority: orders this account's jobs in the region (higher runs first). */
  readonly jobPriority: number;
  /** A newest complete inventory older than this is an error: the daily inventory stopped. */
  readonly maxInventoryAgeHours: number;
  readonly inventoryRetentionDays: number;
  /** The jobs' completion reports: each run's integrity record. */
  readonly reportRetentionDays: number;
  /** How long Scheduler retries invoking the starter (then its dead-letter queue). */
  readonly scheduleRetry: {
    readonly maximumRetryAttempts: number;
    readonly maximumEventAgeSeconds: number;
  };
}

export interface QueueSettings {
  /** The function that consumes the queue; its timeout bounds the visibility timeout. */
  readonly consumer: ConsumerFunctionKey;
  readonly visibilityTimeoutSeconds: number;
  readonly messageRetentionSeconds: number;
}

export interface Settings {
  readonly service: string;
  readonly defaults: {
    readonly stage: string;
    readonly primaryRegion: string;
    readonly replicaRegion: string;
    readonly bucketEncryption: BucketEncryption;
    readonly replicationTimeControl: boolean;
  };
  readonly categories: readonly string[];
  readonly names: Readonly<Record<NameKey, string>>;
  readonly functions: Readonly<Record<ConsumerFunctionKey, ConsumerFunctionSettings>> & {
    readonly "audit-starter": FunctionSettings;
    readonly "audit-worker": AuditWorkerSettings;
  };
  readonly queues: Readonly<Record<QueueKey, QueueSettings>> & {
    readonly maxReceiveCount: number;
    readonly dlqMessageRetentionSeconds: number;
  };
  readonly eventBridgeTarget: {
    readonly maximumRetryAttempts: number;
    readonly maximumEventAgeSeconds: number;
  };
  readonly replicationDeadlineSeconds: number;
  readonly audit: AuditSettings;
  readonly deepVerification: DeepVerificationConfig;
  readonly logRetentionDays: number;
  readonly accessLogRetentionDays: number;
  readonly lifecycle: {
    readonly noncurrentToGlacierIrDays: number;
    readonly noncurrentExpirationDays: number;
    readonly abortIncompleteMultipartUploadDays: number;
  };
  readonly alarms: {
    readonly periodSeconds: number;
    readonly oldestValidationMessageAgeSeconds: number;
    /** The notifier is behind: alerts wait longer than this on the failure queue. */
    readonly oldestFailureMessageAgeSeconds: number;
    /** A dead letter this old is a reminder, well before it expires (checked at load). */
    readonly oldestDeadLetterAgeSeconds: number;
    /** A function's longest invocation above this share of its timeout is an alarm. */
    readonly durationShareOfTimeout: number;
  };
  /** The same report again within this window sends no second alert. */
  readonly alertDeduplicationWindowSeconds: number;
  /** Stages `npm run remove` removes without asking (the local stack, a shared dev stage). */
  readonly disposableStages: readonly string[];
  readonly powertools: { readonly logLevel: string };
}

export type NameKey =
  | "primaryStack"
  | "replicaStack"
  | "primaryBucket"
  | "replicaBucket"
  | "accessLogsBucket"
  | "validationQueue"
  | "validationDlq"
  | "failureQueue"
  | "failureDlq"
  | "alertTopic"
  | "replicationRole"
  | "objectCreatedRule"
  | "alarmTopic"
  | "alertsSentTable"
  | "function"
  | "dashboard"
  | "inventoryBucket"
  | "auditSchedule"
  | "auditScheduleDlq";

/**
 * The account id emulators use (fauxqs, LocalStack). Used when no account id is given, i.e. for
 * the local stack; deployed names always carry the real account id.
 */
export const LOCAL_ACCOUNT_ID = "000000000000";

/**
 * Stands for the account id in names that go into CloudFormation `Fn::Sub`; the real id is only
 * known at deploy time and `${aws:accountId}` would need STS while packaging.
 */
export const CLOUDFORMATION_ACCOUNT_ID = `\${AWS::AccountId}`;

const PLACEHOLDER = /\{([a-zA-Z]+)\}/g;

// rate(value unit) with Scheduler's units (no "week"); cron(minutes hours day-of-month month
// day-of-week year), six fields. One-time at(...) schedules are refused: the audit recurs.
// https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html
const RATE_EXPRESSION = /^rate\((?:1 (?:minute|hour|day)|[1-9]\d* (?:minutes|hours|days))\)$/;
const CRON_EXPRESSION = /^cron\((?:[0-9A-Za-z*?,/#-]+ ){5}[0-9A-Za-z*?,/#-]+\)$/;

export const settings: Settings = checkSettings(raw as Settings);

/**
 * Validates settings.json at load: categories, each queue's visibility timeout, and the deep
 * verification settings (with the validator's own parser, so a value the stacks accept is one the
 * function accepts at cold start).
 */
export function checkSettings(candidate: Settings): Settings {
  for (const category of candidate.categories) checkCategory(category, "settings.json categories");
  checkDeepVerification(candidate.deepVerification);
  for (const [key, queue] of Object.entries(candidate.queues)) {
    if (typeof queue !== "object") continue;
    const consumer = candidate.functions[queue.consumer];
    if (consumer === undefined) {
      throw new ConfigurationError(`settings.json queues.${key}.consumer`, "names no function");
    }
    const minimum = minimumVisibilityTimeout(consumer);
    // Lambda's guidance: visibility timeout at least six times the function timeout, plus the
    // batching window. https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html
    if (queue.visibilityTimeoutSeconds < minimum) {
      throw new ConfigurationError(
        `settings.json queues.${key}.visibilityTimeoutSeconds`,
        `must be at least 6 x ${queue.consumer} timeout + batching window = ${minimum}`,
        String(queue.visibilityTimeoutSeconds),
      );
    }
  }
  checkDeadLetterReminder(candidate);
  checkAudit(candidate);
  return candidate;
}

/** The schedule parses as the deploy parameter would, and every number is in AWS's range. */
function checkAudit(candidate: Settings): void {
  const { audit } = candidate;
  parseScheduleExpression(audit.schedule, "settings.json audit.schedule");
  const ranges: [string, number, number, number][] = [
    // CreateJob Priority: 0 to 2147483647.
    // https://docs.aws.amazon.com/AmazonS3/latest/API/API_control_CreateJob.html
    ["audit.jobPriority", audit.jobPriority, 0, 2_147_483_647],
    // Inventories are daily; under a day would call every inventory stale.
    ["audit.maxInventoryAgeHours", audit.maxInventoryAgeHours, 25, 24 * 365],
    ["audit.inventoryRetentionDays", audit.inventoryRetentionDays, 1, 36_500],
    ["audit.reportRetentionDays", audit.reportRetentionDays, 1, 36_500],
    // Scheduler's RetryPolicy bounds.
    // https://docs.aws.amazon.com/scheduler/latest/APIReference/API_RetryPolicy.html
    ["audit.scheduleRetry.maximumRetryAttempts", audit.scheduleRetry.maximumRetryAttempts, 0, 185],
    [
      "audit.scheduleRetry.maximumEventAgeSeconds",
      audit.scheduleRetry.maximumEventAgeSeconds,
      60,
      86_400,
    ],
    [
      "functions.audit-worker.reservedConcurrency",
      candidate.functions["audit-worker"].reservedConcurrency,
      1,
      1000,
    ],
  ];
  for (const [name, value, min, max] of ranges) {
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new ConfigurationError(
        `settings.json ${name}`,
        `must be a whole number from ${min} to ${max}`,
        String(value),
      );
    }
  }
}

/**
 * An EventBridge Scheduler expression for the audit, or undefined for "off" (no schedule: jobs
 * start only by hand). Throws a ConfigurationError naming `variable` otherwise.
 */
export function parseScheduleExpression(value: string, variable: string): string | undefined {
  const expression = value.trim();
  if (expression === "off") return undefined;
  if (RATE_EXPRESSION.test(expression) || CRON_EXPRESSION.test(expression)) return expression;
  throw new ConfigurationError(
    variable,
    "must be off, rate(<n> minutes|hours|days) or cron(<minutes> <hours> <day-of-month> <month> <day-of-week> <year>)",
    value,
  );
}

function checkDeepVerification(deep: DeepVerificationConfig): void {
  const values = deepVerificationValues(deep);
  const env = {
    [VALIDATOR_VARIABLES.deepVerifyMaxBytes]: values.deepVerifyMaxBytes,
    [VALIDATOR_VARIABLES.deepVerifyRead]: values.deepVerifyRead,
    [VALIDATOR_VARIABLES.deepVerifyConcurrency]: values.deepVerifyConcurrency,
  };
  try {
    parseDeepVerification(env);
  } catch (error) {
    const problem = error instanceof Error ? error.message : String(error);
    throw new ConfigurationError("settings.json deepVerification", problem);
  }
}

/**
 * A standard queue's message expires by its original enqueue time, also in a DLQ, so a dead
 * letter may have only (DLQ retention - source retention) left when it arrives: the age alarm
 * must come before that.
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-dead-letter-queues.html
 */
function checkDeadLetterReminder(candidate: Settings): void {
  const longestSource = Math.max(
    candidate.queues.validation.messageRetentionSeconds,
    candidate.queues.failure.messageRetentionSeconds,
  );
  const leastTimeInDlq = candidate.queues.dlqMessageRetentionSeconds - longestSource;
  if (candidate.alarms.oldestDeadLetterAgeSeconds >= leastTimeInDlq) {
    throw new ConfigurationError(
      "settings.json alarms.oldestDeadLetterAgeSeconds",
      `must be below ${leastTimeInDlq} (DLQ retention minus the longest source retention), or dead letters expire before it fires`,
      String(candidate.alarms.oldestDeadLetterAgeSeconds),
    );
  }
}

/** 6 × the consumer's timeout + its batching window. */
export function minimumVisibilityTimeout(consumer: ConsumerFunctionSettings): number {
  return 6 * consumer.timeoutSeconds + consumer.maximumBatchingWindowSeconds;
}

/** Parses a comma-separated category list (the `categories` deploy parameter). */
export function parseCategories(list: string, variable = "categories"): string[] {
  const categories = list
    .split(",")
    .map((item) => item.trim())
    .filter((item) => item !== "");
  if (categories.length === 0) throw new ConfigurationError(variable, "names no category", list);
  for (const category of categories) checkCategory(category, variable);
  if (new Set(categories).size !== categories.length) {
    throw new ConfigurationError(variable, "names a category twice", list);
  }
  return categories;
}

/** Replaces each `{placeholder}` of a settings.json name pattern; unknown placeholders throw. */
export function renderName(pattern: string, values: Readonly<Record<string, string>>): string {
  return pattern.replace(PLACEHOLDER, (_match, key: string) => {
    const value = values[key];
    if (value === undefined) {
      throw new ConfigurationError("settings.json names", `unknown placeholder {${key}}`, pattern);
    }
    return value;
  });
}

export interface NameOptions {
  /** 12-digit account id, or CLOUDFORMATION_ACCOUNT_ID for templates. Default LOCAL_ACCOUNT_ID. */
  readonly accountId?: string;
  readonly primaryRegion?: string;
  readonly replicaRegion?: string;
  /** Default: settings.json categories. */
  readonly categories?: readonly string[];
}

export interface BucketPairNames {
  readonly category: string;
  readonly primaryBucket: string;
  readonly replicaBucket: string;
}

export interface ResourceNames {
  readonly stage: string;
  readonly accountId: string;
  readonly primaryRegion: string;
  readonly replicaRegion: string;
  readonly primaryStack: string;
  readonly replicaStack: string;
  readonly buckets: readonly BucketPairNames[];
  readonly accessLogsBuckets: { readonly primary: string; readonly replica: string };
  readonly validationQueue: string;
  readonly validationDlq: string;
  readonly failureQueue: string;
  readonly failureDlq: string;
  readonly alertTopic: string;
  /**
   * Named, not generated, so that the replica stack (deployed first, in another region) can name
   * it in its bucket policies; IAM and EventBridge allow 64 characters.
   */
  readonly replicationRole: string;
  readonly objectCreatedRule: string;
  readonly alarmTopic: string;
  /** The notifier's idempotency store: which reports were alerted, for the window. */
  readonly alertsSentTable: string;
  /** Every alarm's name starts with this. */
  readonly alarmNamePrefix: string;
  readonly functions: Readonly<Record<FunctionKey, string>>;
  readonly dashboard: string;
  /** S3 Inventory of the primary buckets and the audit jobs' completion reports (primary region). */
  readonly inventoryBucket: string;
  /** The EventBridge Scheduler schedule that starts the audit; 64 characters at most. */
  readonly auditSchedule: string;
  /** Where Scheduler puts an invocation of the starter it could not deliver. */
  readonly auditScheduleDlq: string;
}

/** Every name the stacks (and the local stack) use for `stage`. */
export function resourceNames(stage: string, options: NameOptions = {}): ResourceNames {
  checkStage(stage);
  const accountId = options.accountId ?? LOCAL_ACCOUNT_ID;
  if (accountId !== CLOUDFORMATION_ACCOUNT_ID && !isAccountId(accountId)) {
    throw new ConfigurationError("accountId", "must be a 12-digit AWS account id", accountId);
  }
  const primaryRegion = checkRegion(
    options.primaryRegion ?? settings.defaults.primaryRegion,
    "primaryRegion",
  );
  const replicaRegion = checkRegion(
    options.replicaRegion ?? settings.defaults.replicaRegion,
    "replicaRegion",
  );
  if (primaryRegion === replicaRegion) {
    throw new ConfigurationError(
      "replicaRegion",
      "must differ from the primary region",
      replicaRegion,
    );
  }
  const categories = options.categories ?? settings.categories;
  for (const category of categories) checkCategory(category, "categories");

  const base = { service: settings.service, stage, accountId, primaryRegion, replicaRegion };
  const name = (key: NameKey, extra: Record<string, string> = {}) =>
    renderName(settings.names[key], { ...base, ...extra });
  // The account id is always 12 digits: check the length the deployed name will have.
  const bucket = (key: NameKey, extra: Record<string, string>) => {
    const rendered = name(key, extra);
    const deployed = rendered.replaceAll(CLOUDFORMATION_ACCOUNT_ID, LOCAL_ACCOUNT_ID);
    if (!isBucketName(deployed)) {
      throw new ConfigurationError(
        "bucket name",
        "must be 3-63 lowercase letters, digits, dots or hyphens; shorten the stage or category",
        rendered,
      );
    }
    return rendered;
  };

  // IAM role, EventBridge rule and schedule names: at most 64 characters.
  const shortName = (key: NameKey) => {
    const rendered = name(key);
    if (rendered.length > 64) {
      throw new ConfigurationError(
        "stage",
        `makes the ${key} name longer than 64 characters; shorten the stage`,
        rendered,
      );
    }
    return rendered;
  };
  const buckets = categories.map((category) => ({
    category,
    primaryBucket: bucket("primaryBucket", { category }),
    replicaBucket: bucket("replicaBucket", { category }),
  }));
  const accessLogsBuckets = {
    primary: bucket("accessLogsBucket", { region: primaryRegion }),
    replica: bucket("accessLogsBucket", { region: replicaRegion }),
  };
  const inventoryBucket = bucket("inventoryBucket", {});
  checkDistinctBuckets(buckets, [
    accessLogsBuckets.primary,
    accessLogsBuckets.replica,
    inventoryBucket,
  ]);
  const functionNames: Record<FunctionKey, string> = {
    "checksum-validator": name("function", { function: "checksum-validator" }),
    "failure-notifier": name("function", { function: "failure-notifier" }),
    "audit-starter": name("function", { function: "audit-starter" }),
    "audit-worker": name("function", { function: "audit-worker" }),
  };
  return {
    stage,
    accountId,
    primaryRegion,
    replicaRegion,
    primaryStack: name("primaryStack"),
    replicaStack: name("replicaStack"),
    buckets,
    accessLogsBuckets,
    validationQueue: name("validationQueue"),
    validationDlq: name("validationDlq"),
    failureQueue: name("failureQueue"),
    failureDlq: name("failureDlq"),
    alertTopic: name("alertTopic"),
    replicationRole: shortName("replicationRole"),
    objectCreatedRule: shortName("objectCreatedRule"),
    alarmTopic: name("alarmTopic"),
    alertsSentTable: name("alertsSentTable"),
    alarmNamePrefix: `${name("primaryStack")}-`,
    functions: functionNames,
    dashboard: name("dashboard"),
    inventoryBucket,
    auditSchedule: shortName("auditSchedule"),
    auditScheduleDlq: name("auditScheduleDlq"),
  };
}

/**
 * Data bucket names follow the pattern of the stack's own buckets: a category named like one of
 * them ("logs", "inventory") would give two buckets one name.
 */
function checkDistinctBuckets(
  pairs: readonly BucketPairNames[],
  stackBuckets: readonly string[],
): void {
  for (const pair of pairs) {
    for (const taken of [pair.primaryBucket, pair.replicaBucket]) {
      if (stackBuckets.includes(taken)) {
        throw new ConfigurationError(
          "categories",
          `the category ${pair.category} names a bucket the stacks use for themselves; choose another name`,
          taken,
        );
      }
    }
  }
}

/** Queue names and the redrive/visibility settings the stack and the local stack must share. */
export function queueSettingsFor(stage: string, options: NameOptions = {}) {
  const names = resourceNames(stage, options);
  const { maxReceiveCount, dlqMessageRetentionSeconds } = settings.queues;
  const queue = (key: QueueKey, name: string, dlqName: string) => ({
    name,
    visibilityTimeoutSeconds: settings.queues[key].visibilityTimeoutSeconds,
    messageRetentionSeconds: settings.queues[key].messageRetentionSeconds,
    maxReceiveCount,
    dlq: { name: dlqName, messageRetentionSeconds: dlqMessageRetentionSeconds },
  });
  return {
    validation: queue("validation", names.validationQueue, names.validationDlq),
    failure: queue("failure", names.failureQueue, names.failureDlq),
  };
}
