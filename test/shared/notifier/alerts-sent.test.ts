/**
 * The alerts-sent store (Powertools idempotency) against an in-process DynamoDB (dynalite) over
 * HTTP, with the stack's table layout: one alert per report within the window.
 */
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { type DynamoDbStandIn, startDynamoDbStandIn } from "../../../scripts/local/dynamodb.ts";
import {
  AlertBeingSentError,
  AlertStoreError,
  dynamoDbAlertsSent,
} from "../../../shared/notifier/alerts-sent.ts";
import { lambdaContext } from "../../helpers/lambda-context.ts";

let dynamo: DynamoDbStandIn;
let client: DynamoDBClient;

beforeAll(async () => {
  dynamo = await startDynamoDbStandIn({ tableName: "alerts-sent-test" });
  client = dynamo.client;
});
afterAll(async () => {
  await dynamo.stop();
});

/** A store as the handler has it: the invocation's context registered. */
function store(windowSeconds = 3600, tableName = dynamo.tableName) {
  const alertsSent = dynamoDbAlertsSent({ client, tableName, windowSeconds });
  alertsSent.registerContext(lambdaContext("backup-validator-test-failure-notifier"));
  return alertsSent;
}
const sent = (subject: string) => ({ subject, sentAt: "2026-12-04T03:00:00.000Z" });

describe("the alerts-sent store", () => {
  it("sends once per report; a later delivery gets what was sent, and sends nothing", async () => {
    // Prepare
    const alertsSent = store();
    const send = vi.fn(async () => sent("first"));

    // Act
    const first = await alertsSent.once("report-1", send);
    const again = await store().once("report-1", send);

    // Assess
    expect(send).toHaveBeenCalledOnce();
    expect(first).toEqual({ alert: sent("first"), duplicate: false });
    expect(again).toEqual({ alert: sent("first"), duplicate: true });
    expect(await alertsSent.lookup("report-1")).toEqual({ state: "sent", alert: sent("first") });
    expect(await alertsSent.lookup("report-2")).toBeUndefined();
  });

  it("releases a report whose publish failed, so the next delivery alerts", async () => {
    // Prepare
    const alertsSent = store();

    // Act + Assess
    await expect(
      alertsSent.once("report-3", async () => {
        throw new Error("SNS is down");
      }),
    ).rejects.toThrow("SNS is down");
    expect(await alertsSent.lookup("report-3")).toBeUndefined();
    expect(await alertsSent.once("report-3", async () => sent("retry"))).toEqual({
      alert: sent("retry"),
      duplicate: false,
    });
  });

  it("tells a delivery to wait while another invocation is publishing the same report", async () => {
    // Prepare: the first delivery is still publishing
    const alertsSent = store();
    let finish: (value: ReturnType<typeof sent>) => void = () => {};
    const publishing = alertsSent.once(
      "report-4",
      () => new Promise((resolve) => (finish = resolve)),
    );
    await vi.waitFor(async () =>
      expect(await alertsSent.lookup("report-4")).toEqual({ state: "sending" }),
    );

    // Act + Assess
    await expect(store().once("report-4", async () => sent("second"))).rejects.toBeInstanceOf(
      AlertBeingSentError,
    );
    finish(sent("first"));
    expect(await publishing).toEqual({ alert: sent("first"), duplicate: false });
  });

  it("lets the next delivery take over a report whose invocation died while publishing", async () => {
    // Prepare: an invocation with 500 ms left claims the report and never finishes
    const dying = dynamoDbAlertsSent({ client, tableName: dynamo.tableName, windowSeconds: 3600 });
    dying.registerContext({
      ...lambdaContext("backup-validator-test-failure-notifier"),
      getRemainingTimeInMillis: () => 500,
    });
    void dying.once("report-7", () => new Promise(() => {}));
    await vi.waitFor(async () =>
      expect(await store().lookup("report-7")).toEqual({ state: "sending" }),
    );

    // Act: after its deadline
    await new Promise((resolve) => setTimeout(resolve, 600));

    // Assess
    expect(await store().lookup("report-7")).toBeUndefined();
    expect(await store().once("report-7", async () => sent("taken over"))).toEqual({
      alert: sent("taken over"),
      duplicate: false,
    });
  });

  it("alerts again once the window has passed", async () => {
    // Prepare
    const alertsSent = store(1);
    await alertsSent.once("report-5", async () => sent("day one"));

    // Act
    // Expiry is kept in whole seconds: up to 2 s for a 1 s window.
    await new Promise((resolve) => setTimeout(resolve, 2_100));

    // Assess
    expect(await alertsSent.lookup("report-5")).toBeUndefined();
    expect(await alertsSent.once("report-5", async () => sent("day two"))).toEqual({
      alert: sent("day two"),
      duplicate: false,
    });
  });

  it("says when the store itself fails (unreachable table)", async () => {
    // Prepare
    const broken = store(60, "no-such-table");

    // Act + Assess
    await expect(broken.lookup("report-6")).rejects.toBeInstanceOf(AlertStoreError);
    await expect(broken.once("report-6", async () => sent("x"))).rejects.toBeInstanceOf(
      AlertStoreError,
    );
  });
});
