/** The EventBridge rule: S3 Object Created in a primary bucket → the validation queue. */
import { type ResourceNames, settings } from "../../settings.ts";
import { getAtt, type Resources, sub } from "../intrinsics.ts";
import { LOGICAL_IDS } from "./logical-ids.ts";

export function ruleResources(names: ResourceNames): Resources {
  return {
    [LOGICAL_IDS.rule]: {
      Type: "AWS::Events::Rule",
      Properties: {
        // Named, so that the queue key can trust EventBridge for this rule alone (keys.ts).
        Name: names.objectCreatedRule,
        Description: "S3 Object Created in a primary bucket → validation queue",
        EventBusName: "default",
        State: "ENABLED",
        EventPattern: {
          source: ["aws.s3"],
          "detail-type": ["Object Created"],
          detail: { bucket: { name: names.buckets.map((pair) => sub(pair.primaryBucket)) } },
        },
        Targets: [
          {
            // No RoleArn: SQS targets are authorised by the queue policy.
            Id: "validation-queue",
            Arn: getAtt(LOGICAL_IDS.validationQueue, "Arn"),
            DeadLetterConfig: { Arn: getAtt(LOGICAL_IDS.validationDlq, "Arn") },
            RetryPolicy: {
              MaximumRetryAttempts: settings.eventBridgeTarget.maximumRetryAttempts,
              MaximumEventAgeInSeconds: settings.eventBridgeTarget.maximumEventAgeSeconds,
            },
          },
        ],
      },
    },
  };
}
