/**
 * S3 Batch Operations' LambdaInvoke contract, read from the documented examples (schema 2.0 and
 * 1.0, test/fixtures/) and from what a hostile or broken job could send.
 */
import { describe, expect, it } from "vitest";
import {
  batchOperationsResponse,
  MAX_RESULT_STRING_BYTES,
  parseBatchOperationsEvent,
} from "../../../../shared/audit/batch/batch-operations.ts";
import { fixture } from "../../../helpers/events.ts";

describe("parseBatchOperationsEvent", () => {
  it("reads the documented schema 2.0 invocation: bucket by name, the job's user arguments", () => {
    expect(parseBatchOperationsEvent(fixture("batch-operations-invocation-2.0.json"))).toEqual({
      kind: "event",
      event: {
        invocationSchemaVersion: "2.0",
        invocationId: "Jr3s8KZqYWRmaiBhc2RmdW9hZHNmZGpmaGFzbGRr",
        job: {
          id: "ry77cd60-61f6-4a2b-8a21-d07600c874gf",
          userArguments: {
            stage: "test",
            runId: "schedule-2026-11-29T06:00:07Z",
            startedAt: "2026-11-29T06:00:07.250Z",
          },
        },
        tasks: [
          {
            taskId: "y5R3a2lkZ29lc2hlurcS",
            s3Key: "customerImage1.jpg",
            s3VersionId: null,
            s3Bucket: "amzn-s3-demo-bucket",
          },
        ],
      },
    });
  });

  it("reads the documented schema 1.0 invocation too: the bucket from its ARN, no arguments", () => {
    expect(
      parseBatchOperationsEvent(fixture("batch-operations-invocation-1.0.json")),
    ).toMatchObject({
      kind: "event",
      event: {
        invocationSchemaVersion: "1.0",
        job: { id: "f3cc4f60-61f6-4a2b-8a21-d07600c373ce", userArguments: {} },
        tasks: [
          { taskId: "dGFza2lkZ29lc2hlcmUK", s3VersionId: "1", s3Bucket: "amzn-s3-demo-bucket" },
        ],
      },
    });
  });

  it("keeps a task that lacks a field, with the problem, in the event's order", () => {
    // Prepare
    const event = fixture<Record<string, any>>("batch-operations-invocation-2.0.json");
    const [task] = event.tasks;
    event.tasks = [
      { ...task, taskId: "t1", s3Key: "" },
      { ...task, taskId: "t2", s3Bucket: undefined },
      { ...task, taskId: "t3", s3VersionId: 7 },
      { ...task, taskId: "t4", s3VersionId: "" },
    ];

    // Act
    const parsed = parseBatchOperationsEvent(event);

    // Assess
    expect(parsed.kind === "event" && parsed.event.tasks).toEqual([
      { taskId: "t1", problem: "the task has no s3Key" },
      { taskId: "t2", problem: "the task names no bucket (s3Bucket or s3BucketArn)" },
      { taskId: "t3", problem: "the task's s3VersionId is not a string" },
      // An empty version id is what a null version looks like in an "All" inventory.
      {
        taskId: "t4",
        s3Key: "customerImage1.jpg",
        s3VersionId: null,
        s3Bucket: "amzn-s3-demo-bucket",
      },
    ]);
  });

  it.each<[string, unknown, string]>([
    ["no object", "[]", "the event is not a JSON object"],
    ["a null", null, "the event is not a JSON object"],
    [
      "another schema",
      { invocationSchemaVersion: "3.0" },
      'invocationSchemaVersion "3.0" is neither "1.0" nor "2.0"',
    ],
    [
      "no invocation id",
      { invocationSchemaVersion: "2.0", invocationId: "" },
      "the event has no invocationId",
    ],
    ["no job", { invocationSchemaVersion: "2.0", invocationId: "i" }, "the event has no job.id"],
    [
      "no tasks",
      { invocationSchemaVersion: "2.0", invocationId: "i", job: { id: "j" }, tasks: [] },
      "the event has no tasks",
    ],
    [
      "a task without an id",
      {
        invocationSchemaVersion: "2.0",
        invocationId: "i",
        job: { id: "j" },
        tasks: [{ s3Key: "k" }],
      },
      "a task has no taskId, so it cannot be answered",
    ],
  ])("cannot answer %s", (_case, event, problem) => {
    expect(parseBatchOperationsEvent(event)).toEqual({ kind: "malformed", problem });
  });
});

describe("batchOperationsResponse", () => {
  it("echoes the schema and the invocation id and bounds each result string", () => {
    // Act
    const response = batchOperationsResponse(
      { invocationSchemaVersion: "1.0", invocationId: "inv-1" },
      [
        { taskId: "t1", resultCode: "Succeeded", resultString: "ok" },
        { taskId: "t2", resultCode: "PermanentFailure", resultString: "é".repeat(1000) },
      ],
    );

    // Assess
    expect(response).toMatchObject({
      invocationSchemaVersion: "1.0",
      treatMissingKeysAs: "PermanentFailure",
      invocationId: "inv-1",
      results: [{ taskId: "t1", resultCode: "Succeeded", resultString: "ok" }, { taskId: "t2" }],
    });
    expect(Buffer.byteLength(response.results[1]?.resultString ?? "")).toBeLessThanOrEqual(
      MAX_RESULT_STRING_BYTES,
    );
    expect(response.results[1]?.resultString).toMatch(/truncated, 2000 bytes in all]$/);
  });
});
