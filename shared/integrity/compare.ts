import type { ChecksumAlgorithm, ObjectState } from "../s3/object-state.ts";
import { CHECKSUM_ALGORITHMS } from "../s3/object-state.ts";
import type { ComparisonVerdict } from "../verdicts.ts";

/** One piece of evidence that both sides could be compared on. */
export interface Evidence {
  /** size; checksum over the whole object; composite checksum (per-part); MD5-style ETag. */
  readonly kind: "size" | "full-object-checksum" | "composite-checksum" | "etag";
  readonly algorithm?: ChecksumAlgorithm | "MD5";
  readonly primary: string;
  readonly replica: string;
  readonly agrees: boolean;
}

/** What a piece of evidence is, in words: `SHA256 checksum (full object)`, `ETag (MD5)`. */
export function evidenceName(item: Pick<Evidence, "kind" | "algorithm">): string {
  switch (item.kind) {
    case "size":
      return "size";
    case "etag":
      return "ETag (MD5)";
    case "composite-checksum":
      return `${item.algorithm} checksum (composite, per part)`;
    default:
      return `${item.algorithm} checksum (full object)`;
  }
}

/** `SHA256 checksum (full object): primary x, replica y -> DIFFER`. */
export function describeEvidence(item: Evidence): string {
  return `${evidenceName(item)}: primary ${item.primary}, replica ${item.replica} -> ${item.agrees ? "agree" : "DIFFER"}`;
}

export interface Comparison {
  readonly verdict: ComparisonVerdict;
  /** The evidence the verdict rests on: the disagreeing one, or the strongest agreeing one. */
  readonly basis?: Evidence;
  /** Everything that was comparable, strongest first (size always included). */
  readonly evidence: readonly Evidence[];
  /** Why weaker or absent evidence could not be used; empty when nothing was skipped. */
  readonly notComparable: readonly string[];
}

/**
 * Decides whether a replica equals its source from what HeadObject reports.
 *
 * Evidence, strongest first: a full-object checksum of the same algorithm; a composite
 * checksum of the same algorithm and part count; MD5-style ETags of the same shape. Any
 * comparable evidence that disagrees is a MISMATCH; sizes equal with nothing comparable is
 * UNVERIFIABLE, never a silent pass.
 *
 * Why not "strip -N from the ETag and compare": a multipart ETag is the MD5 of the parts' MD5s,
 * so the same bytes uploaded with another part layout (or single-part) never match, and SSE-KMS
 * or SSE-C ETags are not MD5 digests at all.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html
 */
export function compareObjects(primary: ObjectState, replica: ObjectState): Comparison {
  const size: Evidence = {
    kind: "size",
    primary: String(primary.size),
    replica: String(replica.size),
    agrees: primary.size === replica.size,
  };
  if (!size.agrees) {
    return { verdict: "MISMATCH", basis: size, evidence: [size], notComparable: [] };
  }

  const notComparable: string[] = [];
  const evidence: Evidence[] = [
    ...compareChecksums(primary, replica, notComparable),
    ...compareEtags(primary, replica, notComparable),
  ];
  const disagreeing = evidence.find((item) => !item.agrees);
  const all = [...evidence, size];
  if (disagreeing) return { verdict: "MISMATCH", basis: disagreeing, evidence: all, notComparable };
  const strongest = evidence[0];
  if (strongest) return { verdict: "MATCH", basis: strongest, evidence: all, notComparable };
  return { verdict: "UNVERIFIABLE", evidence: all, notComparable };
}

interface ParsedChecksum {
  readonly algorithm: ChecksumAlgorithm;
  readonly value: string;
  /** Part count for composite checksums (`base64-N`; NaN if not shown), undefined for full-object ones. */
  readonly parts?: number;
}

function parseChecksums(state: ObjectState): ParsedChecksum[] {
  const parsed: ParsedChecksum[] = [];
  for (const algorithm of CHECKSUM_ALGORITHMS) {
    const value = state.checksums[algorithm];
    if (!value) continue;
    // A composite checksum is the checksum of the part checksums, suffixed with the part count;
    // CRC64NVME is always full-object.
    // https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html#ChecksumTypes
    const composite = /^(.+)-(\d+)$/.exec(value);
    const isComposite =
      algorithm !== "CRC64NVME" && (state.checksumType === "COMPOSITE" || composite !== null);
    // A composite checksum whose part count is not shown can match nothing: part count unknown.
    const parts = composite ? Number(composite[2]) : Number.NaN;
    parsed.push(isComposite ? { algorithm, value, parts } : { algorithm, value });
  }
  return parsed;
}

function compareChecksums(
  primary: ObjectState,
  replica: ObjectState,
  notComparable: string[],
): Evidence[] {
  const primaryChecksums = parseChecksums(primary);
  const replicaChecksums = parseChecksums(replica);
  if (primaryChecksums.length === 0 || replicaChecksums.length === 0) {
    notComparable.push(
      `checksum: ${describeSide("primary", primaryChecksums)}, ${describeSide("replica", replicaChecksums)}`,
    );
    return [];
  }
  const full: Evidence[] = [];
  const composite: Evidence[] = [];
  const reasonsBefore = notComparable.length;
  for (const ours of primaryChecksums) {
    const theirs = replicaChecksums.find((candidate) => candidate.algorithm === ours.algorithm);
    if (!theirs) continue;
    if (ours.parts === undefined && theirs.parts === undefined) {
      full.push(checksumEvidence("full-object-checksum", ours, theirs));
    } else if (ours.parts !== undefined && ours.parts === theirs.parts) {
      composite.push(checksumEvidence("composite-checksum", ours, theirs));
    } else {
      notComparable.push(
        `${ours.algorithm} checksum: ${shape(ours)} on the primary vs ${shape(theirs)} on the replica`,
      );
    }
  }
  if (full.length === 0 && composite.length === 0 && notComparable.length === reasonsBefore) {
    notComparable.push(
      `checksum: no common algorithm (${describeSide("primary", primaryChecksums)}, ${describeSide("replica", replicaChecksums)})`,
    );
  }
  return [...full, ...composite];
}

function checksumEvidence(
  kind: "full-object-checksum" | "composite-checksum",
  ours: ParsedChecksum,
  theirs: ParsedChecksum,
): Evidence {
  return {
    kind,
    algorithm: ours.algorithm,
    primary: ours.value,
    replica: theirs.value,
    agrees: ours.value === theirs.value,
  };
}

function shape(checksum: ParsedChecksum): string {
  if (checksum.parts === undefined) return "full-object";
  return Number.isNaN(checksum.parts)
    ? "composite (part count not shown)"
    : `composite of ${checksum.parts} parts`;
}

function describeSide(side: string, checksums: ParsedChecksum[]): string {
  if (checksums.length === 0) return `${side} has none`;
  return `${side} has ${checksums.map((c) => `${c.algorithm} (${shape(c)})`).join(", ")}`;
}

/** ETag without quotes (or a weak-validator prefix), lower-cased. */
export function normaliseEtag(etag: string): string {
  return etag
    .trim()
    .replace(/^W\//, "")
    .replace(/^"(.*)"$/, "$1")
    .toLowerCase();
}

export interface EtagShape {
  readonly digest: string;
  /** Number of parts for a multipart ETag, undefined for a single-part one. */
  readonly parts?: number;
}

/** Parses an MD5-style ETag (`hex32` or `hex32-N`); undefined when it is not one. */
export function parseMd5Etag(etag: string): EtagShape | undefined {
  const match = /^([0-9a-f]{32})(?:-(\d+))?$/.exec(normaliseEtag(etag));
  if (!match?.[1]) return undefined;
  return match[2] === undefined
    ? { digest: match[1] }
    : { digest: match[1], parts: Number(match[2]) };
}

/**
 * ETags of SSE-KMS (incl. DSSE) and SSE-C objects are not MD5 digests of the data, even when
 * they look like one, so they prove nothing either way.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_Object.html (ETag)
 */
function etagIsContentDigest(state: ObjectState): boolean {
  const sse = state.serverSideEncryption?.toLowerCase();
  return !(sse?.startsWith("aws:kms") || state.sseCustomerAlgorithm);
}

function compareEtags(
  primary: ObjectState,
  replica: ObjectState,
  notComparable: string[],
): Evidence[] {
  if (!primary.etag || !replica.etag) {
    notComparable.push("ETag: missing on one side");
    return [];
  }
  for (const side of [primary, replica]) {
    if (!etagIsContentDigest(side)) {
      const encryption = side.sseCustomerAlgorithm ? "SSE-C" : side.serverSideEncryption;
      notComparable.push(
        `ETag: ${side === primary ? "primary" : "replica"} is encrypted with ${encryption}, so its ETag is not an MD5 of the content`,
      );
      return [];
    }
  }
  // An unencrypted source replicated into a bucket with default encryption gets a different
  // ETag, so ETags only count as evidence when both sides are stored the same way.
  // https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-what-is-isnot-replicated.html
  if ((primary.serverSideEncryption ?? "none") !== (replica.serverSideEncryption ?? "none")) {
    notComparable.push(
      `ETag: stored with different encryption (primary ${primary.serverSideEncryption ?? "none"}, replica ${replica.serverSideEncryption ?? "none"}), so the ETags may differ for equal content`,
    );
    return [];
  }
  const ours = parseMd5Etag(primary.etag);
  const theirs = parseMd5Etag(replica.etag);
  if (!ours || !theirs) {
    notComparable.push("ETag: not MD5-style on both sides");
    return [];
  }
  if (ours.parts !== theirs.parts) {
    notComparable.push(
      `ETag: ${etagShapeName(ours)} on the primary vs ${etagShapeName(theirs)} on the replica (different upload layouts never have equal ETags)`,
    );
    return [];
  }
  return [
    {
      kind: "etag",
      algorithm: "MD5",
      primary: normaliseEtag(primary.etag),
      replica: normaliseEtag(replica.etag),
      agrees: ours.digest === theirs.digest,
    },
  ];
}

function etagShapeName(shape: EtagShape): string {
  return shape.parts === undefined ? "single-part" : `multipart with ${shape.parts} parts`;
}
