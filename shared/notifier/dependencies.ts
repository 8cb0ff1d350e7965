import { SNSClient } from "@aws-sdk/client-sns";
import { functionClientOptions } from "../clients.ts";
import type { NotifierConfig } from "../contracts/environment.ts";
import type { Log, MetricsRecorder } from "../observability.ts";
import type { AlertBatchDependencies } from "./alert-batch.ts";
import { snsAlertPublisher } from "./alert-publisher.ts";

/**
 * Builds the notifier's SNS client once per cold start. The endpoint is left to the SDK, which
 * honours AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_SNS (how the local stack and the tests point it
 * at an emulator). https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html
 */
export function createNotifierDependencies(
  config: NotifierConfig,
  observability: { log: Log; metrics: MetricsRecorder },
): AlertBatchDependencies {
  return {
    publisher: snsAlertPublisher(
      new SNSClient(functionClientOptions(undefined, config.sdkRequestTimeoutMs)),
      config.alertTopicArn,
    ),
    stage: config.stage,
    ...observability,
  };
}
