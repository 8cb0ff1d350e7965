import { type Environment, requireArn, requireString } from "../config/env.ts";
import { ConfigurationError } from "../errors.ts";

export interface NotifierConfig {
  /** The SNS topic the alerts go to (email subscriptions hang off it). */
  readonly alertTopicArn: string;
  /** Deployment stage (dev, prod, ...): shown in every subject and in the on-call commands. */
  readonly stage: string;
}

// arn:partition:sns:region:account:topic — topic names are 1–256 letters, digits, - and _
// (".fifo" suffix for FIFO topics). https://docs.aws.amazon.com/sns/latest/api/API_CreateTopic.html
const TOPIC_ARN = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$/;
// Serverless stage names become part of resource names: letters, digits and hyphens.
const STAGE = /^[A-Za-z0-9-]{1,64}$/;

/** Reads and validates the failure-notifier's settings; throws ConfigurationError. */
export function loadNotifierConfig(env: Environment): NotifierConfig {
  const alertTopicArn = requireArn(env, "ALERT_TOPIC_ARN", "sns");
  if (!TOPIC_ARN.test(alertTopicArn)) {
    throw new ConfigurationError(
      "ALERT_TOPIC_ARN",
      "must be an SNS topic ARN such as arn:aws:sns:us-east-1:111122223333:alerts",
      alertTopicArn,
    );
  }
  const stage = requireString(env, "STAGE");
  if (!STAGE.test(stage)) {
    throw new ConfigurationError("STAGE", "must be 1-64 letters, digits or hyphens", stage);
  }
  return { alertTopicArn, stage };
}
