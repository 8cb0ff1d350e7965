/**
 * Settles a comparison as far as the rules allow, with the fewest requests: compare what S3
 * recorded; read both sides' part layouts only when a layout-dependent value differs (one HEAD
 * per part); and when nothing recorded decides, read bytes (shared/integrity/deep-read.ts)
 * within the size limit and the time left. The one driver of the comparison engine for the
 * Lambda, `npm run verify` and an audit.
 */
import type { ObjectReader, ObjectState } from "../s3/object-state.ts";
import { type BytesRead, type Comparison, compareObjects } from "./compare.ts";
import {
  bytesToRead,
  type DeepReadPlan,
  planDeepRead,
  runDeepRead,
  type Side,
} from "./deep-read.ts";
import { createRangeSlots, type RangeReader, type RangeSlots } from "./parallel-read.ts";

/**
 * Bytes per ranged GET: AWS suggests 8 or 16 MB ranges for byte-range fetches.
 * https://docs.aws.amazon.com/whitepapers/latest/s3-optimizing-performance-best-practices/use-byte-range-fetches.html
 */
export const DEEP_READ_CHUNK_BYTES = 8 * 1024 * 1024;

/**
 * Settings for one process: 8 MiB ranges, and one pool of `concurrency` ranges shared by all its
 * reads, so the records of a batch read together hold at most concurrency × 8 MiB.
 */
export function deepVerificationSettings(
  config: Pick<DeepVerificationSettings, "maxBytes" | "read" | "concurrency">,
): DeepVerificationSettings {
  return {
    ...config,
    chunkSize: DEEP_READ_CHUNK_BYTES,
    slots: createRangeSlots(config.concurrency),
  };
}

export interface DeepVerificationSettings {
  /** The largest object whose bytes are read; 0 turns deep verification off. */
  readonly maxBytes: number;
  /** Whose bytes to read by default: the primary's (in-region) or the replica's (byte-level proof). */
  readonly read: Side;
  /** Ranged GETs (and part HEADs) in flight per read. */
  readonly concurrency: number;
  readonly chunkSize: number;
  /** Shared by every read of the process, so that concurrent reads together stay bounded. */
  readonly slots?: RangeSlots;
}

export interface SettleLimits {
  /** Epoch milliseconds by which reading must stop (the Lambda's time left, less a reserve). */
  readonly deadline?: number;
  readonly signal?: AbortSignal;
  /** Bytes read so far and the bytes to read, for progress bars. */
  readonly onProgress?: (bytesRead: number, bytesToRead: number) => void;
}

/** What deep verification did for one object. */
export interface DeepVerification {
  /**
   * verified: the bytes were read and decided the verdict; stopped: the time ran out (or the
   * caller aborted) before that; off: deep verification is turned off; too-large: the object is
   * above the size limit.
   */
  readonly outcome: "verified" | "stopped" | "off" | "too-large";
  /** Whose bytes were (or were to be) read. */
  readonly read?: BytesRead;
  readonly bytesRead: number;
  readonly bytesToRead: number;
  readonly stoppedBy?: "deadline" | "signal";
  readonly seconds: number;
}

export interface SideAccess {
  readonly state: ObjectState;
  readonly reader: ObjectReader;
}

export interface Settled {
  /** The sides, with `partSizes` where they were read. */
  readonly primary: ObjectState;
  readonly replica: ObjectState;
  readonly comparison: Comparison;
  /** Present when metadata could not decide and bytes were (to be) read. */
  readonly deepVerification?: DeepVerification;
}

export async function settleComparison(
  sides: Readonly<Record<Side, SideAccess>>,
  settings: DeepVerificationSettings,
  limits: SettleLimits = {},
): Promise<Settled> {
  let primary = sides.primary.state;
  let replica = sides.replica.state;
  let comparison = compareObjects(primary, replica);
  // Decided by what S3 recorded: the common case, with nothing more to ask.
  if (comparison.settleBy === undefined) return { primary, replica, comparison };
  const startedAt = Date.now();
  const signal = stopSignal(limits);
  const readLayout = async (side: Side, state: ObjectState): Promise<ObjectState> => {
    if (state.partSizes) return state;
    const partSizes = await sides[side].reader.partSizes(state, {
      concurrency: settings.concurrency,
      signal,
    });
    return partSizes ? { ...state, partSizes } : state;
  };

  try {
    let partLayoutsRead = false;
    if (comparison.settleBy === "part-layouts") {
      [primary, replica] = await Promise.all([
        readLayout("primary", primary),
        readLayout("replica", replica),
      ]);
      partLayoutsRead = true;
      comparison = compareObjects(primary, replica, { partLayoutsRead });
    }
    if (comparison.verdict !== "UNVERIFIABLE") return { primary, replica, comparison };

    let plan = planDeepRead(primary, replica, settings.read, { partLayoutsRead });
    if (plan.kind === "needs-part-layout") {
      if (plan.side === "primary") primary = await readLayout("primary", primary);
      else replica = await readLayout("replica", replica);
      plan = planDeepRead(primary, replica, settings.read, { partLayoutsRead: true });
    }
    if (plan.kind === "needs-part-layout") throw new Error("internal error: layout asked twice");
    return await readAndJudge(
      { primary, replica, comparison },
      plan,
      {
        primary: (start, end, rangeSignal) =>
          sides.primary.reader.readRange(primary, start, end, rangeSignal),
        replica: (start, end, rangeSignal) =>
          sides.replica.reader.readRange(replica, start, end, rangeSignal),
      },
      settings,
      limits,
      startedAt,
    );
  } catch (error) {
    // A part HEAD cut short by the deadline is the time running out, not a fault.
    if (!signal.aborted) throw error;
    return {
      primary,
      replica,
      comparison,
      deepVerification: {
        outcome: "stopped",
        bytesRead: 0,
        bytesToRead: 0,
        stoppedBy: limits.signal?.aborted ? "signal" : "deadline",
        seconds: elapsed(startedAt),
      },
    };
  }
}

type ReadPlan = Exclude<DeepReadPlan, { kind: "needs-part-layout" }>;

/** Reads the bytes the plan names, within the size limit and the time left, and judges. */
async function readAndJudge(
  metadata: Omit<Settled, "deepVerification">,
  plan: ReadPlan,
  readers: Readonly<Record<Side, RangeReader>>,
  settings: DeepVerificationSettings,
  limits: SettleLimits,
  startedAt: number,
): Promise<Settled> {
  const { primary, comparison } = metadata;
  const read = readOf(plan);
  const bytes = { bytesRead: 0, bytesToRead: bytesToRead(plan, primary.size) };
  if (settings.maxBytes === 0 || primary.size > settings.maxBytes) {
    const outcome = settings.maxBytes === 0 ? "off" : "too-large";
    return { ...metadata, deepVerification: { outcome, read, ...bytes, seconds: 0 } };
  }
  const outcome = await runDeepRead(plan, primary.size, readers, {
    chunkSize: settings.chunkSize,
    concurrency: settings.concurrency,
    ...(settings.slots ? { slots: settings.slots } : {}),
    ...(limits.deadline === undefined ? {} : { deadline: limits.deadline }),
    ...(limits.signal ? { signal: limits.signal } : {}),
    ...(limits.onProgress ? { onProgress: limits.onProgress } : {}),
  });
  const done = { read, bytesRead: outcome.bytesRead, bytesToRead: bytes.bytesToRead };
  const seconds = elapsed(startedAt);
  const { evidence } = outcome;
  if (!evidence) {
    const stoppedBy = outcome.stoppedBy ?? "signal";
    return { ...metadata, deepVerification: { outcome: "stopped", ...done, stoppedBy, seconds } };
  }
  return {
    ...metadata,
    comparison: {
      verdict: evidence.agrees ? "MATCH" : "MISMATCH",
      basis: evidence,
      evidence: [evidence, ...comparison.evidence],
      notComparable: comparison.notComparable,
    },
    deepVerification: { outcome: "verified", ...done, seconds },
  };
}

function readOf(plan: ReadPlan): BytesRead {
  return plan.kind === "compare-bytes" ? "both" : plan.read;
}

/** One signal for the part HEADs: the caller's, or the deadline passing. */
function stopSignal(limits: SettleLimits): AbortSignal {
  const signals: AbortSignal[] = [];
  if (limits.signal) signals.push(limits.signal);
  if (limits.deadline !== undefined) {
    signals.push(AbortSignal.timeout(Math.max(0, limits.deadline - Date.now())));
  }
  return AbortSignal.any(signals);
}

function elapsed(since: number): number {
  return Math.round((Date.now() - since) / 100) / 10;
}
