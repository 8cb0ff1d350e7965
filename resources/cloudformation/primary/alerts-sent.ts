/**
 * The notifier's idempotency store: one item per report alerted, so the same report delivered
 * again (a redrive, a retried batch, the validator's at-least-once sends) within the window
 * sends no second alert. The layout Powertools idempotency expects: partition key `id` (string),
 * expiry in `expiration` (epoch seconds), which is also the TTL attribute; Powertools checks the
 * expiry itself, so DynamoDB's lazy TTL deletion (up to days late) changes nothing.
 * https://docs.powertools.aws.dev/lambda/typescript/latest/features/idempotency/#required-resources
 */
import type { ResourceNames } from "../../settings.ts";
import type { Resources } from "../intrinsics.ts";
import { LOGICAL_IDS } from "./logical-ids.ts";

/** Attribute names of the idempotency records (Powertools' defaults). */
export const ALERTS_SENT_KEY = "id";
export const ALERTS_SENT_EXPIRY = "expiration";

export function alertsSentResources(names: ResourceNames): Resources {
  return {
    [LOGICAL_IDS.alertsSentTable]: {
      Type: "AWS::DynamoDB::Table",
      // Records are worth a day: a replaced table only risks a duplicate alert.
      DeletionPolicy: "Delete",
      UpdateReplacePolicy: "Delete",
      Properties: {
        TableName: names.alertsSentTable,
        // A few writes per alert: on-demand costs nothing while nothing fails.
        BillingMode: "PAY_PER_REQUEST",
        AttributeDefinitions: [{ AttributeName: ALERTS_SENT_KEY, AttributeType: "S" }],
        KeySchema: [{ AttributeName: ALERTS_SENT_KEY, KeyType: "HASH" }],
        TimeToLiveSpecification: { AttributeName: ALERTS_SENT_EXPIRY, Enabled: true },
      },
    },
  };
}
