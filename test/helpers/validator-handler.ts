import type { Context, SQSBatchResponse, SQSEvent } from "aws-lambda";
import { vi } from "vitest";
import { formatBucketPairs } from "../../shared/contracts/bucket-pairs.ts";
import { validatorEnvironment as buildValidatorEnvironment } from "../../shared/contracts/environment.ts";

export const PRIMARY = "bv-test-documents-primary";
export const REPLICA = "bv-test-documents-replica";
export const FAILURE_QUEUE_URL =
  "https://sqs.us-east-1.amazonaws.com/111122223333/bv-test-failures";
export const VALIDATION_QUEUE_URL =
  "https://sqs.us-east-1.amazonaws.com/111122223333/bv-test-validation";

/** The validator's environment for tests, built with the contract's own builder. */
export function validatorEnvironment(
  overrides: Record<string, string> = {},
): Record<string, string> {
  return {
    AWS_REGION: "us-east-1",
    AWS_ACCESS_KEY_ID: "test",
    AWS_SECRET_ACCESS_KEY: "test",
    ...buildValidatorEnvironment({
      bucketPairs: formatBucketPairs([
        { primaryBucket: PRIMARY, replicaBucket: REPLICA, category: "documents" },
      ]),
      replicaRegion: "us-west-2",
      failureQueueUrl: FAILURE_QUEUE_URL,
      validationQueueUrl: VALIDATION_QUEUE_URL,
      stage: "test",
    }),
    ...overrides,
  };
}

export type Handler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

/**
 * Imports the real Lambda module with the given environment, as a cold start would: the
 * module reads its configuration and builds its clients at import time.
 */
export async function loadValidatorHandler(environment: Record<string, string>): Promise<Handler> {
  vi.resetModules();
  for (const [name, value] of Object.entries(environment)) vi.stubEnv(name, value);
  const module = await import("../../functions/checksum-validator/handler.ts");
  return module.handler;
}
