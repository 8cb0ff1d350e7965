import { describe, expect, it } from "vitest";
import { verifyCommand } from "../../../shared/notifier/commands.ts";
import {
  parseArn,
  s3ObjectConsoleUrl,
  sqsQueueConsoleUrl,
} from "../../../shared/notifier/links.ts";
import {
  alertSubject,
  displayMultiline,
  displayText,
  formatSize,
  MAX_SUBJECT_LENGTH,
  shellQuote,
  shortenMiddle,
  toSubjectText,
} from "../../../shared/notifier/text.ts";

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

describe("subject and body helpers", () => {
  it("toSubjectText collapses whitespace runs and trims", () => {
    expect(toSubjectText("  a \n\n b  ")).toBe("a b");
  });

  it("shortenMiddle counts characters, not UTF-16 units, and handles tiny limits", () => {
    expect(shortenMiddle("😀😀😀😀😀😀😀😀😀😀", 7)).toBe("😀😀...😀😀");
    expect(shortenMiddle("abcdef", 2)).toBe("ab");
    expect(shortenMiddle("abc", 3)).toBe("abc");
  });

  it("displayText escapes control characters so a key cannot break the layout", () => {
    expect(displayText("a\nb\u0007c")).toBe("a\\u000ab\\u0007c");
    expect(displayMultiline("line 1\r\nline\t2\u0000")).toBe("line 1\nline\t2\\u0000");
  });

  it("shellQuote leaves safe words alone, single-quotes spaces and quotes, ANSI-C-quotes control characters", () => {
    expect(shellQuote("s3://bucket/reports/q3.pdf")).toBe("s3://bucket/reports/q3.pdf");
    expect(shellQuote("s3://bucket/it's here.pdf")).toBe(`'s3://bucket/it'\\''s here.pdf'`);
    expect(shellQuote("a\nb\\c'd\te\rf\u0001")).toBe("$'a\\nb\\\\c\\'d\\te\\rf\\x01'");
  });

  it("verifyCommand quotes the URI and the version id", () => {
    expect(
      verifyCommand("prod", { bucket: "b-primary", key: "my $file.txt", versionId: "v 1" }),
    ).toBe("npm run verify -- 's3://b-primary/my $file.txt' --version-id 'v 1' --stage prod");
  });

  it("formatSize gives exact bytes and a readable unit", () => {
    expect(formatSize(undefined)).toBe("unknown");
    expect(formatSize(512)).toBe("512 bytes");
    expect(formatSize(62_914_560)).toBe("62,914,560 bytes (60.0 MiB)");
    expect(formatSize(5 * 1024 ** 4)).toBe("5,497,558,138,880 bytes (5.0 TiB)");
  });
});

describe("console links", () => {
  it("links an object with its key, version and region encoded", () => {
    expect(s3ObjectConsoleUrl("b", "dir/a b+c.txt", "us-west-2", "v+1")).toBe(
      "https://us-west-2.console.aws.amazon.com/s3/object/b?region=us-west-2&bucketType=general&prefix=dir%2Fa%20b%2Bc.txt&versionId=v%2B1",
    );
  });

  it("uses each partition's console", () => {
    expect(s3ObjectConsoleUrl("b", "k", "cn-north-1")).toBe(
      "https://console.amazonaws.cn/s3/object/b?region=cn-north-1&bucketType=general&prefix=k",
    );
    expect(sqsQueueConsoleUrl("arn:aws-us-gov:sqs:us-gov-west-1:111122223333:q")).toBe(
      "https://console.amazonaws-us-gov.com/sqs/v3/home?region=us-gov-west-1#/queues/https%3A%2F%2Fsqs.us-gov-west-1.amazonaws.com%2F111122223333%2Fq",
    );
    expect(sqsQueueConsoleUrl("arn:aws-cn:sqs:cn-north-1:111122223333:q")).toContain(
      "https%3A%2F%2Fsqs.cn-north-1.amazonaws.com.cn%2F111122223333%2Fq",
    );
  });

  it("gives no queue link for a missing or non-SQS ARN", () => {
    expect(sqsQueueConsoleUrl(undefined)).toBeUndefined();
    expect(sqsQueueConsoleUrl("arn:aws:sns:us-east-1:111122223333:topic")).toBeUndefined();
    expect(parseArn("not-an-arn")).toBeUndefined();
  });
});
