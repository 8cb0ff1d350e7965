import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { type DynamoDbStandIn, startDynamoDbStandIn } from "../../../scripts/local/dynamodb.ts";
import {
  DIGEST_INDEX_LIMIT_BYTES,
  MAX_BODY_BYTES,
  MAX_SNS_MESSAGE_BYTES,
  planAlerts,
  startAlertBatch,
} from "../../../shared/notifier/alert-batch.ts";
import type { Alert, AlertPublisher } from "../../../shared/notifier/alert-publisher.ts";
import { AlertBeingSentError, dynamoDbAlertsSent } from "../../../shared/notifier/alerts-sent.ts";
import type { Log } from "../../../shared/observability.ts";
import { fixtureText } from "../../helpers/events.ts";
import { lambdaContext } from "../../helpers/lambda-context.ts";
import { failureQueueRecord, records, reportFor, STAGE, words } from "../../helpers/reports.ts";

const context = { stage: STAGE };

/** What SNS counts towards its 256 KB limit: body, subject and attributes, in UTF-8 bytes. */
function snsBytes(alert: Alert): number {
  const attributes = Object.entries(alert.attributes).reduce(
    (sum, [name, value]) =>
      sum + Buffer.byteLength(name) + "String".length + Buffer.byteLength(value),
    0,
  );
  return Buffer.byteLength(alert.body) + Buffer.byteLength(alert.subject) + attributes;
}

function silentLog() {
  const error = vi.fn<Log["error"]>();
  const log: Log = { debug: vi.fn(), info: vi.fn(), warn: vi.fn(), error };
  return Object.assign(log, { error });
}

describe("planAlerts: one alert per report, a digest per kind", () => {
  it("groups same verdict and bucket into a digest and keeps everything else apart", () => {
    // Prepare
    const otherBucket = reportFor("MISMATCH", "b/1.pdf");
    const batch = records([
      JSON.stringify(reportFor("MISMATCH", "a/1.pdf")),
      JSON.stringify(reportFor("UNVERIFIABLE")),
      JSON.stringify({
        ...otherBucket,
        reportId: "other-bucket",
        object: { ...otherBucket.object, bucket: "backup-validator-prod-media-primary" },
      }),
      "not json",
      JSON.stringify(reportFor("MISMATCH", "a/2.pdf")),
      fixtureText("eventbridge-object-created.json"),
      "also not json",
    ]);

    // Act
    const planned = planAlerts(batch, context);

    // Assess
    expect(planned.map((plan) => [plan.alert.subject, plan.messageIds])).toEqual([
      ["[backup-validator prod] 2x MISMATCH documents: a/1.pdf +1 more", ["msg-01", "msg-05"]],
      ["[backup-validator prod] UNVERIFIABLE documents: reports/q3.pdf", ["msg-02"]],
      ["[backup-validator prod] MISMATCH documents: b/1.pdf", ["msg-03"]],
      ["[backup-validator prod] 2x UNRECOGNISED_MESSAGE: not JSON +1 more", ["msg-04", "msg-07"]],
      ["[backup-validator prod] REDRIVEN_EVENT DOC-EXAMPLE-BUCKET1: example-key", ["msg-06"]],
    ]);
  });

  it("alerts once for a report delivered twice, answering for both messages", () => {
    // Prepare
    const report = JSON.stringify(reportFor("REPLICATION_FAILED"));

    // Act
    const planned = planAlerts(records([report, report]), context);

    // Assess
    expect(planned).toHaveLength(1);
    expect(planned[0]?.alert.attributes.alertType).toBe("single");
    expect(planned[0]?.messageIds).toEqual(["msg-01", "msg-02"]);
  });

  it("alerts, with the raw body, on a report whose fields have the wrong types", () => {
    // Prepare: the schema says what the notifier reads; a nested field of the wrong type fails it.
    const broken = JSON.stringify({ ...reportFor("MISMATCH"), evidence: { compared: 42 } });

    // Act
    const planned = planAlerts([failureQueueRecord(broken)], context, silentLog());

    // Assess
    expect(planned).toHaveLength(1);
    const alert = planned[0]?.alert;
    expect(alert?.subject).toBe(
      "[backup-validator prod] UNRECOGNISED_MESSAGE: unreadable failure report",
    );
    expect(words(alert?.body ?? "")).toContain("cannot read (invalid evidence)");
    expect(alert?.body).toContain('"evidence":{"compared":42}');
  });
});

describe("the 256 KB SNS limit", () => {
  it("cuts a huge raw body with a marker, measuring UTF-8 bytes", () => {
    // Prepare: 3 bytes per character, far over the limit.
    const body = "€".repeat(400_000);

    // Act
    const [plan] = planAlerts([failureQueueRecord(body)], context);

    // Assess
    const alert = plan?.alert as Alert;
    expect(snsBytes(alert)).toBeLessThan(MAX_SNS_MESSAGE_BYTES);
    expect(alert.body).toMatch(
      /€… \[truncated, 1200000 bytes in all\]\n\nWHAT|€… \[truncated, 1200000 bytes in all\]\n?$/,
    );
    expect(alert.body).not.toContain("\uFFFD");
  });

  it("cuts the whole body as a last resort when a report's own fields are huge", () => {
    // Prepare
    const report = { ...reportFor("MISMATCH"), summary: `checksum differs ${"x".repeat(600_000)}` };

    // Act
    const [plan] = planAlerts([failureQueueRecord(JSON.stringify(report))], context);

    // Assess
    const alert = plan?.alert as Alert;
    expect(Buffer.byteLength(alert.body)).toBeLessThanOrEqual(MAX_BODY_BYTES);
    expect(snsBytes(alert)).toBeLessThan(MAX_SNS_MESSAGE_BYTES);
    expect(alert.body).toMatch(/… \[truncated, \d+ bytes in all\]$/);
  });

  it("keeps every alert listed in a digest and drops only details that do not fit", () => {
    // Prepare: thirty 20 KB bodies (8 KB of each shown in a digest): the list fits, not all details.
    const batch = records(
      Array.from({ length: 30 }, (_, index) => `${index}:${"z".repeat(20_000)}`),
    );

    // Act
    const planned = planAlerts(batch, context);

    // Assess
    expect(planned).toHaveLength(1);
    const alert = planned[0]?.alert as Alert;
    expect(planned[0]?.messageIds).toHaveLength(30);
    expect(snsBytes(alert)).toBeLessThan(MAX_SNS_MESSAGE_BYTES);
    for (let position = 1; position <= 30; position += 1) {
      expect(alert.body).toContain(
        `\n  ${position}. message msg-${String(position).padStart(2, "0")}:`,
      );
    }
    expect(alert.body).toMatch(
      /\[Details of alert\(s\) (\d+, )*30 left out to stay under SNS's 256 KB message limit/,
    );
  });

  it("splits a digest whose list alone would be too big, each message in exactly one part", () => {
    // Prepare: 1,000-character keys make each entry about 3 KB.
    const keyFor = (index: number) => `${String(index).padStart(3, "0")}/${"k".repeat(996)}`;
    const batch = records(
      Array.from({ length: 60 }, (_, index) =>
        JSON.stringify(reportFor("MISMATCH", keyFor(index))),
      ),
    );

    // Act
    const planned = planAlerts(batch, context);

    // Assess
    expect(planned.length).toBeGreaterThan(1);
    const ids = planned.flatMap((plan) => plan.messageIds);
    expect(ids).toHaveLength(60);
    expect(new Set(ids).size).toBe(60);
    planned.forEach((plan, index) => {
      expect(plan.alert.subject).toContain(`(${index + 1}/${planned.length})`);
      expect(plan.alert.subject.length).toBeLessThan(100);
      expect(snsBytes(plan.alert)).toBeLessThan(MAX_SNS_MESSAGE_BYTES);
      const list = plan.alert.body.slice(0, plan.alert.body.indexOf("\nWHAT TO DO NEXT"));
      expect(Buffer.byteLength(list)).toBeLessThan(DIGEST_INDEX_LIMIT_BYTES + 4096);
    });
  });
});

describe("startAlertBatch: each message waits for its own alert", () => {
  function recordingPublisher(failWhen: (alert: Alert) => boolean = () => false) {
    const published: Alert[] = [];
    const publisher: AlertPublisher = {
      publish: vi.fn(async (alert: Alert) => {
        if (failWhen(alert)) throw new Error("SNS is down");
        published.push(alert);
      }),
    };
    return { publisher, published };
  }

  it("publishes a digest once however many of its messages ask", async () => {
    // Prepare
    const { publisher, published } = recordingPublisher();
    const batch = await startAlertBatch(
      { publisher, stage: STAGE, log: silentLog() },
      records(["x", "y", "z"]),
    );

    // Act
    await Promise.all(["msg-01", "msg-02", "msg-03"].map((id) => batch.deliver(id)));

    // Assess
    expect(published).toHaveLength(1);
    expect(publisher.publish).toHaveBeenCalledOnce();
  });

  it("fails exactly the messages of the alert that was not published, and counts it", async () => {
    // Prepare
    const { publisher } = recordingPublisher((alert) => alert.attributes.alertType === "digest");
    const metrics = { addMetric: vi.fn() };
    const log = silentLog();
    const batch = await startAlertBatch(
      { publisher, stage: STAGE, log, metrics },
      records([JSON.stringify(reportFor("MISMATCH")), "x", "y"]),
    );

    // Act
    const results = await Promise.allSettled(
      ["msg-01", "msg-02", "msg-03"].map((id) => batch.deliver(id)),
    );

    // Assess
    expect(results.map((result) => result.status)).toEqual(["fulfilled", "rejected", "rejected"]);
    expect(metrics.addMetric).toHaveBeenCalledWith("AlertPublishFailures", "Count", 1);
    expect(metrics.addMetric).toHaveBeenCalledWith("AlertsPublished", "Count", 1);
    expect(log.error).toHaveBeenCalledWith(
      "alert not published; its messages fail and will be retried",
      expect.objectContaining({ messageIds: ["msg-02", "msg-03"], error: "Error: SNS is down" }),
    );
  });

  it("refuses a message that is not in the batch", async () => {
    const batch = await startAlertBatch(
      { publisher: recordingPublisher().publisher, stage: STAGE, log: silentLog() },
      [],
    );
    await expect(batch.deliver("nope")).rejects.toThrow("message nope is not part of this batch");
  });
});

describe("startAlertBatch with the alerts-sent store: one alert per report across batches", () => {
  let dynamo: DynamoDbStandIn;
  let client: DynamoDBClient;
  beforeAll(async () => {
    dynamo = await startDynamoDbStandIn({ tableName: "alert-batch-test" });
    client = dynamo.client;
  });
  afterAll(async () => {
    await dynamo.stop();
  });

  function recording() {
    const published: Alert[] = [];
    const publisher: AlertPublisher = {
      publish: async (alert) => {
        published.push(alert);
      },
    };
    const metrics = { addMetric: vi.fn() };
    const alertsSent = dynamoDbAlertsSent({
      client,
      tableName: dynamo.tableName,
      windowSeconds: 3600,
    });
    // As the handler does per invocation: a claim expires with the invocation holding it.
    alertsSent.registerContext(lambdaContext("backup-validator-prod-failure-notifier"));
    return { published, deps: { publisher, stage: STAGE, log: silentLog(), metrics, alertsSent } };
  }
  const deliverAll = async (batch: { deliver(id: string): Promise<void> }, ids: string[]) => {
    for (const id of ids) await batch.deliver(id);
  };

  it("acknowledges a report alerted in an earlier batch without a second alert, and counts it", async () => {
    // Prepare: the same report, delivered again in a later batch (a redrive, a retry)
    const { published, deps } = recording();
    const body = JSON.stringify(reportFor("MISMATCH", "dedupe/one.pdf"));
    await deliverAll(await startAlertBatch(deps, records([body])), ["msg-01"]);

    // Act
    await deliverAll(await startAlertBatch(deps, records([body])), ["msg-01"]);

    // Assess
    expect(published).toHaveLength(1);
    expect(deps.metrics.addMetric).toHaveBeenCalledWith("DuplicateReportsSuppressed", "Count", 1);
  });

  it("leaves a report alerted earlier out of a digest of new ones", async () => {
    // Prepare
    const { published, deps } = recording();
    const old = JSON.stringify(reportFor("MISMATCH", "dedupe/old.pdf"));
    await deliverAll(await startAlertBatch(deps, records([old])), ["msg-01"]);
    const batch = await startAlertBatch(
      deps,
      records([
        old,
        JSON.stringify(reportFor("MISMATCH", "dedupe/new-1.pdf")),
        JSON.stringify(reportFor("MISMATCH", "dedupe/new-2.pdf")),
      ]),
    );

    // Act
    await deliverAll(batch, ["msg-01", "msg-02", "msg-03"]);

    // Assess
    expect(published).toHaveLength(2);
    const digest = published[1];
    expect(digest?.subject).toContain("2x MISMATCH");
    expect(digest?.body).not.toContain("dedupe/old.pdf");
  });

  it("alerts a report delivered twice in one batch once, both messages acknowledged", async () => {
    // Prepare
    const { published, deps } = recording();
    const body = JSON.stringify(reportFor("REPLICA_MISSING", "dedupe/twice.pdf"));
    const batch = await startAlertBatch(deps, records([body, body]));

    // Act
    await deliverAll(batch, ["msg-01", "msg-02"]);

    // Assess
    expect(published).toHaveLength(1);
  });

  it("still alerts when the store is unreachable (an alert beats silence), and says so", async () => {
    // Prepare
    const { published, deps } = recording();
    const broken = dynamoDbAlertsSent({ client, tableName: "missing", windowSeconds: 60 });
    const log = silentLog();
    const batch = await startAlertBatch(
      { ...deps, log, alertsSent: broken },
      records([JSON.stringify(reportFor("MISMATCH", "dedupe/store-down.pdf"))]),
    );

    // Act
    await batch.deliver("msg-01");

    // Assess
    expect(published).toHaveLength(1);
    expect(deps.metrics.addMetric).toHaveBeenCalledWith("AlertStoreErrors", "Count", 1);
    expect(log.error).toHaveBeenCalledWith(
      "alerts-sent store failed; the alert is sent anyway (a duplicate is possible)",
      expect.objectContaining({ messageId: "msg-01" }),
    );
  });

  it("retries a report another invocation is alerting right now, without publishing", async () => {
    // Prepare: another invocation holds the report
    const { published, deps } = recording();
    const body = JSON.stringify(reportFor("MISMATCH", "dedupe/held.pdf"));
    let release: () => void = () => {};
    const holder = await startAlertBatch(
      {
        ...deps,
        publisher: { publish: () => new Promise<void>((resolve) => (release = resolve)) },
      },
      records([body]),
    );
    const holding = holder.deliver("msg-01");
    await vi.waitFor(async () =>
      expect(
        await deps.alertsSent.lookup(reportFor("MISMATCH", "dedupe/held.pdf").reportId),
      ).toEqual({ state: "sending" }),
    );

    // Act
    const batch = await startAlertBatch(deps, records([body]));

    // Assess
    await expect(batch.deliver("msg-01")).rejects.toBeInstanceOf(AlertBeingSentError);
    expect(published).toEqual([]);
    release();
    await holding;
  });
});
