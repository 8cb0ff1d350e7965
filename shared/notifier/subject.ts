/** Alert subjects: what SNS accepts and an email client shows in one line. */
import { shortenMiddle } from "../text.ts";

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
    item = shortenMiddle(item, Math.max(MIN_ITEM_LENGTH, item.length - excess()), ELLIPSIS);
  }
  if (excess() > 0 && label) {
    label = shortenMiddle(label, Math.max(MIN_LABEL_LENGTH, label.length - excess()), ELLIPSIS);
  }
  const subject = compose();
  return subject.length <= MAX_SUBJECT_LENGTH
    ? subject
    : `${subject.slice(0, MAX_SUBJECT_LENGTH - ELLIPSIS.length)}${ELLIPSIS}`;
}
