/**
 * What `npm run audit` writes: one NDJSON line per object for `--report` (the failure report,
 * with its evidence, for a problem), and the summary by verdict (a table, or `--json`).
 */
import {
  type AuditReportContext,
  auditReport,
  isReportedResult,
} from "../../shared/audit/audit-object.ts";
import type { BucketPair } from "../../shared/contracts/bucket-pairs.ts";
import type { ListedObject } from "../../shared/integrity/listing.ts";
import { compact } from "../../shared/objects.ts";
import { formatDuration, table } from "../../shared/text.ts";
import { objectFindings } from "../../shared/validator/reports.ts";
import { AUDIT_VERDICTS, type AuditVerdict, VERDICTS } from "../../shared/verdicts.ts";
import type { AuditFinding, AuditStats } from "./audit-run.ts";

/** A problem is a verdict that is reported (an alert, were it found by the pipeline). */
export function isProblem(verdict: AuditVerdict): boolean {
  return VERDICTS[verdict].action === "report";
}

/** The NDJSON line of one finding. */
export function reportLine(
  finding: AuditFinding,
  pair: BucketPair,
  context: AuditReportContext,
): Record<string, unknown> {
  const base = compact({
    runId: context.detectedBy.runId,
    bucket: pair.primaryBucket,
    replicaBucket: pair.replicaBucket,
    category: pair.category,
    key: finding.key,
    versionId: finding.versionId,
  });
  if (finding.kind === "error") return { ...base, error: finding.error };
  if (finding.kind === "enqueued") return { ...base, enqueued: true };
  const { verdict, decidedBy, reason, result } = finding;
  const head = { ...base, verdict, decidedBy, reason };
  if (result && isReportedResult(result)) {
    return { ...head, report: auditReport(context, pair, result) };
  }
  if (result) {
    const found = objectFindings(context, pair, result, result.primary?.versionId);
    return compact({
      ...head,
      primary: found.primary,
      replica: found.replica,
      evidence: found.evidence,
    });
  }
  return compact({
    ...head,
    listed: finding.listed && {
      ...(finding.listed.primary ? { primary: listedLine(finding.listed.primary) } : {}),
      ...(finding.listed.replica ? { replica: listedLine(finding.listed.replica) } : {}),
    },
    evidence: finding.comparison && {
      basis: finding.comparison.basis,
      compared: finding.comparison.evidence,
      notComparable: finding.comparison.notComparable,
    },
  });
}

/** A listing entry as the report shows it: its time in ISO 8601. */
function listedLine(entry: ListedObject): Record<string, unknown> {
  return compact({
    ...entry,
    lastModified:
      entry.lastModified === undefined ? undefined : new Date(entry.lastModified).toISOString(),
  });
}

/** One pair's part of the summary. */
export interface PairSummary {
  readonly primary: string;
  readonly replica: string;
  readonly category: string;
  readonly prefix: string;
  readonly listed: { readonly primary: number; readonly replica: number };
  /** Objects with a finding. */
  readonly audited: number;
  readonly fromListing: number;
  readonly headed: number;
  readonly enqueued: number;
  readonly errors: number;
  readonly verdicts: Readonly<Partial<Record<AuditVerdict, number>>>;
  readonly problems: number;
  readonly listingUnusable?: string;
  readonly throttles: number;
  readonly lowestConcurrency: number;
  readonly ranges: number;
}

export interface AuditSummary {
  readonly runId: string;
  readonly startedAt: string;
  readonly seconds: number;
  readonly objectsPerSecond: number;
  /** False when interrupted (or stopped by an error) before the end. */
  readonly completed: boolean;
  /** Where `--start-after` resumes an interrupted audit. */
  readonly resume?: { readonly after?: string; readonly commands: readonly string[] };
  readonly pairs: readonly PairSummary[];
  readonly audited: number;
  readonly problems: number;
  readonly errors: number;
  readonly verdicts: Readonly<Partial<Record<AuditVerdict, number>>>;
  readonly exitCode: number;
}

export function pairSummary(pair: BucketPair, prefix: string, stats: AuditStats): PairSummary {
  const verdicts: Partial<Record<AuditVerdict, number>> = {};
  let problems = 0;
  for (const verdict of AUDIT_VERDICTS) {
    const count = stats.verdicts.get(verdict) ?? 0;
    if (count === 0) continue;
    verdicts[verdict] = count;
    if (isProblem(verdict)) problems += count;
  }
  return compact({
    primary: pair.primaryBucket,
    replica: pair.replicaBucket,
    category: pair.category,
    prefix,
    listed: { ...stats.listed },
    audited: stats.finished,
    fromListing: stats.fromListing,
    headed: stats.headed,
    enqueued: stats.enqueued,
    errors: stats.errors,
    verdicts,
    problems,
    listingUnusable: stats.listingUnusable,
    throttles: stats.gate.throttles,
    lowestConcurrency: stats.gate.lowest,
    ranges: stats.ranges,
  });
}

/** Verdict counts of several pairs added up. */
export function totalVerdicts(
  pairs: readonly PairSummary[],
): Partial<Record<AuditVerdict, number>> {
  const total: Partial<Record<AuditVerdict, number>> = {};
  for (const pair of pairs) {
    for (const [verdict, count] of Object.entries(pair.verdicts) as [AuditVerdict, number][]) {
      total[verdict] = (total[verdict] ?? 0) + count;
    }
  }
  return total;
}

/** `audit: 1,204 objects, found: MISMATCH 1, REPLICA_MISSING 1` */
export function oneLine(summary: AuditSummary): string {
  const found = AUDIT_VERDICTS.filter(
    (verdict) => isProblem(verdict) && (summary.verdicts[verdict] ?? 0) > 0,
  ).map((verdict) => `${verdict} ${summary.verdicts[verdict]}`);
  const errors = summary.errors > 0 ? `; ${summary.errors} could not be audited` : "";
  return `audit: ${summary.audited.toLocaleString("en-US")} objects, ${
    found.length > 0 ? `found: ${found.join(", ")}` : "no problem found"
  }${errors}`;
}

export function renderSummary(summary: AuditSummary): string {
  const out: string[] = [];
  for (const pair of summary.pairs) {
    const where = pair.prefix ? `/${pair.prefix}` : "";
    out.push(
      `${pair.category}: s3://${pair.primary}${where} -> s3://${pair.replica}${where}`,
      ...table(
        [
          [
            "listed",
            `${pair.listed.primary.toLocaleString("en-US")} on the primary, ${pair.listed.replica.toLocaleString("en-US")} on the replica (${pair.ranges} range${pair.ranges === 1 ? "" : "s"} in parallel)`,
          ],
          [
            "audited",
            pair.enqueued > 0
              ? `${pair.enqueued.toLocaleString("en-US")} check messages sent to the validation queue`
              : `${pair.audited.toLocaleString("en-US")} objects: ${pair.fromListing.toLocaleString("en-US")} decided by the listings, ${pair.headed.toLocaleString("en-US")} HEADed${pair.errors > 0 ? `, ${pair.errors} could not be audited` : ""}`,
          ],
          ...(pair.listingUnusable
            ? [["listing", `decides nothing: ${pair.listingUnusable}`]]
            : []),
          ...(pair.throttles > 0
            ? [
                [
                  "throttled",
                  `${pair.throttles} answer(s) said SlowDown; concurrency lowered to ${pair.lowestConcurrency} at most`,
                ],
              ]
            : []),
        ],
        { indent: "  " },
      ),
      "",
    );
  }
  const rows = AUDIT_VERDICTS.filter((verdict) => (summary.verdicts[verdict] ?? 0) > 0).map(
    (verdict) => [
      verdict,
      (summary.verdicts[verdict] ?? 0).toLocaleString("en-US"),
      isProblem(verdict) ? "problem" : "",
      VERDICTS[verdict].meaning,
    ],
  );
  if (summary.errors > 0) {
    rows.push([
      "(error)",
      summary.errors.toLocaleString("en-US"),
      "not audited",
      "S3 kept failing for these objects: see --report, then run the audit again",
    ]);
  }
  out.push(...table([["VERDICT", "OBJECTS", "", "MEANING"], ...rows], { header: true }));
  out.push(
    "",
    `${oneLine(summary)} in ${summary.seconds < 120 ? `${summary.seconds.toFixed(1)} s` : formatDuration(Math.round(summary.seconds))} (${summary.objectsPerSecond.toLocaleString("en-US")} objects/s); run ${summary.runId}`,
  );
  if (summary.resume) {
    out.push(
      "",
      summary.resume.after === undefined
        ? "Interrupted before any object was finished. Start again with:"
        : `Interrupted. Every key up to ${JSON.stringify(summary.resume.after)} is audited. Resume with:`,
      ...summary.resume.commands.map((command) => `  ${command}`),
    );
  }
  return `${out.join("\n")}\n`;
}
