/**
 * The two topics and their subscriptions. Alerts (the notifier's, with message attributes) and
 * alarms (CloudWatch's, without any) go to topics of their own, each with its own key: when the
 * alert topic or its key breaks, the alarm about it still has somewhere to go. And a pager can
 * take critical alerts and every alarm: no single filter policy can, because a policy on
 * message attributes never matches a message that has none ("exists": false needs at least one
 * attribute). https://docs.aws.amazon.com/sns/latest/dg/attribute-key-matching.html
 */
import type { ResourceNames } from "../../settings.ts";
import type { StackInputs } from "../inputs.ts";
import {
  getAtt,
  type PolicyStatement,
  policyDocument,
  type Resources,
  ref,
  sub,
} from "../intrinsics.ts";
import { LOGICAL_IDS } from "./logical-ids.ts";

/** The pager's subscription to the alert topic: critical alerts only (attribute `severity`). */
export const PAGER_ALERT_FILTER_POLICY = { severity: ["critical"] } as const;

export function topicResources(inputs: StackInputs, names: ResourceNames): Resources {
  const alerts = LOGICAL_IDS.topic;
  const alarms = LOGICAL_IDS.alarmTopic;
  const resources: Resources = {
    [alerts]: {
      Type: "AWS::SNS::Topic",
      Properties: {
        TopicName: names.alertTopic,
        DisplayName: `backup-validator ${inputs.stage}`,
        KmsMasterKeyId: getAtt(LOGICAL_IDS.topicKey, "Arn"),
      },
    },
    [`${alerts}Policy`]: topicPolicy(alerts, []),
    [alarms]: {
      Type: "AWS::SNS::Topic",
      Properties: {
        TopicName: names.alarmTopic,
        DisplayName: `backup-validator ${inputs.stage} alarms`,
        KmsMasterKeyId: getAtt(LOGICAL_IDS.alarmTopicKey, "Arn"),
      },
    },
    [`${alarms}Policy`]: topicPolicy(alarms, [
      {
        Sid: "CloudWatchAlarmsPublish",
        Effect: "Allow",
        Principal: { Service: "cloudwatch.amazonaws.com" },
        Action: "sns:Publish",
        Resource: ref(alarms),
        Condition: {
          StringEquals: { "aws:SourceAccount": ref("AWS::AccountId") },
          ArnLike: {
            "aws:SourceArn": sub(
              `arn:\${AWS::Partition}:cloudwatch:\${AWS::Region}:\${AWS::AccountId}:alarm:${names.alarmNamePrefix}*`,
            ),
          },
        },
      },
    ]),
  };
  // E-mail: everything, from both topics.
  for (const email of inputs.alertEmails) {
    resources[`AlertEmail${hash(email)}`] = subscription(alerts, "email", email);
    resources[`AlarmEmail${hash(email)}`] = subscription(alarms, "email", email);
  }
  // A pager: critical alerts, and every alarm.
  for (const endpoint of inputs.pagerEndpoints) {
    resources[`AlertPager${hash(endpoint)}`] = subscription(alerts, "https", endpoint, {
      FilterPolicyScope: "MessageAttributes",
      FilterPolicy: PAGER_ALERT_FILTER_POLICY,
    });
    resources[`AlarmPager${hash(endpoint)}`] = subscription(alarms, "https", endpoint);
  }
  return resources;
}

function subscription(
  topic: string,
  protocol: "email" | "https",
  endpoint: string,
  filter: Record<string, unknown> = {},
) {
  return {
    Type: "AWS::SNS::Subscription",
    Properties: { TopicArn: ref(topic), Protocol: protocol, Endpoint: endpoint, ...filter },
  };
}

/** TLS only; `allow` adds who may publish besides the account's own principals. */
function topicPolicy(topic: string, allow: PolicyStatement[]) {
  return {
    Type: "AWS::SNS::TopicPolicy",
    Properties: {
      Topics: [ref(topic)],
      PolicyDocument: policyDocument([
        ...allow,
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
  };
}

/** A stable short id for an address, so reordering the list does not replace subscriptions. */
function hash(text: string): string {
  let value = 0x811c9dc5;
  for (const char of text.toLowerCase()) {
    value = Math.imul(value ^ (char.codePointAt(0) ?? 0), 0x01000193) >>> 0;
  }
  return value.toString(16).padStart(8, "0").toUpperCase();
}
