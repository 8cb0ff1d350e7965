import { S3Client } from "@aws-sdk/client-s3";
import { SQSClient } from "@aws-sdk/client-sqs";
import { functionClientOptions } from "../clients.ts";
import type { AuditWorkerConfig, ValidatorConfig } from "../contracts/environment.ts";
import { deepVerificationSettings } from "../integrity/settle.ts";
import type { Log, MetricsRecorder } from "../observability.ts";
import { sqsMessageSender } from "../queues/message-sender.ts";
import { s3ObjectReader } from "../s3/object-state.ts";
import type { ValidatorDependencies } from "./process-message.ts";
import type { ValidationContext } from "./validate-object.ts";

/**
 * Builds the validator's clients once per cold start. Endpoints are left to the SDK, which
 * honours AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL_SQS (how the local stack
 * and the tests point it at an emulator).
 * https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html
 */
export function createValidatorDependencies(
  config: ValidatorConfig,
  observability: { log: Log; metrics: MetricsRecorder },
): ValidatorDependencies {
  const { validation, sqs } = createCheckingClients(config);
  return {
    validation,
    bucketPairs: config.bucketPairs,
    failureReports: sqsMessageSender(sqs, config.failureQueueUrl),
    pendingChecks: sqsMessageSender(sqs, config.validationQueueUrl),
    retryBaseDelaySeconds: config.retryBaseDelaySeconds,
    primaryRegion: config.primaryRegion,
    replicaRegion: config.replicaRegion,
    ...observability,
  };
}

/**
 * What checking an object takes, for the validator and the audit-worker alike: a reader per
 * side and the engine's settings, and the SQS client reports go out with.
 */
export function createCheckingClients(config: AuditWorkerConfig): {
  validation: ValidationContext;
  sqs: SQSClient;
} {
  const primaryS3 = new S3Client(
    functionClientOptions(config.primaryRegion, config.sdkRequestTimeoutMs),
  );
  // Replica buckets live in another region; a client pinned to it avoids a redirect per call.
  const replicaS3 = new S3Client(
    functionClientOptions(config.replicaRegion, config.sdkRequestTimeoutMs),
  );
  const sqs = new SQSClient(
    functionClientOptions(config.primaryRegion, config.sdkRequestTimeoutMs),
  );
  return {
    validation: {
      primary: s3ObjectReader(primaryS3),
      replica: s3ObjectReader(replicaS3),
      replicationDeadlineSeconds: config.replicationDeadlineSeconds,
      deepVerification: deepVerificationSettings(config.deepVerification),
      stage: config.stage,
      now: () => new Date(),
    },
    sqs,
  };
}
