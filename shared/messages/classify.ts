/**
 * "What is this message?" for any body found on our queues: a failure report, an S3 or
 * EventBridge event (or our own check message), something with nothing to validate, or
 * something unreadable. The notifier (which alert to send) and the on-call scans (what to show
 * and what a filter matches) both ask here, so a body is described the same way everywhere.
 */
import {
  FAILURE_REPORT_SCHEMA,
  type FailureReport,
  parseFailureReport,
  problemWithReport,
} from "../contracts/failure-report.ts";
import { parseJsonBody } from "../contracts/json.ts";
import { type ObjectRef, type ParsedMessage, parseMessageBody } from "../events/parse-message.ts";
import { isJsonObject } from "../objects.ts";

export type ObjectsMessage = Extract<ParsedMessage, { kind: "objects" }>;

export type ClassifiedMessage =
  | { readonly kind: "failure-report"; readonly report: FailureReport }
  | {
      /** Objects to validate: an upload event, or a check message (attempt > 1: a re-check). */
      readonly kind: "event";
      readonly objects: readonly [ObjectRef, ...ObjectRef[]];
      readonly parsed: ObjectsMessage;
    }
  | { readonly kind: "ignored"; readonly reason: string }
  | {
      /** Neither: not JSON, an unknown shape, an empty body, a report of an unknown version. */
      readonly kind: "unreadable";
      readonly reason: string;
      /** A few words for a subject line or a table cell. */
      readonly shortReason: string;
    };

const NOT_OURS = "neither a failure report nor an S3 event";

export function classifyMessage(body: string): ClassifiedMessage {
  const report = parseFailureReport(body);
  if (report) return { kind: "failure-report", report };
  if (body.trim() === "") {
    return { kind: "unreadable", reason: "the message body is empty", shortReason: "empty body" };
  }
  const foreignReport = describeUnreadableReport(body);
  if (foreignReport) {
    return { kind: "unreadable", reason: foreignReport, shortReason: "unreadable failure report" };
  }
  const parsed = parseMessageBody(body);
  if (parsed.kind === "objects") {
    const [first, ...rest] = parsed.objects;
    if (first) return { kind: "event", objects: [first, ...rest], parsed };
    return {
      kind: "unreadable",
      reason: `${NOT_OURS}: no objects in the event`,
      shortReason: "unknown shape",
    };
  }
  if (parsed.kind === "ignored") return { kind: "ignored", reason: parsed.reason };
  return {
    kind: "unreadable",
    reason: `${NOT_OURS}: ${parsed.reason}`,
    shortReason: parsed.reason === "the body is not JSON" ? "not JSON" : "unknown shape",
  };
}

/** A body that claims to be a failure report but fails the schema check (e.g. a newer version). */
function describeUnreadableReport(body: string): string | undefined {
  const json = parseJsonBody(body);
  if ("problem" in json || !isJsonObject(json.value)) return undefined;
  if (json.value.schema !== FAILURE_REPORT_SCHEMA) return undefined;
  const problem = problemWithReport(json.value) ?? "unreadable";
  return `a ${FAILURE_REPORT_SCHEMA} message this notifier cannot read (${problem}): it is corrupted or comes from a newer validator`;
}
