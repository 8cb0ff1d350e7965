import { type BucketPairs, readBucketPairs } from "../config/bucket-pairs.ts";
import {
  type Environment,
  optionalInteger,
  optionalString,
  requireRegion,
  requireUrl,
} from "../config/env.ts";
import { MAX_DELAY_SECONDS } from "../queues/message-sender.ts";

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

/** S3 Replication Time Control replicates 99.99 % of objects within 15 minutes. */
export const DEFAULT_REPLICATION_DEADLINE_SECONDS = 900;
export const DEFAULT_RETRY_BASE_DELAY_SECONDS = 30;

/** Reads and validates the checksum-validator's settings; throws ConfigurationError. */
export function loadValidatorConfig(env: Environment): ValidatorConfig {
  return {
    bucketPairs: readBucketPairs(env),
    replicaRegion: requireRegion(env, "REPLICA_REGION"),
    primaryRegion: optionalString(env, "AWS_REGION"),
    failureQueueUrl: requireUrl(env, "FAILURE_QUEUE_URL"),
    validationQueueUrl: requireUrl(env, "VALIDATION_QUEUE_URL"),
    replicationDeadlineSeconds: optionalInteger(
      env,
      "REPLICATION_DEADLINE_SECONDS",
      DEFAULT_REPLICATION_DEADLINE_SECONDS,
      { min: 1, max: 7 * 24 * 3600 },
    ),
    retryBaseDelaySeconds: optionalInteger(
      env,
      "RETRY_BASE_DELAY_SECONDS",
      DEFAULT_RETRY_BASE_DELAY_SECONDS,
      // At least 1 s: with no delay a pending replica would be re-checked in a tight loop.
      { min: 1, max: MAX_DELAY_SECONDS },
    ),
    stage: optionalString(env, "STAGE"),
  };
}
