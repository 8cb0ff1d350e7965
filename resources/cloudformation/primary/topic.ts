/** The alert topic, its policy and the e-mail subscriptions. */
import type { ResourceNames } from "../../settings.ts";
import type { StackInputs } from "../inputs.ts";
import { getAtt, policyDocument, type Resources, ref, sub } from "../intrinsics.ts";
import { LOGICAL_IDS } from "./logical-ids.ts";

export function topicResources(inputs: StackInputs, names: ResourceNames): Resources {
  const topic = LOGICAL_IDS.topic;
  const resources: Resources = {
    [topic]: {
      Type: "AWS::SNS::Topic",
      Properties: {
        TopicName: names.alertTopic,
        DisplayName: `backup-validator ${inputs.stage}`,
        KmsMasterKeyId: getAtt(LOGICAL_IDS.topicKey, "Arn"),
      },
    },
    [`${topic}Policy`]: {
      Type: "AWS::SNS::TopicPolicy",
      Properties: {
        Topics: [ref(topic)],
        PolicyDocument: policyDocument([
          {
            Sid: "CloudWatchAlarmsPublish",
            Effect: "Allow",
            Principal: { Service: "cloudwatch.amazonaws.com" },
            Action: "sns:Publish",
            Resource: ref(topic),
            Condition: {
              StringEquals: { "aws:SourceAccount": ref("AWS::AccountId") },
              ArnLike: {
                "aws:SourceArn": sub(
                  `arn:\${AWS::Partition}:cloudwatch:\${AWS::Region}:\${AWS::AccountId}:alarm:*`,
                ),
              },
            },
          },
          {
            Sid: "DenyInsecureTransport",
            Effect: "Deny",
            Principal: "*",
            Action: ["sns:Publish", "sns:Subscribe"],
            Resource: ref(topic),
            Condition: { Bool: { "aws:SecureTransport": "false" } },
          },
        ]),
      },
    },
  };
  for (const email of inputs.alertEmails) {
    resources[`AlertEmail${hash(email)}`] = {
      Type: "AWS::SNS::Subscription",
      Properties: { TopicArn: ref(topic), Protocol: "email", Endpoint: email },
    };
  }
  return resources;
}

/** A stable short id for an address, so reordering the list does not replace subscriptions. */
function hash(text: string): string {
  let value = 0x811c9dc5;
  for (const char of text.toLowerCase()) {
    value = Math.imul(value ^ (char.codePointAt(0) ?? 0), 0x01000193) >>> 0;
  }
  return value.toString(16).padStart(8, "0").toUpperCase();
}
