import type { Context, SQSBatchResponse, SQSEvent } from "aws-lambda";
import { vi } from "vitest";

export const PRIMARY = "bv-test-documents-primary";
export const REPLICA = "bv-test-documents-replica";
export const FAILURE_QUEUE_URL =
  "https://sqs.us-east-1.amazonaws.com/111122223333/bv-test-failures";
export const VALIDATION_QUEUE_URL =
  "https://sqs.us-east-1.amazonaws.com/111122223333/bv-test-validation";

export function validatorEnvironment(
  overrides: Record<string, string> = {},
): Record<string, string> {
  return {
    AWS_REGION: "us-east-1",
    AWS_ACCESS_KEY_ID: "test",
    AWS_SECRET_ACCESS_KEY: "test",
    BUCKET_PAIRS: JSON.stringify({ [PRIMARY]: { replica: REPLICA, category: "documents" } }),
    REPLICA_REGION: "us-west-2",
    FAILURE_QUEUE_URL,
    VALIDATION_QUEUE_URL,
    STAGE: "test",
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
