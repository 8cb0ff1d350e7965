/**
 * Plain-text formatting shared by logs, alerts, reports and the on-call commands: durations,
 * sizes, bounded and shortened text, tables, and text made safe to show or to paste.
 */

/** `45 s`, `12 min`, `3.5 h`. */
export function formatDuration(seconds: number | undefined): string {
  if (seconds === undefined) return "an unknown time";
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

/** `1,048,576 bytes (1.0 MiB)`. */
export function formatSize(bytes: number | undefined): string {
  if (bytes === undefined || !Number.isFinite(bytes)) return "unknown";
  const exact = `${Math.round(bytes).toLocaleString("en-US")} bytes`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = "";
  for (const next of units) {
    if (value < 1024) break;
    value /= 1024;
    unit = next;
  }
  return unit ? `${exact} (${value.toFixed(1)} ${unit})` : exact;
}

export function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, "utf8");
}

/** Cuts text to at most `maxBytes` UTF-8 bytes on a character boundary, marking the cut. */
export function boundedText(text: string, maxBytes: number): string {
  const bytes = Buffer.from(text);
  if (bytes.length <= maxBytes) return text;
  const marker = `… [truncated, ${bytes.length} bytes in all]`;
  const keep = Math.max(0, maxBytes - Buffer.byteLength(marker));
  // Decoding a cut buffer may end in a replacement character; drop it.
  const head = bytes
    .subarray(0, keep)
    .toString("utf8")
    .replace(/\uFFFD$/, "");
  return `${head}${marker}`;
}

/**
 * A JSON value as it is when it serialises to at most `maxBytes`, else a marker with its size
 * and a preview, so that an embedded event never pushes a message past a queue's size limit.
 */
export function boundedJson(value: unknown, maxBytes: number): unknown {
  const text = JSON.stringify(value) ?? "null";
  const bytes = Buffer.byteLength(text);
  if (bytes <= maxBytes) return value;
  return { truncated: true, originalBytes: bytes, preview: boundedText(text, 4096) };
}

/** Keeps the first `maxLength` characters, marking a cut with "…". */
export function truncate(text: string, maxLength: number): string {
  const characters = Array.from(text);
  if (characters.length <= maxLength) return text;
  return `${characters.slice(0, Math.max(0, maxLength - 1)).join("")}…`;
}

/**
 * `reports/2024/very-long…name.pdf`: keeps the start and the end (the extension), where keys
 * differ most usefully. Counts code points, so an emoji is never cut in half.
 */
export function shortenMiddle(text: string, maxLength: number, ellipsis = "…"): string {
  const characters = Array.from(text);
  if (characters.length <= maxLength) return text;
  const marker = Array.from(ellipsis).length;
  if (maxLength <= marker) return characters.slice(0, maxLength).join("");
  const keep = maxLength - marker;
  const head = Math.floor(keep / 2);
  const tail = keep - head;
  return `${characters.slice(0, head).join("")}${ellipsis}${characters.slice(-tail).join("")}`;
}

export interface TableOptions {
  /** Put in front of every line (default none). */
  readonly indent?: string;
  /** Treat the first row as headers and underline them with dashes. */
  readonly header?: boolean;
}

/**
 * Rows as aligned plain-text columns, two spaces apart; the last column is not padded and
 * trailing spaces are cut. No colours: output is often pasted into tickets and emails.
 */
export function table(rows: readonly (readonly string[])[], options: TableOptions = {}): string[] {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, index) => {
      widths[index] = Math.max(widths[index] ?? 0, cell.length);
    });
  }
  const [first, ...rest] = rows;
  const underline = first?.map((_cell, index) => "-".repeat(widths[index] ?? 0));
  const all = options.header && first && underline ? [first, underline, ...rest] : rows;
  return all.map((row) => {
    const cells = row.map((cell, index) =>
      index === row.length - 1 ? cell : cell.padEnd((widths[index] ?? 0) + 2),
    );
    return `${options.indent ?? ""}${cells.join("")}`.trimEnd();
  });
}

/** A titled block of lines: `TITLE` then its lines. */
export function section(title: string, lines: readonly string[]): string {
  return [title, ...lines].join("\n");
}

/**
 * Shows text inside a plain-text body without letting it break the layout: control characters
 * (a key may contain a line break) are written as `\uXXXX`.
 */
export function displayText(text: string): string {
  return escapeControls(text, () => false);
}

/** Like displayText, but keeps line breaks and tabs: for message bodies shown in full. */
export function displayMultiline(text: string): string {
  return escapeControls(
    text.replace(/\r\n/g, "\n"),
    (character) => character === "\n" || character === "\t",
  );
}

function escapeControls(text: string, keep: (character: string) => boolean): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (character) =>
    keep(character)
      ? character
      : `\\u${(character.codePointAt(0) ?? 0).toString(16).padStart(4, "0")}`,
  );
}

/**
 * Quotes an argument for bash/zsh so the command can be pasted as is. Keys with control
 * characters use ANSI-C quoting ($'...') so the command stays on one line.
 */
export function shellQuote(argument: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(argument)) return argument;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
  if (!/[\u0000-\u001f\u007f]/.test(argument)) return `'${argument.replace(/'/g, `'\\''`)}'`;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
  const escaped = argument.replace(/[\\'\u0000-\u001f\u007f]/g, (character) => {
    if (character === "\\") return "\\\\";
    if (character === "'") return "\\'";
    if (character === "\n") return "\\n";
    if (character === "\t") return "\\t";
    if (character === "\r") return "\\r";
    return `\\x${(character.codePointAt(0) ?? 0).toString(16).padStart(2, "0")}`;
  });
  return `$'${escaped}'`;
}

/**
 * Prose is wrapped at 78 columns, the line length RFC 5322 prefers (998 is its hard limit).
 * Commands, URLs, tables and embedded payloads are never wrapped: a command must paste as one
 * line, and a broken URL or JSON line is worse than a long one.
 * https://www.rfc-editor.org/rfc/rfc5322#section-2.1.1
 */
export const PROSE_WIDTH = 78;

const LIST_MARKER = /^( *)(\d+\. |- |• )?/;

/**
 * Wraps one line of prose at spaces. Continuation lines are indented under the text: after a
 * list marker (`1. `, `- `), or two spaces in from an indented line. A word longer than the
 * width (a URL, an S3 key, a checksum) keeps a line of its own, unbroken.
 */
export function wrapLine(line: string, width = PROSE_WIDTH): string[] {
  if (line.length <= width) return [line];
  const [, leading = "", marker = ""] = LIST_MARKER.exec(line) ?? [];
  const indent =
    marker !== "" ? " ".repeat(leading.length + marker.length) : leading ? `${leading}  ` : "";
  const words = line.slice(leading.length + marker.length).split(/ +/);
  const lines: string[] = [];
  let current = `${leading}${marker}`;
  let empty = true;
  for (const word of words) {
    if (!empty && current.length + 1 + word.length > width) {
      lines.push(current);
      current = indent;
      empty = true;
    }
    current += empty ? word : ` ${word}`;
    empty = false;
  }
  lines.push(current);
  return lines;
}

/** Each line of `text` wrapped as prose (see wrapLine). */
export function wrapProse(text: string, width = PROSE_WIDTH): string {
  return text
    .split("\n")
    .flatMap((line) => wrapLine(line, width))
    .join("\n");
}
