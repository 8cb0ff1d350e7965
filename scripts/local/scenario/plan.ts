/**
 * What the scenario does and expects: objects across every category (some multipart), one
 * replica corrupted, one dropped, one behind a replica-region outage, and the verdict, alert and
 * dead-letter expected of each; then, after the pipeline proved them, two replicas damaged
 * behind its back (one written over with other bytes, one deleted) and the verdict the audit
 * must find for each object.
 */
import type { AuditVerdict, ObjectVerdict } from "../../../shared/verdicts.ts";
import { MIN_PART_SIZE } from "../multipart.ts";
import type { ReplicaFate } from "../replication.ts";
import type { LocalStack } from "../stack.ts";

export type Plan = "replicate" | "multipart" | "corrupt" | "drop" | "outage";

/** What happens to a replica after the pipeline found it MATCH: nobody tells the validator. */
export type Damage = "overwrite" | "delete";

export interface PlannedObject {
  readonly bucket: string;
  readonly key: string;
  readonly category: string;
  readonly plan: Plan;
  readonly size: number;
  /** The verdict `verify` must give at the end. */
  readonly expectedVerdict: ObjectVerdict;
  /** Whether one alert must name this object. */
  readonly expectAlert: boolean;
  /** Whether its check must have been dead-lettered (and then redriven). */
  readonly expectDeadLetter: boolean;
  /** Done to its replica after its MATCH, before the audit. */
  readonly damage?: Damage;
  /** The verdict `npm run audit` must find at the end. */
  readonly auditVerdict: AuditVerdict;
}

/** A message no S3 producer would send: it must become exactly one MALFORMED_EVENT alert. */
export const MALFORMED_BODY = "this is not an S3 event: someone sent a test message by hand";

export function planObjects(stack: Pick<LocalStack, "names">, count: number): PlannedObject[] {
  if (count < 5) throw new Error(`--objects must be at least 5 to cover every path (got ${count})`);
  const special: Record<number, Plan> = { 1: "corrupt", 2: "drop", 3: "outage" };
  // The first two objects that replicate well (indexes 0 and 4: multipart) are damaged later.
  const damage: Record<number, Damage> = { 0: "overwrite", 4: "delete" };
  return Array.from({ length: count }, (_, index) => {
    const pair = stack.names.buckets[index % stack.names.buckets.length];
    if (!pair) throw new Error("no bucket pairs configured");
    const plan: Plan = special[index] ?? (index % 4 === 0 ? "multipart" : "replicate");
    const number = String(index + 1).padStart(3, "0");
    const key =
      plan === "corrupt" || plan === "drop" || plan === "outage"
        ? `${plan}/scenario-${number}.bin`
        : plan === "multipart"
          ? `scenario/${pair.category}/${number} large export.bin`
          : `scenario/${pair.category}/${number} résumé.txt`;
    return {
      bucket: pair.primaryBucket,
      key,
      category: pair.category,
      plan,
      size: plan === "multipart" ? MIN_PART_SIZE + 1024 : 1024 + index,
      expectedVerdict:
        plan === "corrupt" ? "MISMATCH" : plan === "drop" ? "REPLICATION_OVERDUE" : "MATCH",
      expectAlert: plan === "corrupt" || plan === "drop",
      expectDeadLetter: plan === "outage",
      ...(damage[index] ? { damage: damage[index] } : {}),
      auditVerdict: auditVerdictOf(plan, damage[index]),
    };
  });
}

/**
 * What the audit finds: other bytes are a MISMATCH; a deleted replica, past the replication
 * deadline, is REPLICATION_OVERDUE here. (On AWS the source's replication status COMPLETED makes
 * it REPLICA_MISSING, and on a versioned bucket the overwrite REPLICA_OVERWRITTEN; the emulator
 * has neither replication status nor versions.)
 */
function auditVerdictOf(plan: Plan, damage: Damage | undefined): AuditVerdict {
  if (plan === "corrupt" || damage === "overwrite") return "MISMATCH";
  if (plan === "drop" || damage === "delete") return "REPLICATION_OVERDUE";
  return "MATCH";
}

/** The replica fate each planned object asks of the replication stand-in. */
export function fatesOf(planned: readonly PlannedObject[]): Map<string, ReplicaFate> {
  const fates = new Map<string, ReplicaFate>();
  for (const object of planned) {
    if (object.plan === "corrupt" || object.plan === "drop") {
      fates.set(`${object.bucket}/${object.key}`, object.plan);
    }
  }
  return fates;
}
