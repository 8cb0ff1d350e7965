import { describe, expect, it } from "vitest";
import { WHAT_HAPPENED } from "../../shared/notifier/guidance.ts";
import {
  OBJECT_VERDICTS,
  REPORTED_VERDICTS,
  VERDICTS,
  type Verdict,
} from "../../shared/verdicts.ts";

const ALL = Object.keys(VERDICTS) as Verdict[];

describe("the verdict table", () => {
  it("gives every reported verdict a severity and every other one none", () => {
    for (const verdict of ALL) {
      const policy = VERDICTS[verdict];
      expect("severity" in policy, verdict).toBe(policy.action === "report");
    }
  });

  it("logs reported failures at warn or error, and a MATCH at info", () => {
    for (const verdict of REPORTED_VERDICTS) {
      expect(["warn", "error"], verdict).toContain(VERDICTS[verdict].logLevel);
    }
    expect(VERDICTS.MATCH.logLevel).toBe("info");
  });

  it("says what each verdict means, and the notifier has words for each alert", () => {
    for (const verdict of ALL) {
      expect(VERDICTS[verdict].meaning.length, verdict).toBeGreaterThan(20);
      if (VERDICTS[verdict].action === "report") {
        expect(WHAT_HAPPENED[verdict as keyof typeof WHAT_HAPPENED], verdict).toBeDefined();
      }
    }
  });

  it("lists the validator's reported verdicts and the outcomes of one object", () => {
    expect(REPORTED_VERDICTS).toEqual([
      "MISMATCH",
      "REPLICA_OVERWRITTEN",
      "UNVERIFIABLE",
      "REPLICATION_FAILED",
      "REPLICA_MISSING",
      "REPLICATION_OVERDUE",
      "UNCHECKABLE",
      "UNMAPPED_BUCKET",
      "MALFORMED_EVENT",
    ]);
    expect(OBJECT_VERDICTS.every((verdict) => VERDICTS[verdict].origin === "validator")).toBe(true);
  });
});
