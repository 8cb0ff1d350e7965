import type { BucketPair } from "../../shared/contracts/bucket-pairs.ts";
import { objectSide } from "../../shared/contracts/failure-report.ts";
import { evidenceLines, sideBySideLines } from "../../shared/presentation/side-by-side.ts";
import { formatDuration } from "../../shared/text.ts";
import type { ValidationResult } from "../../shared/validator/validate-object.ts";

export interface VerifyReportContext {
  readonly pair: BucketPair;
  readonly primaryRegion: string;
  readonly replicaRegion: string;
  /** The replication deadline, already formatted ("15 min"). */
  readonly deadline: string;
}

/**
 * The verdict, then primary and replica side by side and the evidence, exactly as an alert
 * email shows them (shared/presentation/side-by-side.ts).
 */
export function renderSideBySide(result: ValidationResult, context: VerifyReportContext): string {
  const { pair } = context;
  const version = result.primary?.versionId;
  const out: string[] = [
    `${result.verdict}  s3://${pair.primaryBucket}/${result.key}${version ? ` (version ${version})` : ""}`,
    result.reason,
    "",
  ];
  const primary = objectSide(
    { bucket: pair.primaryBucket, key: result.key, region: context.primaryRegion },
    result.primary,
  );
  // Before comparison the replica may not have been looked up (SOURCE_GONE): say so plainly.
  const replica = result.primary
    ? objectSide(
        { bucket: pair.replicaBucket, key: result.key, region: context.replicaRegion },
        result.replica,
      )
    : undefined;
  const comparison = result.comparison;
  out.push(...sideBySideLines(primary, replica, comparison?.evidence ?? [], ""), "");
  if (comparison) {
    out.push(
      "Evidence:",
      ...evidenceLines({
        ...comparison,
        compared: comparison.evidence,
        deepVerification: result.deepVerification,
      }),
      "",
    );
  }
  if (result.objectAgeSeconds !== undefined) {
    out.push(
      `Object age ${formatDuration(result.objectAgeSeconds)}; replication deadline ${context.deadline}.`,
    );
  }
  return `${out.join("\n").trimEnd()}\n`;
}
