import { describe, expect, it } from "vitest";
import {
  buildFailureReport,
  type FailureReportInput,
  MAX_EMBEDDED_BYTES,
  objectSide,
  parseFailureReport,
  reportMessageAttributes,
} from "../../../shared/contracts/failure-report.ts";
import { toMessageAttributes } from "../../../shared/queues/message-sender.ts";

const input: FailureReportInput = {
  verdict: "MISMATCH",
  summary: "CRC32 checksum differs",
  category: "documents",
  object: { bucket: "bv-documents-primary", key: "q3.pdf", versionId: "v1" },
  detectedAt: "2026-11-21T10:00:00.000Z",
  attempts: 1,
  source: { messageId: "m-1" },
  originalEvent: { id: "e-1" },
};

describe("buildFailureReport", () => {
  it("stamps schema, version, severity and a stable id per verdict and object version", () => {
    const report = buildFailureReport(input);
    expect(report).toMatchObject({
      schema: "backup-validator.failure-report",
      schemaVersion: 1,
      severity: "critical",
      verdict: "MISMATCH",
    });
    expect(report.reportId).toMatch(/^[0-9a-f]{32}$/);
    expect(
      buildFailureReport({ ...input, detectedAt: "later", source: { messageId: "m-2" } }).reportId,
    ).toBe(report.reportId);
    expect(
      buildFailureReport({ ...input, object: { ...input.object!, versionId: "v2" } }).reportId,
    ).not.toBe(report.reportId);
    expect(buildFailureReport({ ...input, verdict: "UNVERIFIABLE" }).severity).toBe("warning");
  });

  it("identifies object-less reports by their content, not by SQS message id", () => {
    const malformed = {
      ...input,
      verdict: "MALFORMED_EVENT" as const,
      object: undefined,
      rawBody: "x",
    };
    // A redriven message has a new message id but is the same problem.
    expect(buildFailureReport({ ...malformed, source: { messageId: "m-9" } }).reportId).toBe(
      buildFailureReport(malformed).reportId,
    );
    expect(buildFailureReport({ ...malformed, rawBody: "y" }).reportId).not.toBe(
      buildFailureReport(malformed).reportId,
    );
  });

  it("leaves empty values out of the message attributes (SQS and SNS reject them)", () => {
    const attributes = reportMessageAttributes(buildFailureReport({ ...input, category: "" }));
    expect(Object.keys(toMessageAttributes(attributes) ?? {}).sort()).toEqual([
      "bucket",
      "severity",
      "verdict",
    ]);
  });

  it("replaces an oversized original event by a bounded preview", () => {
    const huge = {
      Records: Array.from({ length: 5000 }, (_, i) => ({ key: `object-${i}-${"x".repeat(20)}` })),
    };
    const report = buildFailureReport({ ...input, originalEvent: huge });
    expect(report.originalEvent).toMatchObject({
      truncated: true,
      originalBytes: JSON.stringify(huge).length,
    });
    expect(Buffer.byteLength(JSON.stringify(report))).toBeLessThan(MAX_EMBEDDED_BYTES);
  });

  it("bounds the raw body of malformed messages", () => {
    const report = buildFailureReport({
      ...input,
      verdict: "MALFORMED_EVENT",
      rawBody: "y".repeat(200_000),
    });
    expect(Buffer.byteLength(report.rawBody ?? "")).toBeLessThanOrEqual(MAX_EMBEDDED_BYTES);
    expect(report.rawBody).toMatch(/… \[truncated, 200000 bytes in all\]$/);
  });
});

describe("parseFailureReport", () => {
  it("reads back a report it built", () => {
    const report = buildFailureReport(input);
    expect(parseFailureReport(JSON.stringify(report))).toEqual(report);
  });

  it("reads where a report came from, and tolerates kinds it does not know", () => {
    const audit = buildFailureReport({
      ...input,
      detectedBy: { kind: "audit", runId: "run-1", via: "batch-operations" },
    });
    const future = { ...audit, detectedBy: { kind: "inventory-diff", anything: 1 } };

    expect(parseFailureReport(JSON.stringify(audit))?.detectedBy).toEqual({
      kind: "audit",
      runId: "run-1",
      via: "batch-operations",
    });
    expect(parseFailureReport(JSON.stringify(future))).toBeDefined();
  });

  it.each([
    ["non-JSON", "nope"],
    ["a JSON string", '"text"'],
    ["another schema", JSON.stringify({ ...buildFailureReport(input), schema: "other" })],
    ["a future version", JSON.stringify({ ...buildFailureReport(input), schemaVersion: 2 })],
    ["an unknown verdict", JSON.stringify({ ...buildFailureReport(input), verdict: "MAYBE" })],
    [
      "an audit that names no run",
      JSON.stringify({
        ...buildFailureReport(input),
        detectedBy: { kind: "audit", via: "command" },
      }),
    ],
    [
      "a raw EventBridge event",
      JSON.stringify({ source: "aws.s3", "detail-type": "Object Created" }),
    ],
  ])("rejects %s", (_name, body) => {
    expect(parseFailureReport(body)).toBeUndefined();
  });
});

describe("report helpers", () => {
  it("gives consumers attributes to filter on", () => {
    expect(reportMessageAttributes(buildFailureReport(input))).toEqual({
      verdict: "MISMATCH",
      severity: "critical",
      bucket: "bv-documents-primary",
      category: "documents",
    });
  });

  it("describes a missing side as absent", () => {
    expect(objectSide({ bucket: "b-1", key: "k", region: "us-west-2" }, undefined)).toEqual({
      bucket: "b-1",
      key: "k",
      region: "us-west-2",
      present: false,
    });
  });
});
