/**
 * The wording of every alert verdict: what it means for the backup, and the numbered steps to
 * take, with the exact on-call commands. Keyed by the verdict table's alert verdicts
 * (shared/verdicts.ts), so a new verdict does not compile until it has its words here.
 */
import type { ObjectIdentity } from "../objects.ts";
import { wrapLine } from "../text.ts";
import type { AlertVerdict } from "../verdicts.ts";
import {
  auditCommand,
  deleteVersionCommand,
  dlqInspectCommand,
  listVersionsCommand,
  redriveCommand,
  verifyCommand,
} from "./commands.ts";

const S3_BATCH_REPLICATION =
  "https://docs.aws.amazon.com/AmazonS3/latest/userguide/s3-batch-replication-batch.html";
const REPLICATION_TROUBLESHOOTING =
  "https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-troubleshoot.html";

export const WHAT_HAPPENED: Record<AlertVerdict, string> = {
  MISMATCH:
    "The replica is NOT identical to its original: the size, a checksum or ETag of the same kind on both sides, or a digest computed from the bytes, differs. Until this is fixed the backup of this version cannot be trusted.",
  REPLICA_OVERWRITTEN:
    "An audit found that the replica bucket's current version of this object is not the version replication wrote: something wrote or deleted it there after replication. The replicated version is still in the replica bucket, but a restore of the latest version would take the wrong object (or nothing). Only replication should write there: the replica buckets' policy denies everyone else but the break-glass role.",
  REPLICA_MISSING:
    "S3 says this version was replicated (replication status COMPLETED), but the replica does not exist in the replica bucket: it was deleted or expired there. There is no backup of this version.",
  REPLICATION_FAILED:
    "S3 could not replicate this version (replication status FAILED). S3 does not retry failed replications by itself: there is no backup of this version until someone acts.",
  REPLICATION_OVERDUE:
    "The replica has not arrived within the replication deadline. Replication is slow or stuck; this version has no verified backup yet.",
  UNVERIFIABLE:
    "Both copies exist and have the same size, but no recorded checksum or ETag could prove them equal, and the validator did not settle it by reading the bytes (deep verification is off, the object is above its size limit, or the read did not finish in time: EVIDENCE says which). This is NOT evidence of corruption; it is a gap in the evidence.",
  UNCHECKABLE:
    "The validator could not check this object: S3 refused the lookup with an error that retrying cannot change (a 400: a version id or key S3 rejects). Nothing was compared, so this version has no verified backup.",
  UNMAPPED_BUCKET:
    "An upload event arrived for a bucket that is not in the validator's BUCKET_PAIRS, so nothing was checked: the validator does not know which bucket holds its replica.",
  MALFORMED_EVENT:
    "A message on the validation queue was not an S3 event the validator understands, so nothing was checked. Its body is shown at the end.",
  REDRIVEN_EVENT:
    "An S3 upload event reached the notifier without being validated: it was moved from the validation dead-letter queue to the failure queue by hand (npm run redrive -- --to failure), usually after the validator failed on it 3 times (throttling, access denied, a bug). The object has NOT been checked.",
  UNRECOGNISED_MESSAGE:
    "A message on the failure queue is neither a failure report nor an S3 event, so the notifier cannot tell which object it concerns. It is shown at the end as received (truncated if large). Nothing has been validated.",
};

const VERIFY_PLACEHOLDER = "<the verify command listed under each object above>";

/**
 * The command an alert quotes to re-check one object: for UNVERIFIABLE verify reads the bytes
 * (`--deep`), which is what settles it; for REPLICA_OVERWRITTEN the audit looks at the replica
 * bucket's current version, which verify does not.
 */
export function verifyCommandFor(
  verdict: AlertVerdict,
  stage: string,
  object: ObjectIdentity,
): string {
  if (verdict === "REPLICA_OVERWRITTEN") return auditCommand(stage, object);
  return verifyCommand(stage, object, { deep: verdict === "UNVERIFIABLE" });
}

/**
 * REPLICA_OVERWRITTEN: the replica's key and region and the version on top of the replicated
 * one (undefined for a delete marker, whose id only a listing shows), for the exact commands.
 */
export interface OverwrittenReplica {
  readonly bucket: string;
  readonly key: string;
  readonly region?: string;
  readonly currentVersionId?: string;
}

/**
 * Numbered steps; `verify` holds the exact commands, or is undefined in a digest (listed per
 * object); `overwritten` names the replica for REPLICA_OVERWRITTEN's repair commands (a digest
 * shows them with placeholders).
 */
export function nextSteps(
  verdict: AlertVerdict,
  stage: string,
  verify: readonly string[] | undefined,
  overwritten?: OverwrittenReplica,
): string[] {
  // Step lines get a two-space margin; continuation lines of a step carry it themselves.
  const check = (verify ?? [VERIFY_PLACEHOLDER]).join("\n      ");
  const genericVerify = `npm run verify -- s3://<primary-bucket>/<key> --stage ${stage}`;
  const waiting = [
    "See what else is waiting: events the validator could not process, and reports whose alert could not be sent:",
    `    ${dlqInspectCommand(stage, "validation")}`,
    `    ${dlqInspectCommand(stage, "failure")}`,
  ];
  const replica: OverwrittenReplica = overwritten ?? {
    bucket: "<replica-bucket>",
    key: "<key>",
    region: "<replica-region>",
    currentVersionId: "<current-version-id>",
  };
  const steps: Record<AlertVerdict, string[][]> = {
    REPLICA_OVERWRITTEN: [
      [
        "Re-check now (read-only; exit code 0 only if the replica bucket's current version is the replicated one):",
        `    ${check}`,
      ],
      [
        "Find what wrote there: CloudTrail data events or the replica bucket's server access logs (PutObject, CopyObject, DeleteObject on this key), and whether the replica bucket's policy was changed. List the key's versions (the replicated version, and what is on top of it):",
        `    ${listVersionsCommand(replica)}`,
      ],
      [
        replica.currentVersionId === undefined
          ? "Make the replicated version current again by deleting the delete marker on top (its VersionId is in the DeleteMarkers of the listing above). This needs the break-glass role (the bucket policy denies everyone else):"
          : "Make the replicated version current again by deleting the version on top (keep a copy first if that write was meant: aws s3api get-object … --version-id). This needs the break-glass role (the bucket policy denies everyone else), and Object Lock may retain that version until its retention ends:",
        `    ${deleteVersionCommand(replica, replica.currentVersionId ?? "<delete-marker-version-id>")}`,
      ],
      ["Then re-check with the command of step 1."],
      waiting,
    ],
    MISMATCH: [
      ["Re-check now (read-only; exit code 0 only if the replica matches):", `    ${check}`],
      [
        "If it still differs, compare both sides in the console (links below) and find what wrote to the replica bucket (CloudTrail data events): only replication should write there.",
      ],
      [
        `Replace the bad replica by replicating this version again with S3 Batch Replication (${S3_BATCH_REPLICATION}), then re-check.`,
      ],
      waiting,
    ],
    REPLICA_MISSING: [
      ["Re-check now:", `    ${check}`],
      [
        "Find what removed the replica: the replica bucket's lifecycle rules, and CloudTrail (DeleteObject on the replica bucket).",
      ],
      [`Replicate it again with S3 Batch Replication (${S3_BATCH_REPLICATION}), then re-check.`],
      waiting,
    ],
    REPLICATION_FAILED: [
      [
        `Fix the cause first, usually permissions: the replication role needs s3:GetObjectVersionForReplication on the source and s3:ReplicateObject on the replica bucket; with SSE-KMS both key policies must allow it (${REPLICATION_TROUBLESHOOTING}).`,
      ],
      [
        `Replicate the failed version again with S3 Batch Replication, which can select objects whose replication status is FAILED (${S3_BATCH_REPLICATION}).`,
      ],
      ["Then re-check:", `    ${check}`],
      waiting,
    ],
    REPLICATION_OVERDUE: [
      [
        "Look at the pair's replication metrics in CloudWatch (namespace AWS/S3: ReplicationLatency, OperationsPendingReplication, OperationsFailedReplication) and at the AWS Health Dashboard for both regions.",
      ],
      ["Re-check; once the replica has arrived this says MATCH:", `    ${check}`],
      ["If the source's replication status turns FAILED, treat it as REPLICATION_FAILED."],
      waiting,
    ],
    UNVERIFIABLE: [
      [
        "Settle it by reading the bytes (read-only; exit code 0 only if the replica matches). It reads the primary in its own region and reproduces the digest the replica records; add --read replica to read the replica's own bytes instead (cross-region transfer):",
        `    ${check}`,
      ],
      [
        "If this was the deep-verification size limit (DEEP_VERIFY_MAX_BYTES) or the time limit, and such objects are common, raise the limit or the function's timeout in resources/settings.json and deploy.",
      ],
      [
        "To make future uploads verifiable from metadata alone, upload with a full-object checksum (e.g. aws s3 cp FILE s3://BUCKET/KEY --checksum-algorithm CRC64NVME); replication keeps it.",
      ],
      waiting,
    ],
    UNCHECKABLE: [
      [
        "Read the finding: it names S3's answer. Check that the version id and key in the event exist (the console links below, or aws s3api list-object-versions --bucket BUCKET --prefix KEY).",
      ],
      ["Check the object by hand once the cause is known:", `    ${check}`],
      waiting,
    ],
    UNMAPPED_BUCKET: [
      [
        "If this bucket should be validated, add it and its replica to the stack's bucket pairs and deploy:",
        `    npm run deploy -- --stage ${stage}`,
      ],
      [
        "Otherwise stop its events from reaching the validation queue (the EventBridge rule's bucket list).",
      ],
      ["Once it is mapped, check the object:", `    ${check}`],
      waiting,
    ],
    MALFORMED_EVENT: [
      [
        "Read the body at the end: if it is a real S3 event in a shape the validator does not know, keep it for a bug report; otherwise find who sends such messages to the validation queue.",
      ],
      ["If it names an object, check that object:", `    ${genericVerify}`],
      waiting,
    ],
    REDRIVEN_EVENT: [
      ["Check the object now:", `    ${check}`],
      [
        "Find why the validator failed on it: the checksum-validator function's logs (search for the key).",
      ],
      [
        "Other events may still wait in the validation DLQ; after fixing the cause, send them back for validation:",
        `    ${dlqInspectCommand(stage, "validation")}`,
        `    ${redriveCommand(stage, "validation", "source")}`,
      ],
    ],
    UNRECOGNISED_MESSAGE: [
      [
        "Read the body at the end and find who sends such messages to the failure queue (or which redrive moved them there).",
      ],
      ["If it names an object, check that object:", `    ${genericVerify}`],
      waiting,
    ],
  };
  // A step's first line is prose (wrapped); the lines after it are commands (never wrapped).
  return steps[verdict].flatMap((lines, index) =>
    lines.flatMap((line, lineIndex) =>
      lineIndex === 0 ? wrapLine(`  ${index + 1}. ${line}`) : [`  ${line}`],
    ),
  );
}
