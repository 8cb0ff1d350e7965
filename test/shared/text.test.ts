import { describe, expect, it } from "vitest";
import {
  boundedText,
  displayMultiline,
  displayText,
  formatDuration,
  formatSize,
  PROSE_WIDTH,
  shellQuote,
  shortenMiddle,
  table,
  truncate,
  wrapLine,
  wrapProse,
} from "../../shared/text.ts";

describe("sizes and durations", () => {
  it("formatSize gives exact bytes and a readable unit", () => {
    expect(formatSize(undefined)).toBe("unknown");
    expect(formatSize(512)).toBe("512 bytes");
    expect(formatSize(62_914_560)).toBe("62,914,560 bytes (60.0 MiB)");
    expect(formatSize(5 * 1024 ** 4)).toBe("5,497,558,138,880 bytes (5.0 TiB)");
  });

  it("formatDuration picks seconds, minutes or hours", () => {
    expect(formatDuration(undefined)).toBe("an unknown time");
    expect(formatDuration(45)).toBe("45 s");
    expect(formatDuration(1030)).toBe("17 min");
    expect(formatDuration(3 * 3600 + 1800)).toBe("3.5 h");
  });
});

describe("shortening", () => {
  it("shortenMiddle counts characters, not UTF-16 units, and handles tiny limits", () => {
    expect(shortenMiddle("😀😀😀😀😀😀😀😀😀😀", 7, "...")).toBe("😀😀...😀😀");
    expect(shortenMiddle("😀😀😀😀😀😀😀😀😀😀", 7)).toBe("😀😀😀…😀😀😀");
    expect(shortenMiddle("abcdef", 2, "...")).toBe("ab");
    expect(shortenMiddle("abcdef", 1)).toBe("a");
    expect(shortenMiddle("abc", 3)).toBe("abc");
  });

  it("shortens long keys in the middle, keeping prefix and file name", () => {
    expect(shortenMiddle("short", 10)).toBe("short");
    expect(shortenMiddle("reports/2025/quarterly/very-long-name.pdf", 21)).toBe(
      "reports/20…g-name.pdf",
    );
  });

  it("truncate keeps the start and marks the cut", () => {
    expect(truncate("abcdef", 10)).toBe("abcdef");
    expect(truncate("abcdef", 4)).toBe("abc…");
  });
});

describe("boundedText", () => {
  it("keeps short text as it is", () => {
    expect(boundedText("short", 100)).toBe("short");
  });

  it("cuts on a character boundary, never inside a multi-byte character", () => {
    const text = "€".repeat(100); // 3 bytes each
    const cut = boundedText(text, 100);
    expect(Buffer.byteLength(cut)).toBeLessThanOrEqual(100);
    expect(cut).not.toContain("\uFFFD");
    expect(cut).toMatch(/^€+… \[truncated, 300 bytes in all\]$/);
  });
});

describe("table", () => {
  it("aligns columns two spaces apart, without padding the last one", () => {
    expect(
      table(
        [
          ["a", "bb", "c"],
          ["ccc", "d", "eeee"],
        ],
        { indent: "  " },
      ),
    ).toEqual(["  a    bb  c", "  ccc  d   eeee"]);
  });

  it("underlines a header row as wide as each column", () => {
    expect(
      table(
        [
          ["#", "key"],
          ["10", "reports/q3.pdf"],
        ],
        { header: true },
      ),
    ).toEqual(["#   key", "--  --------------", "10  reports/q3.pdf"]);
  });
});

describe("text safe to show and to paste", () => {
  it("displayText escapes control characters so a key cannot break the layout", () => {
    expect(displayText("a\nb\u0007c")).toBe("a\\u000ab\\u0007c");
    expect(displayMultiline("line 1\r\nline\t2\u0000")).toBe("line 1\nline\t2\\u0000");
  });

  it("displayMultiline keeps line breaks and tabs but escapes other controls", () => {
    expect(displayMultiline("a\r\nb\tc\u0007")).toBe("a\nb\tc\\u0007");
  });

  it("shellQuote leaves safe words alone, single-quotes spaces and quotes, ANSI-C-quotes control characters", () => {
    expect(shellQuote("s3://bucket/reports/q3.pdf")).toBe("s3://bucket/reports/q3.pdf");
    expect(shellQuote("s3://bucket/it's here.pdf")).toBe(`'s3://bucket/it'\\''s here.pdf'`);
    expect(shellQuote("a\nb\\c'd\te\rf\u0001")).toBe("$'a\\nb\\\\c\\'d\\te\\rf\\x01'");
  });
});

describe("wrapLine: prose at 78 columns, nothing else broken", () => {
  it("wraps at spaces, continuation lines under the text of a numbered step", () => {
    // Act
    const lines = wrapLine(
      "  2. If it still differs, compare both sides in the console (links below) and find what wrote to the replica bucket.",
    );

    // Assess
    expect(lines).toEqual([
      "  2. If it still differs, compare both sides in the console (links below) and",
      "     find what wrote to the replica bucket.",
    ]);
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(PROSE_WIDTH);
  });

  it("keeps a word longer than the line (a URL) whole, on a line of its own", () => {
    // Prepare
    const url = `https://docs.aws.amazon.com/${"x".repeat(90)}`;

    // Act
    const lines = wrapLine(`Replicate it again with S3 Batch Replication (${url}), then re-check.`);

    // Assess
    expect(lines).toContain(`(${url}),`);
    expect(lines.join(" ")).toBe(
      `Replicate it again with S3 Batch Replication (${url}), then re-check.`,
    );
  });

  it("indents continuations of an indented line by two, of a paragraph not at all", () => {
    expect(wrapLine(`  Verdict based on: ${"word ".repeat(20).trim()}`, 40)[1]).toMatch(/^ {4}\S/);
    expect(wrapProse(`${"word ".repeat(20).trim()}\nshort`, 40).split("\n")[1]).toMatch(/^\S/);
  });

  it("leaves a line that fits alone", () => {
    expect(wrapLine("    npm run verify -- s3://b/k --stage prod")).toEqual([
      "    npm run verify -- s3://b/k --stage prod",
    ]);
  });
});
