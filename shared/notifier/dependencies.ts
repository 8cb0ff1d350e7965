import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SNSClient } from "@aws-sdk/client-sns";
import { functionClientOptions } from "../clients.ts";
import type { NotifierConfig } from "../contracts/environment.ts";
import type { Log, MetricsRecorder } from "../observability.ts";
import type { AlertBatchDependencies } from "./alert-batch.ts";
import { snsAlertPublisher } from "./alert-publisher.ts";
import { type AlertsSent, dynamoDbAlertsSent } from "./alerts-sent.ts";

/**
 * Builds the notifier's clients once per cold start. Endpoints are left to the SDK, which
 * honours AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_SNS / AWS_ENDPOINT_URL_DYNAMODB (how the local
 * stack and the tests point it at emulators).
 * https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html
 */
export function createNotifierDependencies(
  config: NotifierConfig,
  observability: { log: Log; metrics: MetricsRecorder },
): AlertBatchDependencies & { readonly alertsSent: AlertsSent } {
  return {
    publisher: snsAlertPublisher(
      new SNSClient(functionClientOptions(undefined, config.sdkRequestTimeoutMs)),
      config.alertTopicArn,
      { chat: config.chatNotifications },
    ),
    stage: config.stage,
    alertsSent: dynamoDbAlertsSent({
      client: new DynamoDBClient(functionClientOptions(undefined, config.sdkRequestTimeoutMs)),
      tableName: config.alertsSentTable,
      windowSeconds: config.deduplicationWindowSeconds,
    }),
    ...observability,
  };
}
