import { describe, expect, it } from "vitest";
import { CHECK_MESSAGE_TYPE } from "../../../shared/contracts/check-message.ts";
import { decodeEventKey, keyCandidates } from "../../../shared/events/keys.ts";
import { parseMessageBody } from "../../../shared/events/parse-message.ts";
import { eventBridgeObjectCreated, fixture, s3Notification } from "../../helpers/events.ts";

describe("parseMessageBody", () => {
  it("reads the documented EventBridge Object Created event", () => {
    const event = fixture("eventbridge-object-created.json");
    const parsed = parseMessageBody(JSON.stringify(event));
    expect(parsed).toEqual({
      kind: "objects",
      objects: [
        {
          bucket: "DOC-EXAMPLE-BUCKET1",
          key: "example-key",
          versionId: "IYV3p45BT0ac8hjHg1houSdS1a.Mro8e",
          size: 5,
          etag: "b1946ac92492d2347c6235b4d2611184",
          sequencer: "617f08299329d189",
          eventTime: "2021-11-12T00:00:00Z",
          reason: "PutObject",
        },
      ],
      sources: [event],
      problems: [],
      attempt: 1,
      eventId: "17793124-05d4-b198-2fde-7ededc63b103",
      originalEvent: event,
    });
  });

  it("reads a multipart upload event and keeps the key as received", () => {
    const parsed = parseMessageBody(
      JSON.stringify(fixture("eventbridge-object-created-multipart.json")),
    );
    expect(parsed.kind === "objects" && parsed.objects[0]).toMatchObject({
      key: "videos/2024/launch day.mp4",
      etag: "4af9a6fdc5e4f2e63e5e3e0b9e5b6c1d-12",
      reason: "CompleteMultipartUpload",
    });
  });

  it("accepts an EventBridge event without the optional size, etag, version-id and sequencer", () => {
    const event = eventBridgeObjectCreated({ bucket: "primary-bucket", key: "a" });
    delete (event.detail as { object: Record<string, unknown> }).object.sequencer;
    const parsed = parseMessageBody(JSON.stringify(event));
    expect(parsed.kind === "objects" && parsed.objects[0]).toEqual({
      bucket: "primary-bucket",
      key: "a",
      eventTime: "2021-11-12T00:00:00Z",
      reason: "PutObject",
    });
  });

  it("reads every record of a classic S3 notification", () => {
    const body = s3Notification([
      { bucket: "primary-bucket", key: "a+b.txt", size: 3, versionId: "v1" },
      { bucket: "primary-bucket", key: "c.txt" },
    ]);
    const parsed = parseMessageBody(JSON.stringify(body));
    expect(parsed.kind).toBe("objects");
    expect(
      parsed.kind === "objects" && parsed.objects.map((o) => [o.key, o.versionId, o.reason]),
    ).toEqual([
      ["a+b.txt", "v1", "ObjectCreated:Put"],
      ["c.txt", undefined, "ObjectCreated:Put"],
    ]);
  });

  it("unwraps a classic notification delivered through SNS", () => {
    const inner = JSON.stringify(fixture("s3-notification-put.json"));
    const parsed = parseMessageBody(JSON.stringify({ Type: "Notification", Message: inner }));
    expect(parsed.kind === "objects" && parsed.objects[0]?.key).toBe("reports/red+flower.jpg");
  });

  it("ignores s3:TestEvent", () => {
    expect(parseMessageBody(JSON.stringify(fixture("s3-test-event.json")))).toEqual({
      kind: "ignored",
      reason: "s3:TestEvent (sent when a notification is configured)",
    });
  });

  it("ignores S3 events that are not Object Created", () => {
    const deleted = {
      ...eventBridgeObjectCreated({ bucket: "b-1", key: "k" }),
      "detail-type": "Object Deleted",
    };
    expect(parseMessageBody(JSON.stringify(deleted))).toEqual({
      kind: "ignored",
      reason: 'S3 "Object Deleted" event, not Object Created',
    });
    const removed = s3Notification([{ bucket: "b-1", key: "k" }]);
    (removed.Records as Record<string, unknown>[])[0]!.eventName = "ObjectRemoved:Delete";
    expect(parseMessageBody(JSON.stringify(removed))).toEqual({
      kind: "ignored",
      reason: 'no ObjectCreated record (Records[0] is "ObjectRemoved:Delete")',
    });
  });

  it.each([
    ["not JSON", "{not json", "the body is not JSON"],
    ["a JSON array", "[1,2]", "the body is not a JSON object"],
    [
      "an unknown shape",
      '{"hello":"world"}',
      "not an S3 event (no EventBridge detail-type, no Records)",
    ],
    [
      "an Object Created event without a key",
      JSON.stringify({
        source: "aws.s3",
        "detail-type": "Object Created",
        detail: { bucket: { name: "b-1" } },
      }),
      "Object Created event: no object key",
    ],
    // Not S3 messages with nothing to validate: someone sent something else, so it is reported.
    ["a notification without records", '{"Records":[]}', "a notification with no records"],
    [
      "an aws.s3 event without detail-type",
      '{"source":"aws.s3","detail":{}}',
      "an aws.s3 event without a detail-type",
    ],
    [
      "an Object Created event without source",
      '{"detail-type":"Object Created","detail":{}}',
      "an EventBridge event without source",
    ],
    [
      "an event of another source",
      '{"source":"aws.s3x","detail-type":"Object Created"}',
      'an EventBridge event from "aws.s3x", not aws.s3',
    ],
    [
      "an EC2 event",
      '{"source":"aws.ec2","detail-type":"EC2 Instance State-change Notification"}',
      'an EventBridge event from "aws.ec2", not aws.s3',
    ],
    [
      "a record that is not S3",
      JSON.stringify({ Records: [{ eventSource: "aws:sqs" }] }),
      "Records[0] is not an S3 record",
    ],
  ])("calls %s malformed", (_name, body, reason) => {
    expect(parseMessageBody(body)).toEqual({ kind: "malformed", reason });
  });

  it("keeps the readable records of a partly malformed notification and lists the problems", () => {
    const body = s3Notification([
      { bucket: "b-1", key: "good" },
      { bucket: "b-1", key: "bad" },
    ]);
    delete ((body.Records as Record<string, any>[])[1]!.s3.object as Record<string, unknown>).key;
    const parsed = parseMessageBody(JSON.stringify(body));
    expect(parsed.kind === "objects" && parsed.objects.map((o) => o.key)).toEqual(["good"]);
    expect(parsed.kind === "objects" && parsed.problems).toEqual(["Records[1]: no object key"]);
  });

  it("reads our own pending-check messages with their attempt count", () => {
    const body = {
      type: CHECK_MESSAGE_TYPE,
      version: 1,
      attempt: 3,
      firstCheckedAt: "2026-01-01T00:00:00.000Z",
      eventId: "e-1",
      object: { bucket: "b-1", key: "k", versionId: "v" },
      originalEvent: { id: "e-1" },
    };
    expect(parseMessageBody(JSON.stringify(body))).toEqual({
      kind: "objects",
      objects: [{ bucket: "b-1", key: "k", versionId: "v" }],
      sources: [{ id: "e-1" }],
      problems: [],
      attempt: 3,
      firstCheckedAt: "2026-01-01T00:00:00.000Z",
      eventId: "e-1",
      originalEvent: { id: "e-1" },
    });
    expect(parseMessageBody(JSON.stringify({ ...body, attempt: 0 })).kind).toBe("malformed");
    expect(parseMessageBody(JSON.stringify({ ...body, version: 2 })).kind).toBe("malformed");
  });

  it("carries a handed-off deep verification's count, and refuses a count that is not one", () => {
    // Prepare: version 1 with the optional field added for hand-offs.
    const body = {
      type: CHECK_MESSAGE_TYPE,
      version: 1,
      attempt: 2,
      object: { bucket: "b-1", key: "k" },
      originalEvent: {},
    };

    // Act
    const handedOff = parseMessageBody(JSON.stringify({ ...body, handoffs: 1 }));
    const older = parseMessageBody(JSON.stringify(body));
    const negative = parseMessageBody(JSON.stringify({ ...body, handoffs: -1 }));
    const fraction = parseMessageBody(JSON.stringify({ ...body, handoffs: 0.5 }));

    // Assess
    expect(handedOff).toMatchObject({ kind: "objects", handoffs: 1 });
    expect(older.kind === "objects" && older.handoffs).toBeUndefined();
    expect([negative.kind, fraction.kind]).toEqual(["malformed", "malformed"]);
  });

  it("carries the audit run of an audit's check, and refuses one without a run id", () => {
    // Prepare: version 1 with the optional field added for npm run audit --enqueue.
    const body = {
      type: CHECK_MESSAGE_TYPE,
      version: 1,
      attempt: 1,
      object: { bucket: "b-1", key: "k" },
      originalEvent: {},
    };

    // Act
    const audited = parseMessageBody(
      JSON.stringify({ ...body, audit: { runId: "audit-1", startedAt: "2026-12-04T10:00:00Z" } }),
    );
    const nameless = parseMessageBody(JSON.stringify({ ...body, audit: { startedAt: "x" } }));

    // Assess
    expect(audited).toMatchObject({
      kind: "objects",
      audit: { runId: "audit-1", startedAt: "2026-12-04T10:00:00Z" },
    });
    expect(nameless.kind).toBe("malformed");
  });
});

describe("keyCandidates", () => {
  it("tries the URL-decoded key first, then the key as received", () => {
    expect(keyCandidates("reports/red+flower.jpg")).toEqual([
      "reports/red flower.jpg",
      "reports/red+flower.jpg",
    ]);
    expect(keyCandidates("caf%C3%A9%2Bmenu.txt")).toEqual([
      "café+menu.txt",
      "caf%C3%A9%2Bmenu.txt",
    ]);
  });

  it("tries a plain key once", () => {
    expect(keyCandidates("videos/2024/launch day.mp4")).toEqual(["videos/2024/launch day.mp4"]);
  });

  it("falls back to the raw key when it is not valid URL encoding", () => {
    expect(decodeEventKey("100%")).toBeUndefined();
    expect(keyCandidates("100%")).toEqual(["100%"]);
  });
});
