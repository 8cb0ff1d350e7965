import { PublishCommand, type SNSClient } from "@aws-sdk/client-sns";
import { deliverTo } from "../errors.ts";
import { toMessageAttributes } from "../queues/message-sender.ts";

/** One alert, ready to send: what an email subscriber sees as subject and plain-text body. */
export interface Alert {
  readonly subject: string;
  readonly body: string;
  /** String attributes subscribers can filter on (verdict, severity, stage, bucket, ...). */
  readonly attributes: Readonly<Record<string, string>>;
}

/** Sends alerts to the people on call. */
export interface AlertPublisher {
  publish(alert: Alert): Promise<void>;
}

export function snsAlertPublisher(client: SNSClient, topicArn: string): AlertPublisher {
  return {
    async publish(alert) {
      await deliverTo(topicArn, () =>
        client.send(
          new PublishCommand({
            TopicArn: topicArn,
            Subject: alert.subject,
            Message: alert.body,
            MessageAttributes: toMessageAttributes(alert.attributes),
          }),
        ),
      );
    },
  };
}
