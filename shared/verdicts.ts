/**
 * Every outcome the system can reach, and what follows from it: the one table the validator
 * (what to do, how loudly to log), the failure report (severity), the notifier (which wording,
 * which severity) and the on-call CLI (help, exit codes) all read. Adding a verdict is one entry
 * here plus its wording in shared/notifier/guidance.ts; the compiler points at every other place
 * that must know it (each reads the table through the types below).
 */

/** What happens to the message or object once the verdict is known. */
export type VerdictAction =
  /** Nothing more to do: the message is deleted. */
  | "acknowledge"
  /** Checked again later (a delayed check message on the validation queue). */
  | "re-check"
  /** A failure report goes to the failure queue, and from there an alert. */
  | "report";

export type Severity = "critical" | "high" | "warning";
export const SEVERITIES: readonly Severity[] = ["critical", "high", "warning"];
export type LogLevel = "info" | "warn" | "error";

/** Who reaches the verdict: the validator (for an object or a message) or the notifier. */
export type VerdictOrigin = "validator" | "notifier";

interface Quiet {
  readonly action: "acknowledge" | "re-check";
  readonly logLevel: LogLevel;
  readonly origin: "validator";
  /** One line for help texts and the README. */
  readonly meaning: string;
}

interface Reported {
  readonly action: "report";
  readonly severity: Severity;
  readonly logLevel: LogLevel;
  readonly origin: VerdictOrigin;
  readonly meaning: string;
}

export const VERDICTS = {
  MATCH: {
    action: "acknowledge",
    logLevel: "info",
    origin: "validator",
    meaning: "the replica is proven identical to its source",
  },
  MISMATCH: {
    action: "report",
    severity: "critical",
    logLevel: "error",
    origin: "validator",
    meaning: "the replica differs from its source (size, or a checksum or ETag of the same kind)",
  },
  REPLICA_OVERWRITTEN: {
    action: "report",
    severity: "critical",
    logLevel: "error",
    origin: "validator",
    meaning:
      "the replica bucket's current version is not the replicated one: something wrote or deleted there after replication (audit only)",
  },
  UNVERIFIABLE: {
    action: "report",
    severity: "warning",
    logLevel: "warn",
    origin: "validator",
    meaning: "both exist with equal sizes, but no evidence could prove them equal",
  },
  REPLICATION_FAILED: {
    action: "report",
    severity: "critical",
    logLevel: "error",
    origin: "validator",
    meaning: "S3 reports replication FAILED for this version",
  },
  REPLICA_MISSING: {
    action: "report",
    severity: "critical",
    logLevel: "error",
    origin: "validator",
    meaning: "S3 reports replication COMPLETED but the replica does not exist",
  },
  PENDING: {
    action: "re-check",
    logLevel: "warn",
    origin: "validator",
    meaning: "the replica has not arrived yet; checked again later",
  },
  REPLICATION_OVERDUE: {
    action: "report",
    severity: "high",
    logLevel: "error",
    origin: "validator",
    meaning: "the replica is still missing after the replication deadline",
  },
  SOURCE_GONE: {
    action: "acknowledge",
    logLevel: "info",
    origin: "validator",
    meaning: "the source version no longer exists; nothing to compare",
  },
  REPLICA_ONLY: {
    action: "acknowledge",
    logLevel: "info",
    origin: "validator",
    meaning:
      "an object only the replica bucket has (deleted from the primary, or written to the replica directly; audit only)",
  },
  UNCHECKABLE: {
    action: "report",
    severity: "high",
    logLevel: "error",
    origin: "validator",
    meaning: "the object cannot be checked: S3 refuses the request for good (400)",
  },
  UNMAPPED_BUCKET: {
    action: "report",
    severity: "warning",
    logLevel: "warn",
    origin: "validator",
    meaning: "the event names a bucket that is not a configured primary",
  },
  MALFORMED_EVENT: {
    action: "report",
    severity: "warning",
    logLevel: "warn",
    origin: "validator",
    meaning: "a validation-queue message is not an S3 event the validator understands",
  },
  IGNORED: {
    action: "acknowledge",
    logLevel: "info",
    origin: "validator",
    meaning: "an S3 message with nothing to validate (a test event, another event type)",
  },
  SPLIT: {
    action: "re-check",
    logLevel: "info",
    origin: "validator",
    meaning: "one of several objects in a message, queued as a check of its own",
  },
  HANDED_OFF: {
    action: "re-check",
    logLevel: "info",
    origin: "validator",
    meaning:
      "reading the bytes could not finish in the time the invocation had left; queued as a check of its own",
  },
  REDRIVEN_EVENT: {
    action: "report",
    severity: "high",
    logLevel: "warn",
    origin: "notifier",
    meaning: "an upload event moved to the failure queue by hand, never validated",
  },
  UNRECOGNISED_MESSAGE: {
    action: "report",
    severity: "warning",
    logLevel: "warn",
    origin: "notifier",
    meaning: "a failure-queue message that is neither a failure report nor an S3 event",
  },
} as const satisfies Record<string, Quiet | Reported>;

export type Verdict = keyof typeof VERDICTS;
type Table = typeof VERDICTS;

/** Verdicts with a failure report: the validator's reported verdicts. */
export type ReportedVerdict = {
  [V in Verdict]: Table[V] extends { action: "report"; origin: "validator" } ? V : never;
}[Verdict];

/** Everything an alert can be about: reported verdicts and the notifier's own. */
export type AlertVerdict = {
  [V in Verdict]: Table[V] extends { action: "report" } ? V : never;
}[Verdict];

/** Outcomes of checking one object (validateObject); the rest concern whole messages. */
export type ObjectVerdict = Extract<
  Verdict,
  | "MATCH"
  | "MISMATCH"
  | "UNVERIFIABLE"
  | "REPLICATION_FAILED"
  | "REPLICA_MISSING"
  | "PENDING"
  | "REPLICATION_OVERDUE"
  | "SOURCE_GONE"
>;

/**
 * Outcomes of auditing one object (shared/audit/audit-object.ts): those of checking it, what
 * only a look at the replica bucket's current state can show, and UNCHECKABLE for an object S3
 * refuses to look up for good.
 */
export type AuditVerdict = ObjectVerdict | "REPLICA_OVERWRITTEN" | "REPLICA_ONLY" | "UNCHECKABLE";

/** What comparing two present objects can prove. */
export type ComparisonVerdict = Extract<ObjectVerdict, "MATCH" | "MISMATCH" | "UNVERIFIABLE">;

/** What the validator can conclude about one message or object. */
export type Outcome = {
  [V in Verdict]: Table[V]["origin"] extends "validator" ? V : never;
}[Verdict];

export const REPORTED_VERDICTS = (Object.keys(VERDICTS) as Verdict[]).filter(
  (verdict): verdict is ReportedVerdict =>
    VERDICTS[verdict].action === "report" && VERDICTS[verdict].origin === "validator",
);

export const OBJECT_VERDICTS: readonly ObjectVerdict[] = [
  "MATCH",
  "MISMATCH",
  "UNVERIFIABLE",
  "REPLICATION_FAILED",
  "REPLICA_MISSING",
  "PENDING",
  "REPLICATION_OVERDUE",
  "SOURCE_GONE",
];

export const AUDIT_VERDICTS: readonly AuditVerdict[] = [
  ...OBJECT_VERDICTS,
  "REPLICA_OVERWRITTEN",
  "REPLICA_ONLY",
  "UNCHECKABLE",
];

export function actionOf(verdict: Verdict): VerdictAction {
  return VERDICTS[verdict].action;
}

export function logLevelOf(verdict: Verdict): LogLevel {
  return VERDICTS[verdict].logLevel;
}

export function severityOf(verdict: AlertVerdict): Severity {
  return VERDICTS[verdict].severity;
}

export function isReportedVerdict(value: unknown): value is ReportedVerdict {
  return (REPORTED_VERDICTS as readonly unknown[]).includes(value);
}

export function isSeverity(value: unknown): value is Severity {
  return (SEVERITIES as readonly unknown[]).includes(value);
}
