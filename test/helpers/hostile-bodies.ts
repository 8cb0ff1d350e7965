/**
 * Hostile and broken message bodies, as a redrive by hand, a misconfigured producer or an
 * attacker could put them on our queues: every field of every accepted shape with the wrong
 * type, missing, empty, huge or deeply nested; keys no S3 object can have; bodies meant for the
 * other queue. Each names the outcome AWS's documented shapes call for, so the tests assert
 * behaviour, not whatever the code happens to do.
 */
import { CHECK_MESSAGE_TYPE } from "../../shared/contracts/check-message.ts";
import { eventBridgeObjectCreated, s3Notification } from "./events.ts";
import { reportFor } from "./reports.ts";

/** What the checksum-validator must do with a body; none may fail its record or the batch. */
export type ValidatorOutcome =
  /** Reported as not understood (the body goes with the report); the record acknowledged. */
  | "MALFORMED_EVENT"
  /** An event for a bucket that is not a configured primary: reported. */
  | "UNMAPPED_BUCKET"
  /** An S3 message with nothing to validate: acknowledged with a log line. */
  | "IGNORED"
  /** Read despite broken optional fields: the object was checked (it exists: MATCH). */
  | "MATCH"
  /** Read, but names an object that does not exist: acknowledged. */
  | "SOURCE_GONE"
  /** Several objects: queued as one check each. */
  | "SPLIT";

export interface HostileBody {
  readonly name: string;
  readonly body: string;
  readonly outcome: ValidatorOutcome;
}

type Json = Record<string, unknown>;

const HUGE = "x".repeat(300_000);
const nested = (depth: number) => `${"[".repeat(depth)}${"]".repeat(depth)}`;
const WRONG_TYPES: readonly [string, unknown][] = [
  ["a number", 42],
  ["an object", { toString: 1 }],
  ["a list", ["a"]],
  ["null", null],
  ["true", true],
];

/** An EventBridge event with a change at `path` (`undefined` deletes the field). */
function eventBridgeWith(bucket: string, key: string, path: string[], value: unknown): string {
  const event = eventBridgeObjectCreated({ bucket, key }) as Json;
  setPath(event, path, value);
  return JSON.stringify(event);
}

function notificationWith(bucket: string, key: string, path: string[], value: unknown): string {
  const event = s3Notification([{ bucket, key }]) as Json;
  setPath(event, ["Records", "0", ...path], value);
  return JSON.stringify(event);
}

function checkWith(bucket: string, key: string, path: string[], value: unknown): string {
  const check: Json = {
    type: CHECK_MESSAGE_TYPE,
    version: 1,
    attempt: 2,
    firstCheckedAt: "2026-01-01T00:00:00.000Z",
    eventId: "e-1",
    object: { bucket, key },
    originalEvent: { id: "e-1" },
  };
  setPath(check, path, value);
  return JSON.stringify(check);
}

function setPath(target: Json, path: readonly string[], value: unknown): void {
  let node: Json = target;
  for (const step of path.slice(0, -1)) {
    const next = node[step];
    if (next === null || typeof next !== "object") node[step] = {};
    node = node[step] as Json;
  }
  const last = path.at(-1) ?? "";
  if (value === undefined) delete node[last];
  else node[last] = value;
}

/**
 * At least 60 bodies for the validator. `bucket`/`key` name an object that exists on both
 * sides, so a body that is read despite broken optional fields ends as MATCH.
 */
export function validatorCorpus(bucket: string, key: string): HostileBody[] {
  const bodies: HostileBody[] = [
    { name: "not JSON", body: "{not json", outcome: "MALFORMED_EVENT" },
    { name: "an empty body", body: "", outcome: "MALFORMED_EVENT" },
    { name: "a JSON string", body: '"hello"', outcome: "MALFORMED_EVENT" },
    { name: "a JSON array", body: "[1,2,3]", outcome: "MALFORMED_EVENT" },
    { name: "JSON null", body: "null", outcome: "MALFORMED_EVENT" },
    { name: "an empty object", body: "{}", outcome: "MALFORMED_EVENT" },
    { name: "JSON nested 10,000 deep", body: nested(10_000), outcome: "MALFORMED_EVENT" },
    {
      name: "an object nested 10,000 deep inside an event",
      // Written as text: JSON.stringify itself overflows the stack at this depth.
      body: `${eventBridgeWith(bucket, key, [], undefined).slice(0, -1)},"extra":${nested(10_000)}}`,
      outcome: "MALFORMED_EVENT",
    },
    { name: "a huge string", body: JSON.stringify(HUGE), outcome: "MALFORMED_EVENT" },
    { name: "a notification without records", body: '{"Records":[]}', outcome: "MALFORMED_EVENT" },
    {
      name: "an aws.s3 event without detail-type",
      body: '{"source":"aws.s3","detail":{}}',
      outcome: "MALFORMED_EVENT",
    },
    {
      name: "Object Created without source",
      body: '{"detail-type":"Object Created","detail":{}}',
      outcome: "MALFORMED_EVENT",
    },
    {
      name: "an event from aws.s3x",
      body: eventBridgeWith(bucket, key, ["source"], "aws.s3x"),
      outcome: "MALFORMED_EVENT",
    },
    {
      name: "an EC2 event",
      body: '{"source":"aws.ec2","detail-type":"EC2 Instance State-change Notification"}',
      outcome: "MALFORMED_EVENT",
    },
    {
      name: "a failure report fed to the validator",
      body: JSON.stringify(reportFor("MISMATCH")),
      outcome: "MALFORMED_EVENT",
    },
    {
      name: "an SNS envelope around garbage",
      body: JSON.stringify({ Type: "Notification", Message: "not an event" }),
      outcome: "MALFORMED_EVENT",
    },
    {
      name: "an SNS envelope whose Message is an object",
      body: JSON.stringify({ Type: "Notification", Message: { toString: 1 } }),
      outcome: "MALFORMED_EVENT",
    },
    { name: "s3:TestEvent", body: '{"Event":"s3:TestEvent"}', outcome: "IGNORED" },
    {
      name: "an Object Deleted event",
      body: eventBridgeWith(bucket, key, ["detail-type"], "Object Deleted"),
      outcome: "IGNORED",
    },
    {
      name: "a notification of a deletion",
      body: notificationWith(bucket, key, ["eventName"], "ObjectRemoved:Delete"),
      outcome: "IGNORED",
    },
    {
      name: "an event for an unknown bucket",
      body: eventBridgeWith("somebody-elses-bucket", key, [], undefined),
      outcome: "UNMAPPED_BUCKET",
    },
    {
      name: "an event for a bucket name S3 would refuse",
      body: eventBridgeWith("Not_A_Bucket", key, [], undefined),
      outcome: "UNMAPPED_BUCKET",
    },
  ];
  // Required fields of an EventBridge event: wrong types, missing, empty.
  for (const path of [
    ["source"],
    ["detail-type"],
    ["detail"],
    ["detail", "bucket"],
    ["detail", "bucket", "name"],
    ["detail", "object"],
    ["detail", "object", "key"],
  ]) {
    for (const [what, value] of [...WRONG_TYPES, ["missing", undefined], ["empty", ""]] as const) {
      // A missing or wrong source or detail-type makes it no S3 event at all; either way reported.
      bodies.push({
        name: `EventBridge ${path.join(".")} is ${what}`,
        body: eventBridgeWith(bucket, key, path, value),
        outcome: "MALFORMED_EVENT",
      });
    }
  }
  // The version names what to check: a wrong one is not guessed at.
  for (const [what, value] of [...WRONG_TYPES, ["empty", ""]] as const) {
    bodies.push({
      name: `EventBridge detail.object.version-id is ${what}`,
      body: eventBridgeWith(bucket, key, ["detail", "object", "version-id"], value),
      outcome: "MALFORMED_EVENT",
    });
  }
  // Optional, informational fields: broken ones are left out and the object is still checked.
  for (const path of [
    ["detail", "object", "size"],
    ["detail", "object", "etag"],
    ["detail", "object", "sequencer"],
    ["detail", "reason"],
    ["time"],
    ["id"],
  ]) {
    for (const [what, value] of [
      ["an object", { toString: 1 }],
      ["huge", HUGE],
    ] as const) {
      bodies.push({
        name: `EventBridge ${path.join(".")} is ${what}`,
        body: eventBridgeWith(bucket, key, path, value),
        outcome: "MATCH",
      });
    }
  }
  // Keys: what S3 cannot hold is malformed; what it can (however odd) is looked up.
  const keys: [string, string, ValidatorOutcome][] = [
    ["a lone surrogate", "reports/\ud800.pdf", "MALFORMED_EVENT"],
    ["1,025 bytes", "k".repeat(1025), "MALFORMED_EVENT"],
    ["../ segments", "../../etc/passwd", "SOURCE_GONE"],
    ["a NUL character", "reports/\u0000.pdf", "SOURCE_GONE"],
    ["CRLF", "reports/a\r\nInjected: header.pdf", "SOURCE_GONE"],
    ["only spaces", "   ", "SOURCE_GONE"],
  ];
  for (const [what, hostileKey, outcome] of keys) {
    bodies.push({
      name: `a key with ${what}`,
      body: eventBridgeWith(bucket, hostileKey, [], undefined),
      outcome,
    });
  }
  // Classic notifications.
  for (const [what, value] of WRONG_TYPES) {
    bodies.push({
      name: `notification eventName is ${what}`,
      body: notificationWith(bucket, key, ["eventName"], value),
      outcome: "MALFORMED_EVENT",
    });
  }
  bodies.push(
    {
      name: "notification Records is an object",
      body: JSON.stringify({ Records: { toString: 1 } }),
      outcome: "MALFORMED_EVENT",
    },
    {
      name: "notification record is a string",
      body: JSON.stringify({ Records: ["aws:s3"] }),
      outcome: "MALFORMED_EVENT",
    },
    {
      name: "notification s3.object.key is an object",
      body: notificationWith(bucket, key, ["s3", "object", "key"], { toString: 1 }),
      outcome: "MALFORMED_EVENT",
    },
    {
      name: "notification s3.object.versionId is a number",
      body: notificationWith(bucket, key, ["s3", "object", "versionId"], 7),
      outcome: "MALFORMED_EVENT",
    },
    {
      name: "a notification naming two objects",
      body: JSON.stringify(
        s3Notification([
          { bucket, key },
          { bucket, key: "other.txt" },
        ]),
      ),
      outcome: "SPLIT",
    },
  );
  // Our own check messages with wrong field types.
  for (const [path, value, what] of [
    [["attempt"], "2", "a string attempt"],
    [["attempt"], 0, "attempt 0"],
    [["attempt"], 2.5, "a fractional attempt"],
    [["version"], 99, "an unknown version"],
    [["object"], "bucket/key", "an object that is a string"],
    [["object", "bucket"], 42, "a numeric bucket"],
    [["object", "key"], { toString: 1 }, "an object key"],
    [["object", "versionId"], 7, "a numeric versionId"],
    [["object", "size"], "big", "a string size"],
    [["firstCheckedAt"], 12, "a numeric firstCheckedAt"],
    [["eventId"], { toString: 1 }, "an object eventId"],
  ] as const) {
    bodies.push({
      name: `a check message with ${what}`,
      body: checkWith(bucket, key, [...path], value),
      outcome: "MALFORMED_EVENT",
    });
  }
  return bodies;
}

/** What the failure-notifier must send for a body; none may fail its record or the batch. */
export type NotifierOutcome =
  /** The body is not a readable failure report or S3 event: alerted as received. */
  | "UNRECOGNISED_MESSAGE"
  /** An upload event moved here by hand: alerted as never validated. */
  | "REDRIVEN_EVENT"
  /** A valid report: alerted with its own verdict. */
  | "MISMATCH";

export interface HostileNotifierBody {
  readonly name: string;
  readonly body: string;
  readonly outcome: NotifierOutcome;
}

/** At least 30 bodies for the notifier, each of them to be alerted, none to crash the batch. */
export function notifierCorpus(): HostileNotifierBody[] {
  const report = (change: (report: Json) => void, name: string): HostileNotifierBody => {
    const body = structuredClone(reportFor("MISMATCH")) as unknown as Json;
    change(body);
    return { name, body: JSON.stringify(body), outcome: "UNRECOGNISED_MESSAGE" };
  };
  const bodies: HostileNotifierBody[] = [
    { name: "not JSON", body: "{not json", outcome: "UNRECOGNISED_MESSAGE" },
    { name: "an empty body", body: "", outcome: "UNRECOGNISED_MESSAGE" },
    { name: "JSON nested 10,000 deep", body: nested(10_000), outcome: "UNRECOGNISED_MESSAGE" },
    { name: "a JSON array", body: "[1,2]", outcome: "UNRECOGNISED_MESSAGE" },
    { name: "a huge string", body: JSON.stringify(HUGE), outcome: "UNRECOGNISED_MESSAGE" },
    {
      name: "an S3 event whose eventName is an object",
      body: JSON.stringify({
        Records: [{ eventSource: "aws:s3", eventName: { toString: 1 }, s3: {} }],
      }),
      outcome: "UNRECOGNISED_MESSAGE",
    },
    {
      name: "an EventBridge upload event redriven by hand",
      body: JSON.stringify(eventBridgeObjectCreated({ bucket: "bv-any-bucket", key: "a.txt" })),
      outcome: "REDRIVEN_EVENT",
    },
    {
      name: "a check message redriven by hand",
      body: checkWith("bv-any-bucket", "a.txt", [], undefined),
      outcome: "REDRIVEN_EVENT",
    },
    report((r) => {
      (r.object as Json).bucket = { toString: 1 };
    }, "a report whose object.bucket is {toString: 1}"),
    report((r) => {
      (r.object as Json).bucket = "";
    }, "a report whose object.bucket is empty (SNS refuses empty attributes)"),
    report((r) => {
      (r.object as Json).key = ["a"];
    }, "a report whose object.key is a list"),
    report((r) => {
      r.verdict = { toString: 1 };
    }, "a report whose verdict is an object"),
    report((r) => {
      r.verdict = "EVERYTHING_IS_FINE";
    }, "a report with an unknown verdict"),
    report((r) => {
      r.severity = "apocalyptic";
    }, "a report with an unknown severity"),
    report((r) => {
      r.summary = 42;
    }, "a report whose summary is a number"),
    report((r) => {
      r.category = { toString: 1 };
    }, "a report whose category is an object"),
    report((r) => {
      r.category = "";
    }, "a report whose category is empty"),
    report((r) => {
      r.reportId = 7;
    }, "a report whose reportId is a number"),
    report((r) => {
      r.detectedAt = null;
    }, "a report whose detectedAt is null"),
    report((r) => {
      r.attempts = "three";
    }, "a report whose attempts is a string"),
    report((r) => {
      (r.primary as Json).size = "big";
    }, "a report whose primary.size is a string"),
    report((r) => {
      (r.primary as Json).checksums = { SHA256: 42 };
    }, "a report whose checksums hold a number"),
    report((r) => {
      (r.replica as Json).present = "yes";
    }, "a report whose replica.present is a string"),
    report((r) => {
      r.evidence = { compared: 42 };
    }, "a report whose evidence.compared is a number"),
    report((r) => {
      (r.evidence as Json).notComparable = [{ toString: 1 }];
    }, "a report whose notComparable holds an object"),
    report((r) => {
      r.source = "sqs";
    }, "a report whose source is a string"),
    report((r) => {
      r.rawBody = { toString: 1 };
    }, "a report whose rawBody is an object"),
    report((r) => {
      r.schemaVersion = 2;
    }, "a report of a newer schema version"),
    report((r) => {
      delete r.summary;
    }, "a report without summary"),
    report((r) => {
      r.object = "s3://bucket/key";
    }, "a report whose object is a string"),
    {
      name: "a report with a huge summary",
      body: JSON.stringify({ ...reportFor("MISMATCH"), summary: HUGE }),
      outcome: "MISMATCH",
    },
    {
      name: "a report with a key holding control characters and a lone surrogate",
      body: JSON.stringify({
        ...reportFor("MISMATCH", "reports/\u0000\r\n\u001b[31m\ud800.pdf"),
      }),
      outcome: "MISMATCH",
    },
  ];
  return bodies;
}
