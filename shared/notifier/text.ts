/** Plain-text helpers for alert subjects and bodies. */

export const SERVICE_NAME = "backup-validator";

/**
 * SNS rejects a Subject of 100 characters or more, or one with line breaks or control
 * characters; printable ASCII is always accepted.
 * https://docs.aws.amazon.com/sns/latest/api/API_Publish.html
 */
export const MAX_SUBJECT_LENGTH = 99;

const ELLIPSIS = "...";

/**
 * Printable ASCII only: control characters (line breaks, tabs, ...) become spaces, other
 * non-ASCII characters become "?" (one per character, emoji included), runs of spaces collapse.
 */
export function toSubjectText(text: string): string {
  let out = "";
  for (const character of text) {
    const code = character.codePointAt(0) ?? 0;
    if (code < 0x20 || code === 0x7f || isUnicodeLineBreakOrControl(code)) out += " ";
    else if (code > 0x7e) out += "?";
    else out += character;
  }
  return out.replace(/ {2,}/g, " ").trim();
}

function isUnicodeLineBreakOrControl(code: number): boolean {
  // C1 controls, NEL, LINE SEPARATOR, PARAGRAPH SEPARATOR.
  return (code >= 0x80 && code <= 0x9f) || code === 0x2028 || code === 0x2029;
}

/** `reports/2024/very-long…name.pdf` style: keeps the start and the end (the extension). */
export function shortenMiddle(text: string, maxLength: number): string {
  const characters = Array.from(text);
  if (characters.length <= maxLength) return text;
  if (maxLength <= ELLIPSIS.length) return characters.slice(0, maxLength).join("");
  const keep = maxLength - ELLIPSIS.length;
  const head = Math.floor(keep / 2);
  const tail = keep - head;
  return `${characters.slice(0, head).join("")}${ELLIPSIS}${characters.slice(-tail).join("")}`;
}

export interface SubjectParts {
  readonly stage: string;
  /** The verdict, or `3x MISMATCH` for a digest. */
  readonly headline: string;
  /** Category or bucket. */
  readonly label?: string;
  /** Usually the object key: the part that gets shortened first. */
  readonly item?: string;
  /** `+2 more` for digests. */
  readonly suffix?: string;
}

const MIN_ITEM_LENGTH = 24;
const MIN_LABEL_LENGTH = 12;

/** `[backup-validator prod] MISMATCH documents: reports/q3.pdf`, always a valid SNS subject. */
export function alertSubject(parts: SubjectParts): string {
  const prefix = `[${SERVICE_NAME} ${toSubjectText(parts.stage)}] ${toSubjectText(parts.headline)}`;
  let label = toSubjectText(parts.label ?? "");
  let item = toSubjectText(parts.item ?? "");
  const suffix = toSubjectText(parts.suffix ?? "");
  const compose = () =>
    `${prefix}${label ? ` ${label}` : ""}${item ? `: ${item}` : ""}${suffix ? ` ${suffix}` : ""}`;
  const excess = () => compose().length - MAX_SUBJECT_LENGTH;
  if (excess() > 0 && item) {
    item = shortenMiddle(item, Math.max(MIN_ITEM_LENGTH, item.length - excess()));
  }
  if (excess() > 0 && label) {
    label = shortenMiddle(label, Math.max(MIN_LABEL_LENGTH, label.length - excess()));
  }
  const subject = compose();
  return subject.length <= MAX_SUBJECT_LENGTH
    ? subject
    : `${subject.slice(0, MAX_SUBJECT_LENGTH - ELLIPSIS.length)}${ELLIPSIS}`;
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

export function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, "utf8");
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

/** Rows of columns padded to equal width (the last column is not padded). */
export function table(rows: readonly (readonly string[])[], indent = "  "): string[] {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, index) => {
      widths[index] = Math.max(widths[index] ?? 0, cell.length);
    });
  }
  return rows.map((row) =>
    `${indent}${row.map((cell, index) => (index === row.length - 1 ? cell : cell.padEnd((widths[index] ?? 0) + 2))).join("")}`.trimEnd(),
  );
}

/** A titled block of lines: `TITLE` then its lines. */
export function section(title: string, lines: readonly string[]): string {
  return [title, ...lines].join("\n");
}
