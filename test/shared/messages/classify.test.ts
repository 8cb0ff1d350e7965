import { describe, expect, it } from "vitest";
import { classifyMessage } from "../../../shared/messages/classify.ts";
import { eventBridgeObjectCreated } from "../../helpers/events.ts";
import { reportFor } from "../../helpers/reports.ts";

describe("classifyMessage: one answer to 'what is this message?'", () => {
  it("reads a failure report", () => {
    const classified = classifyMessage(JSON.stringify(reportFor("MISMATCH")));
    expect(classified).toMatchObject({ kind: "failure-report", report: { verdict: "MISMATCH" } });
  });

  it("reads an upload event with its objects", () => {
    const body = JSON.stringify(eventBridgeObjectCreated({ bucket: "b-1", key: "k.txt" }));
    expect(classifyMessage(body)).toMatchObject({
      kind: "event",
      objects: [{ bucket: "b-1", key: "k.txt" }],
      parsed: { attempt: 1 },
    });
  });

  it("tells an S3 message with nothing to validate from an unreadable one", () => {
    expect(classifyMessage('{"Event":"s3:TestEvent"}')).toMatchObject({ kind: "ignored" });
    expect(classifyMessage("")).toEqual({
      kind: "unreadable",
      reason: "the message body is empty",
      shortReason: "empty body",
    });
    expect(classifyMessage("not json")).toEqual({
      kind: "unreadable",
      reason: "neither a failure report nor an S3 event: the body is not JSON",
      shortReason: "not JSON",
    });
  });

  it("says so when a failure report is of a version it cannot read", () => {
    const future = JSON.stringify({ ...reportFor("MISMATCH"), schemaVersion: 99 });
    expect(classifyMessage(future)).toMatchObject({
      kind: "unreadable",
      shortReason: "unreadable failure report",
    });
  });
});
