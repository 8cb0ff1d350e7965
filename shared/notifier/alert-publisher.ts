import { PublishCommand, type SNSClient } from "@aws-sdk/client-sns";
import { deliverTo } from "../errors.ts";
import { toMessageAttributes } from "../queues/message-sender.ts";
import { boundedText, utf8Bytes } from "../text.ts";
import type { ChatNotification } from "./chat.ts";

/** One alert, ready to send: what an email subscriber sees as subject and plain-text body. */
export interface Alert {
  readonly subject: string;
  readonly body: string;
  /** String attributes subscribers can filter on (verdict, severity, stage, bucket, ...). */
  readonly attributes: Readonly<Record<string, string>>;
  /** The same alert for chat channels (AWS Chatbot custom notification). */
  readonly chat?: ChatNotification;
}

/** Sends alerts to the people on call. */
export interface AlertPublisher {
  publish(alert: Alert): Promise<void>;
}

/**
 * SNS's limit for one message, every protocol's copy and the attributes together.
 * https://docs.aws.amazon.com/sns/latest/api/API_Publish.html
 */
const MAX_MESSAGE_BYTES = 256 * 1024;
const ATTRIBUTE_ALLOWANCE_BYTES = 4 * 1024;

/**
 * Publishes alerts to the topic. Plain text by default: every subscriber (email, SQS, HTTPS)
 * gets the text, with the message attributes. With `chat`, one publish carries two bodies
 * (MessageStructure json): the text for everyone (`default`: email, SQS, ...) and the Chatbot
 * notification for HTTPS subscribers, which is how Chatbot subscribes. The price, as SNS
 * documents it: message attributes are then not delivered to subscribers (filter policies are
 * still given them), and both bodies share the 256 KB.
 * https://docs.aws.amazon.com/sns/latest/dg/sns-message-attributes.html
 */
export function snsAlertPublisher(
  client: SNSClient,
  topicArn: string,
  options: { readonly chat?: boolean } = {},
): AlertPublisher {
  return {
    async publish(alert) {
      const message =
        options.chat && alert.chat
          ? { Message: structuredMessage(alert.body, alert.chat), MessageStructure: "json" }
          : { Message: alert.body };
      await deliverTo(topicArn, () =>
        client.send(
          new PublishCommand({
            TopicArn: topicArn,
            Subject: alert.subject,
            ...message,
            MessageAttributes: toMessageAttributes(alert.attributes),
          }),
        ),
      );
    },
  };
}

/** `{"default": text, "https": chat JSON}`, the text cut so that the whole fits SNS's limit. */
export function structuredMessage(body: string, chat: ChatNotification): string {
  const https = JSON.stringify(chat);
  let text = body;
  for (;;) {
    const message = JSON.stringify({ default: text, https });
    const excess = utf8Bytes(message) - (MAX_MESSAGE_BYTES - ATTRIBUTE_ALLOWANCE_BYTES);
    if (excess <= 0) return message;
    // JSON escaping (line breaks, quotes) makes the text longer than it is: cut, then measure.
    text = boundedText(text, utf8Bytes(text) - excess - 1024);
  }
}
