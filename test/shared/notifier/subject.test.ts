import { describe, expect, it } from "vitest";
import {
  alertSubject,
  MAX_SUBJECT_LENGTH,
  toSubjectText,
} from "../../../shared/notifier/subject.ts";

/** What SNS accepts as a Subject: under 100 printable ASCII characters, no line breaks. */
function expectValidSubject(subject: string): void {
  expect(subject.length).toBeLessThan(100);
  expect(subject).toMatch(/^[\x20-\x7e]+$/);
}

describe("alertSubject", () => {
  it("reads verdict, category and key at a glance", () => {
    // Act
    const subject = alertSubject({
      stage: "prod",
      headline: "MISMATCH",
      label: "documents",
      item: "reports/q3.pdf",
    });

    // Assess
    expect(subject).toBe("[backup-validator prod] MISMATCH documents: reports/q3.pdf");
  });

  it("shortens a long key in the middle, keeping its start and its extension", () => {
    // Prepare
    const key = `archive/${"2024/".repeat(40)}final-report.pdf`;

    // Act
    const subject = alertSubject({
      stage: "prod",
      headline: "MISMATCH",
      label: "documents",
      item: key,
    });

    // Assess
    expectValidSubject(subject);
    expect(subject).toHaveLength(MAX_SUBJECT_LENGTH);
    expect(subject).toMatchInlineSnapshot(
      `"[backup-validator prod] MISMATCH documents: archive/2024/2024/2024/202...2024/2024/final-report.pdf"`,
    );
  });

  it("replaces non-ASCII characters (accents, CJK, emoji) with one ? each", () => {
    // Act
    const subject = alertSubject({
      stage: "prod",
      headline: "MISMATCH",
      label: "documents",
      item: "Geschäftsbericht/報告 📄.pdf",
    });

    // Assess
    expectValidSubject(subject);
    expect(subject).toBe("[backup-validator prod] MISMATCH documents: Gesch?ftsbericht/?? ?.pdf");
  });

  it("turns line breaks, tabs and other control characters into single spaces", () => {
    // Act
    const subject = alertSubject({
      stage: "prod",
      headline: "MISMATCH",
      label: "docs",
      item: "a\r\nb\tc\u0000d\u0085e\u2028f\u007fg",
    });

    // Assess
    expectValidSubject(subject);
    expect(subject).toBe("[backup-validator prod] MISMATCH docs: a b c d e f g");
  });

  it("stays valid when every part is long, shortening the label too", () => {
    // Act
    const subject = alertSubject({
      stage: "a-very-long-stage-name-for-a-feature-branch",
      headline: "12x REPLICATION_OVERDUE",
      label: "backup-validator-a-very-long-stage-name-documents-primary",
      item: "x".repeat(1024),
      suffix: "+11 more (1/2)",
    });

    // Assess
    expectValidSubject(subject);
    expect(subject).toMatchInlineSnapshot(
      `"[backup-validator a-very-long-stage-name-for-a-feature-branch] 12x REPLICATION_OVERDUE back...im..."`,
    );
  });

  it("never returns an empty item for a key made only of control characters", () => {
    // Act
    const subject = alertSubject({
      stage: "dev",
      headline: "MISMATCH",
      label: "docs",
      item: "\n\n",
    });

    // Assess
    expectValidSubject(subject);
    expect(subject).toBe("[backup-validator dev] MISMATCH docs");
  });
});

describe("toSubjectText", () => {
  it("toSubjectText collapses whitespace runs and trims", () => {
    expect(toSubjectText("  a \n\n b  ")).toBe("a b");
  });
});
