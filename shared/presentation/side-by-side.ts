/**
 * Primary and replica side by side, and the evidence the verdict rests on: the one presentation
 * an alert email and `npm run verify` both print, so what the on-call engineer reads in the
 * alert is what the re-check shows.
 */
import type { ObjectSide } from "../contracts/failure-report.ts";
import { describeEvidence, type Evidence } from "../integrity/compare.ts";
import { CHECKSUM_ALGORITHMS } from "../s3/object-state.ts";
import { displayText, table } from "../text.ts";

/** The evidence part of a report or a comparison. */
export interface EvidenceSummary {
  /** The evidence the verdict rests on. */
  readonly basis?: Evidence;
  readonly compared: readonly Evidence[];
  readonly notComparable: readonly string[];
}

/**
 * Rows: presence, version, size, ETag, every checksum either side has, checksum type,
 * replication status, encryption, last modified; `<- differs` marks disagreeing values, and an
 * ETag difference that was not comparable evidence says so instead of crying corruption.
 */
export function sideBySideLines(
  primary: ObjectSide | undefined,
  replica: ObjectSide | undefined,
  compared: readonly Evidence[],
  indent = "  ",
): string[] {
  const region = (side: ObjectSide | undefined) => (side?.region ? ` (${side.region})` : "");
  const value = (side: ObjectSide | undefined, read: (side: ObjectSide) => unknown): string => {
    if (!side?.present) return "-";
    const raw = read(side);
    return raw === undefined || raw === null || raw === "" ? "-" : displayText(String(raw));
  };
  const differs = (left: string, right: string) =>
    left !== "-" && right !== "-" && left !== right ? "<- differs" : "";
  const rows: string[][] = [
    ["", `PRIMARY${region(primary)}`, `REPLICA${region(replica)}`, ""],
    ["Bucket", primary?.bucket ?? "-", replica?.bucket ?? "-", ""],
    [
      "Present",
      presence(primary),
      presence(replica),
      primary?.present && replica && !replica.present ? "<- replica missing" : "",
    ],
    ["Version", value(primary, (s) => s.versionId), value(replica, (s) => s.versionId), ""],
  ];
  const sizeRow = ["Size", value(primary, (s) => s.size), value(replica, (s) => s.size)] as const;
  rows.push([...sizeRow, differs(sizeRow[1], sizeRow[2])]);
  const etags = [value(primary, (s) => s.etag), value(replica, (s) => s.etag)] as const;
  const etagCompared = compared.some((item) => item.kind === "etag");
  const etagNote = differs(...etags);
  rows.push([
    "ETag",
    ...etags,
    etagNote && !etagCompared ? `${etagNote} (not comparable, see EVIDENCE)` : etagNote,
  ]);
  for (const algorithm of CHECKSUM_ALGORITHMS) {
    const left = value(primary, (s) => s.checksums?.[algorithm]);
    const right = value(replica, (s) => s.checksums?.[algorithm]);
    if (left === "-" && right === "-") continue;
    rows.push([`Checksum ${algorithm}`, left, right, differs(left, right)]);
  }
  const informational: [string, (side: ObjectSide) => unknown][] = [
    ["Checksum type", (side) => side.checksumType],
    ["Replication status", (side) => side.replicationStatus],
    ["Encryption", (side) => side.serverSideEncryption],
    ["Last modified", (side) => side.lastModified],
  ];
  for (const [label, read] of informational) {
    rows.push([label, value(primary, read), value(replica, read), ""]);
  }
  return table(rows, { indent });
}

function presence(side: ObjectSide | undefined): string {
  if (!side) return "not checked";
  return side.present ? "yes" : "NO (not found)";
}

/** `Verdict based on: ...`, then everything compared, then why weaker evidence was not used. */
export function evidenceLines(evidence: EvidenceSummary, indent = "  "): string[] {
  const lines: string[] = [];
  if (evidence.basis) {
    lines.push(`${indent}Verdict based on: ${displayText(describeEvidence(evidence.basis))}`);
  }
  if (evidence.compared.length > 0) {
    lines.push(`${indent}Compared:`);
    for (const item of evidence.compared) {
      lines.push(`${indent}  - ${displayText(describeEvidence(item))}`);
    }
  }
  if (evidence.notComparable.length > 0) {
    lines.push(`${indent}Not comparable:`);
    for (const reason of evidence.notComparable) lines.push(`${indent}  - ${displayText(reason)}`);
  }
  return lines;
}
