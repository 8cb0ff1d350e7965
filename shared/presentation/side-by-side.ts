/**
 * Primary and replica side by side, and the evidence the verdict rests on: the one presentation
 * an alert email and `npm run verify` both print, so what the on-call engineer reads in the
 * alert is what the re-check shows.
 */
import type { ObjectSide } from "../contracts/failure-report.ts";
import { describeEvidence, type Evidence } from "../integrity/compare.ts";
import type { DeepVerification } from "../integrity/settle.ts";
import { CHECKSUM_ALGORITHMS } from "../s3/object-state.ts";
import { displayText, formatSize, table } from "../text.ts";

/** The evidence part of a report or a comparison. */
export interface EvidenceSummary {
  /** The evidence the verdict rests on. */
  readonly basis?: Evidence;
  readonly compared: readonly Evidence[];
  readonly notComparable: readonly string[];
  readonly deepVerification?: DeepVerification;
}

/**
 * Rows: presence, version, size, ETag, every checksum either side has, checksum type, part
 * count (when read), replication status, encryption, last modified; `<- differs` marks
 * disagreeing values, and a recorded difference that was not comparable evidence (other part
 * layouts, SSE-KMS ETags, composite vs full-object) says so instead of crying corruption.
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
  // Recorded values that were weighed against each other (not values computed from bytes).
  const recordedCompared = (match: (item: Evidence) => boolean) =>
    compared.some((item) => item.computedFrom === undefined && match(item));
  const differsUnlessWeighed = (left: string, right: string, weighed: boolean) => {
    const note = differs(left, right);
    return note && !weighed ? `${note} (not comparable, see EVIDENCE)` : note;
  };
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
  const etagWeighed = recordedCompared((item) => item.kind === "etag");
  rows.push(["ETag", ...etags, differsUnlessWeighed(...etags, etagWeighed)]);
  for (const algorithm of CHECKSUM_ALGORITHMS) {
    const left = value(primary, (s) => s.checksums?.[algorithm]);
    const right = value(replica, (s) => s.checksums?.[algorithm]);
    if (left === "-" && right === "-") continue;
    const weighed = recordedCompared(
      (item) => item.algorithm === algorithm && item.kind !== "etag",
    );
    rows.push([`Checksum ${algorithm}`, left, right, differsUnlessWeighed(left, right, weighed)]);
  }
  const informational: [string, (side: ObjectSide) => unknown][] = [
    ["Checksum type", (side) => side.checksumType],
    ...(primary?.parts !== undefined || replica?.parts !== undefined
      ? [["Parts", (side: ObjectSide) => side.parts] as [string, (side: ObjectSide) => unknown]]
      : []),
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
  if (evidence.deepVerification) {
    lines.push(`${indent}Bytes read: ${describeDeepVerification(evidence.deepVerification)}`);
  }
  return lines;
}

const SIDES_READ = { primary: "the primary's", replica: "the replica's", both: "both sides'" };

/** `1,048,576 bytes (1.0 MiB) of the primary's bytes, in 0.4 s`, or why nothing was read. */
export function describeDeepVerification(deep: DeepVerification): string {
  const whose = deep.read ? ` of ${SIDES_READ[deep.read]} bytes` : "";
  switch (deep.outcome) {
    case "verified":
      return `${formatSize(deep.bytesRead)}${whose}, in ${deep.seconds} s (deep verification)`;
    case "stopped":
      return `${formatSize(deep.bytesRead)} of ${formatSize(deep.bytesToRead)}${whose}, then the time ran out (deep verification did not finish)`;
    case "off":
      return "none (deep verification is turned off: DEEP_VERIFY_MAX_BYTES=0)";
    default:
      return `none (${formatSize(deep.bytesToRead)}${whose} to read is above the deep-verification size limit, DEEP_VERIFY_MAX_BYTES)`;
  }
}
