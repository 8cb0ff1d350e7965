import type { BucketPair } from "../../shared/config/bucket-pairs.ts";
import type { Evidence } from "../../shared/integrity/compare.ts";
import { CHECKSUM_ALGORITHMS, type ObjectState } from "../../shared/s3/object-state.ts";
import { formatDuration, type ValidationResult } from "../../shared/validator/validate-object.ts";
import { renderTable } from "./table.ts";

export interface VerifyReportContext {
  readonly pair: BucketPair;
  readonly primaryRegion: string;
  readonly replicaRegion: string;
  /** The replication deadline, already formatted ("15 min"). */
  readonly deadline: string;
}

/** The verdict, then primary and replica in two columns, then the evidence compared. */
export function renderSideBySide(result: ValidationResult, context: VerifyReportContext): string {
  const { pair } = context;
  const version = result.primary?.versionId;
  const out: string[] = [
    `${result.verdict}  s3://${pair.primaryBucket}/${result.key}${version ? ` (version ${version})` : ""}`,
    result.reason,
    "",
  ];
  const sides: [string, (state: ObjectState | undefined, bucket: string) => string][] = [
    ["bucket", (_state, bucket) => bucket],
    ["present", (state) => (state ? "yes" : "no")],
    ["version", (state) => state?.versionId ?? "-"],
    ["size", (state) => (state ? String(state.size) : "-")],
    ["ETag", (state) => state?.etag ?? "-"],
    ...CHECKSUM_ALGORITHMS.filter(
      (algorithm) => result.primary?.checksums[algorithm] || result.replica?.checksums[algorithm],
    ).map(
      (algorithm) =>
        [
          `checksum ${algorithm}`,
          (state: ObjectState | undefined) => state?.checksums[algorithm] ?? "-",
        ] as [string, (state: ObjectState | undefined, bucket: string) => string],
    ),
    ["checksum type", (state) => state?.checksumType ?? "-"],
    ["replication status", (state) => state?.replicationStatus ?? "-"],
    ["encryption", (state) => state?.serverSideEncryption ?? state?.sseCustomerAlgorithm ?? "-"],
    ["last modified", (state) => state?.lastModified ?? "-"],
  ];
  out.push(
    renderTable(
      ["", `primary (${context.primaryRegion})`, `replica (${context.replicaRegion})`],
      sides.map(([label, read]) => [
        label,
        read(result.primary, pair.primaryBucket),
        // Before comparison the replica may be absent (PENDING, SOURCE_GONE): say so plainly.
        result.primary ? read(result.replica, pair.replicaBucket) : "(not looked up)",
      ]),
    ),
  );
  const comparison = result.comparison;
  if (comparison) {
    out.push(
      "Evidence (strongest first):",
      renderTable(
        ["", "evidence", "primary", "replica"],
        comparison.evidence.map((item) => [
          item.agrees ? "agrees" : "DIFFERS",
          evidenceName(item),
          item.primary,
          item.replica,
        ]),
      ),
    );
    if (comparison.notComparable.length > 0) {
      out.push("Not comparable:", ...comparison.notComparable.map((line) => `  - ${line}`), "");
    }
  }
  if (result.objectAgeSeconds !== undefined) {
    out.push(
      `Object age ${formatDuration(result.objectAgeSeconds)}; replication deadline ${context.deadline}.`,
    );
  }
  return `${out.join("\n").trimEnd()}\n`;
}

function evidenceName(item: Evidence): string {
  switch (item.kind) {
    case "size":
      return "size";
    case "etag":
      return "MD5 ETag";
    case "composite-checksum":
      return `${item.algorithm} composite checksum`;
    default:
      return `${item.algorithm} full-object checksum`;
  }
}
