import type { SQSBatchResponse, SQSEvent } from "aws-lambda";
import { vi } from "vitest";
import { notifierEnvironment } from "../../shared/contracts/environment.ts";
import { TEST_CREDENTIALS } from "./emulator.ts";
import { lambdaContext } from "./lambda-context.ts";

export type NotifierHandler = (event: SQSEvent) => Promise<SQSBatchResponse>;

/**
 * The failure-notifier's environment for tests, built with the contract's own builder: its
 * topic, its alerts-sent table on a DynamoDB stand-in and, when given, SNS on an emulator (found
 * only through AWS_ENDPOINT_URL_SNS, the SDK's service-specific endpoint variable).
 */
export function notifierTestEnvironment(
  setup: {
    readonly alertTopicArn: string;
    readonly alertsSent: { readonly tableName: string; readonly endpoint: string };
    readonly snsEndpoint?: string;
  },
  overrides: Record<string, string | undefined> = {},
): Record<string, string | undefined> {
  return {
    AWS_REGION: "us-east-1",
    AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
    ...(setup.snsEndpoint === undefined
      ? {}
      : { AWS_ENDPOINT_URL: undefined, AWS_ENDPOINT_URL_SNS: setup.snsEndpoint }),
    AWS_ENDPOINT_URL_DYNAMODB: setup.alertsSent.endpoint,
    ...notifierEnvironment({
      alertTopicArn: setup.alertTopicArn,
      stage: "prod",
      alertsSentTable: setup.alertsSent.tableName,
    }),
    ...overrides,
  };
}

/**
 * Imports the real Lambda module with the given environment, as a cold start would (the module
 * reads its configuration and builds its clients at import time), and calls it with a context.
 */
export async function loadNotifierHandler(
  environment: Record<string, string | undefined>,
  functionName = "backup-validator-prod-failure-notifier",
): Promise<NotifierHandler> {
  vi.resetModules();
  for (const [name, value] of Object.entries(environment)) vi.stubEnv(name, value);
  const module = await import("../../functions/failure-notifier/handler.ts");
  return (event) => module.handler(event, lambdaContext(functionName));
}
