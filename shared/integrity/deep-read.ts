/**
 * Deep verification: settles by bytes what the recorded metadata cannot (other part layouts,
 * no common checksum algorithm, SSE-KMS ETags).
 *
 * The cheapest read that proves it: by default the primary's (the validator runs in the primary
 * region, so no cross-region transfer), from whose bytes the digest the replica *carries* is
 * computed: its checksum with its algorithm and type, or its ETag with its own part layout. Equal
 * to the replica's recorded value: MATCH; different: MISMATCH. That proves the replica's record
 * matches the primary's bytes, which catches any overwrite, truncation or re-upload of the
 * replica (S3 computes those records afresh). Whether S3 recomputes a CRR replica's checksum or
 * carries the source's value over is not documented, so reading the replica instead (the
 * primary's record reproduced from the replica's bytes; cross-region transfer) is offered for a
 * byte-level proof. When the side whose record would be reproduced carries no digest that can be
 * computed (e.g. SSE-KMS without checksums), both sides are read and their SHA-256 compared.
 */
import type { ChecksumAlgorithm, ObjectState } from "../s3/object-state.ts";
import {
  type BytesRead,
  contentEtag,
  type Evidence,
  normaliseEtag,
  recordedChecksums,
  strongestFirst,
} from "./compare.ts";
import type { DigestTarget } from "./digests.ts";
import { digestObject, type RangeReader, type ReadLimits } from "./parallel-read.ts";

export type Side = "primary" | "replica";

/** How to settle a comparison by reading bytes. */
export type DeepReadPlan =
  | {
      /** Read one side and reproduce the other side's recorded value. */
      readonly kind: "reproduce";
      readonly read: Side;
      readonly target: DigestTarget;
      /** The value the other side records, as S3 shows it. */
      readonly recorded: string;
    }
  | {
      /** Read both sides and compare the SHA-256 of their bytes. */
      readonly kind: "compare-bytes";
      /** Why the preferred read was not possible. */
      readonly because: string;
    }
  | {
      /** The best value to reproduce needs this side's part layout first. */
      readonly kind: "needs-part-layout";
      readonly side: Side;
    };

interface Candidate {
  readonly kind: "full-object-checksum" | "composite-checksum" | "etag";
  readonly algorithm: ChecksumAlgorithm;
  readonly recorded: string;
  /** Undefined when no part layout is needed; the part count when one is. */
  readonly parts?: number;
}

/**
 * Hashing cost, in nanoseconds per byte on one thread (Node 24, this project's digest engine:
 * CRC32 ~3.4 GB/s in zlib, SHA-1/SHA-256 ~1.7 GB/s, MD5 ~770 MB/s, CRC64NVME ~300 MB/s and the
 * xxHash family ~150 MB/s in the SDK's JavaScript). Only the ranking matters: it picks, among the
 * values that would prove the same thing, the one that costs least to reproduce.
 */
const HASH_NS_PER_BYTE: Readonly<Record<ChecksumAlgorithm, number>> = {
  CRC32: 0.3,
  SHA1: 0.6,
  SHA256: 0.6,
  MD5: 1.3,
  SHA512: 1.4,
  CRC32C: 2.4,
  CRC64NVME: 3.3,
  XXHASH3: 6.6,
  XXHASH128: 7.1,
  XXHASH64: 7.5,
};
/** A round trip to S3, and part HEADs in flight at once, for the cost of reading a layout. */
const ROUND_TRIP_NS = 20e6;
const PART_HEADS_AT_ONCE = 8;

/**
 * Chooses the read that proves it most cheaply: the value the other side records whose
 * reproduction costs least (hashing the object, plus reading that side's part layout when the
 * value depends on it and the layout is not known yet: HEAD part 1, then the others eight at a
 * time). A large multipart object's ETag (MD5 per part) is cheaper than its CRC64NVME; a small
 * one's CRC64NVME cheaper than the part HEADs. A value whose layout could not be established is
 * left out; with nothing left, both sides' bytes are compared.
 */
export function planDeepRead(
  primary: ObjectState,
  replica: ObjectState,
  read: Side,
  options: { readonly partLayoutsRead?: boolean } = {},
): DeepReadPlan {
  const recordSide = read === "primary" ? replica : primary;
  const other: Side = read === "primary" ? "replica" : "primary";
  const layout = recordSide.partSizes;
  const usable = reproducible(recordSide).filter(
    (candidate) =>
      candidate.parts === undefined ||
      (layout ? layout.length === candidate.parts : !options.partLayoutsRead),
  );
  const cost = (candidate: Candidate) => {
    const hashing = recordSide.size * HASH_NS_PER_BYTE[candidate.algorithm];
    if (candidate.parts === undefined || layout) return hashing;
    const waves = 1 + Math.ceil((candidate.parts - 1) / PART_HEADS_AT_ONCE);
    return hashing + waves * ROUND_TRIP_NS;
  };
  const [cheapest] = strongestFirst(usable).sort((a, b) => cost(a) - cost(b));
  if (cheapest && cheapest.parts !== undefined && !layout) {
    return { kind: "needs-part-layout", side: other };
  }
  if (cheapest) return reproduce(read, cheapest, layout ?? []);
  return {
    kind: "compare-bytes",
    because:
      reproducible(recordSide).length > 0
        ? `the ${other}'s part layout could not be established`
        : `the ${other} records no checksum or ETag that can be computed from bytes`,
  };
}

/** The values a side records that bytes can reproduce. */
function reproducible(state: ObjectState): Candidate[] {
  const candidates: Candidate[] = [];
  for (const checksum of recordedChecksums(state)) {
    if (checksum.type === "full") {
      candidates.push({
        kind: "full-object-checksum",
        algorithm: checksum.algorithm,
        recorded: checksum.value,
      });
    } else if (checksum.type === "composite" && checksum.parts !== undefined) {
      candidates.push({
        kind: "composite-checksum",
        algorithm: checksum.algorithm,
        recorded: checksum.value,
        parts: checksum.parts,
      });
    }
  }
  const etag = contentEtag(state);
  if ("etag" in etag) {
    candidates.push({
      kind: "etag",
      algorithm: "MD5",
      recorded: normaliseEtag(state.etag ?? ""),
      ...(etag.etag.parts === undefined ? {} : { parts: etag.etag.parts }),
    });
  }
  return candidates;
}

function reproduce(read: Side, candidate: Candidate, partSizes: readonly number[]): DeepReadPlan {
  const target: DigestTarget =
    candidate.kind === "etag"
      ? candidate.parts === undefined
        ? { kind: "single-part-etag" }
        : { kind: "multipart-etag", partSizes }
      : candidate.kind === "composite-checksum"
        ? { kind: "composite-checksum", algorithm: candidate.algorithm, partSizes }
        : { kind: "full-object-checksum", algorithm: candidate.algorithm };
  return { kind: "reproduce", read, target, recorded: candidate.recorded };
}

/** How a deep read is carried out. */
export interface DeepReadOptions extends ReadLimits {
  readonly chunkSize: number;
  /** Ranged GETs in flight per side. */
  readonly concurrency: number;
  /** Told the bytes read so far, both sides together, and the total to read. */
  readonly onProgress?: (bytesRead: number, bytesToRead: number) => void;
}

export interface DeepReadOutcome {
  readonly read: BytesRead;
  /** Present when every byte was read. */
  readonly evidence?: Evidence;
  readonly bytesRead: number;
  /** Most bytes of data held at once by the read (both sides together). */
  readonly peakBytesHeld: number;
  readonly stoppedBy?: "deadline" | "signal";
}

/** What a plan reads, in bytes (both sides for compare-bytes). */
export function bytesToRead(plan: DeepReadPlan, size: number): number {
  return plan.kind === "compare-bytes" ? 2 * size : size;
}

/**
 * Carries out a plan (not "needs-part-layout") with a reader per side. Both sides of a
 * compare-bytes plan are read at the same time, each with half the concurrency, so memory stays
 * within concurrency × chunkSize.
 */
export async function runDeepRead(
  plan: Exclude<DeepReadPlan, { kind: "needs-part-layout" }>,
  size: number,
  readers: Readonly<Record<Side, RangeReader>>,
  options: DeepReadOptions,
): Promise<DeepReadOutcome> {
  const total = bytesToRead(plan, size);
  if (plan.kind === "reproduce") {
    const outcome = await digestObject({
      ...options,
      size,
      readRange: readers[plan.read],
      targets: [plan.target],
      onProgress: (bytes) => options.onProgress?.(bytes, total),
    });
    const [result] = outcome.results ?? [];
    const base = {
      read: plan.read,
      bytesRead: outcome.bytesRead,
      peakBytesHeld: outcome.peakBytesHeld,
    };
    if (!result) return { ...base, stoppedBy: outcome.stoppedBy ?? "signal" };
    return { ...base, evidence: reproducedEvidence(plan, result.value) };
  }
  const progress = { primary: 0, replica: 0 };
  const digestSide = (side: Side) =>
    digestObject({
      ...options,
      concurrency: Math.max(1, Math.floor(options.concurrency / 2)),
      size,
      readRange: readers[side],
      targets: [{ kind: "full-object-checksum", algorithm: "SHA256" }],
      onProgress: (bytes) => {
        progress[side] = bytes;
        options.onProgress?.(progress.primary + progress.replica, total);
      },
    });
  const [primary, replica] = await Promise.all([digestSide("primary"), digestSide("replica")]);
  const bytesRead = primary.bytesRead + replica.bytesRead;
  const peakBytesHeld = primary.peakBytesHeld + replica.peakBytesHeld;
  const ours = primary.results?.[0]?.value;
  const theirs = replica.results?.[0]?.value;
  if (ours === undefined || theirs === undefined) {
    return {
      read: "both",
      bytesRead,
      peakBytesHeld,
      stoppedBy: primary.stoppedBy ?? replica.stoppedBy ?? "signal",
    };
  }
  return {
    read: "both",
    bytesRead,
    peakBytesHeld,
    evidence: {
      kind: "full-object-checksum",
      algorithm: "SHA256",
      primary: ours,
      replica: theirs,
      agrees: ours === theirs,
      computedFrom: "both",
    },
  };
}

/** The computed value against the recorded one, as evidence in primary/replica terms. */
function reproducedEvidence(
  plan: Extract<DeepReadPlan, { kind: "reproduce" }>,
  computed: string,
): Evidence {
  const { target } = plan;
  const parts = "partSizes" in target ? target.partSizes.length : undefined;
  const kind: Evidence["kind"] =
    target.kind === "single-part-etag" || target.kind === "multipart-etag" ? "etag" : target.kind;
  const algorithm = "algorithm" in target ? target.algorithm : "MD5";
  const values =
    plan.read === "primary"
      ? { primary: computed, replica: plan.recorded }
      : { primary: plan.recorded, replica: computed };
  return {
    kind,
    algorithm,
    ...(parts === undefined ? {} : { parts }),
    ...values,
    agrees: sameDigest(computed, plan.recorded, kind),
    computedFrom: plan.read,
  };
}

/**
 * A computed value against a recorded one. ETags compare without quotes and case; a composite
 * checksum recorded without its `-N` (some emulators, older answers) compares on the digest.
 */
function sameDigest(computed: string, recorded: string, kind: Evidence["kind"]): boolean {
  if (kind === "etag") return computed === normaliseEtag(recorded);
  if (kind === "composite-checksum" && !/-\d+$/.test(recorded)) {
    return computed.replace(/-\d+$/, "") === recorded;
  }
  return computed === recorded;
}
