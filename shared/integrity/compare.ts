import type { ChecksumAlgorithm, ObjectState } from "../s3/object-state.ts";
import { CHECKSUM_ALGORITHMS } from "../s3/object-state.ts";
import type { ComparisonVerdict } from "../verdicts.ts";

/** Whose bytes a computed value was read from; absent for values S3 recorded. */
export type BytesRead = "primary" | "replica" | "both";

/** One piece of evidence both sides were compared on. */
export interface Evidence {
  /** size; checksum over the whole object; composite checksum (per part); MD5-style ETag. */
  readonly kind: "size" | "full-object-checksum" | "composite-checksum" | "etag";
  readonly algorithm?: ChecksumAlgorithm;
  /** Part count of a composite checksum or a multipart ETag; absent for whole-object values. */
  readonly parts?: number;
  readonly primary: string;
  readonly replica: string;
  readonly agrees: boolean;
  /**
   * Set when a value was computed by reading bytes (deep verification) rather than recorded by
   * S3: "primary" means the replica's recorded value was reproduced from the primary's bytes
   * (`primary` holds the computed value), "replica" the reverse, "both" that both values were
   * computed, each from its own side's bytes.
   */
  readonly computedFrom?: BytesRead;
}

/**
 * What a piece of evidence is, in words: `SHA256 checksum (full object)`, `ETag (multipart, 3
 * parts)`, and for a deep verification which record was reproduced from whose bytes.
 */
export function evidenceName(
  item: Pick<Evidence, "kind" | "algorithm" | "parts" | "computedFrom">,
): string {
  const what = valueName(item);
  switch (item.computedFrom) {
    case "primary":
      return `replica's ${what} reproduced from the primary's bytes`;
    case "replica":
      return `primary's ${what} reproduced from the replica's bytes`;
    case "both":
      return `${what} of both sides' bytes`;
    default:
      return what;
  }
}

function valueName(item: Pick<Evidence, "kind" | "algorithm" | "parts">): string {
  switch (item.kind) {
    case "size":
      return "size";
    case "etag":
      return item.parts === undefined ? "ETag (MD5)" : `ETag (multipart, ${item.parts} parts)`;
    case "composite-checksum":
      return `${item.algorithm} checksum (composite of ${item.parts ?? "?"} parts)`;
    default:
      return `${item.algorithm} checksum (full object)`;
  }
}

/** `SHA256 checksum (full object): primary x, replica y -> DIFFER`. */
export function describeEvidence(item: Evidence): string {
  return `${evidenceName(item)}: ${describeValues(item)} -> ${item.agrees ? "agree" : "DIFFER"}`;
}

/** `primary x, replica y`, or for a value computed from bytes `computed x, replica records y`. */
export function describeValues(item: Evidence): string {
  switch (item.computedFrom) {
    case "primary":
      return `computed ${item.primary}, replica records ${item.replica}`;
    case "replica":
      return `computed ${item.replica}, primary records ${item.primary}`;
    default:
      return `primary ${item.primary}, replica ${item.replica}`;
  }
}

/**
 * Strength of a piece of evidence, higher is stronger: checksums by algorithm (SHA-512, SHA-256,
 * SHA-1, MD5, then CRC64NVME and the xxHash family, CRC32C, CRC32), a full-object value before a
 * composite one of the same algorithm, then the MD5 ETag, then the size.
 */
export function evidenceStrength(item: Pick<Evidence, "kind" | "algorithm">): number {
  if (item.kind === "size") return 0;
  if (item.kind === "etag") return 1;
  const rank = CHECKSUM_ALGORITHMS.length - CHECKSUM_ALGORITHMS.indexOf(item.algorithm ?? "CRC32");
  return 2 * rank + (item.kind === "full-object-checksum" ? 1 : 0);
}

export function strongestFirst<T extends Pick<Evidence, "kind" | "algorithm">>(
  items: readonly T[],
): T[] {
  return [...items].sort((a, b) => evidenceStrength(b) - evidenceStrength(a));
}

export interface Comparison {
  readonly verdict: ComparisonVerdict;
  /** The evidence the verdict rests on: the strongest disagreeing one, or the strongest agreeing one. */
  readonly basis?: Evidence;
  /** Everything that counted, strongest first (size always included). */
  readonly evidence: readonly Evidence[];
  /** Why other values could not be used; empty when nothing was skipped. */
  readonly notComparable: readonly string[];
  /**
   * For UNVERIFIABLE, what would settle it: "part-layouts" when a multipart ETag or composite
   * checksum differs between sides whose part layouts are not known yet (one HEAD per part
   * tells whether that difference is evidence), "deep-read" when only the bytes can.
   */
  readonly settleBy?: "part-layouts" | "deep-read";
}

export interface CompareOptions {
  /**
   * True once both sides' part layouts were asked for (`ObjectReader.partSizes`): a side still
   * without `partSizes` then has a layout that could not be established, not one to fetch.
   */
  readonly partLayoutsRead?: boolean;
}

/**
 * Decides whether a replica equals its source from what S3 recorded (HeadObject), and, when
 * known, both sides' part layouts. Pure: the Lambda, `npm run verify` and an audit drive it
 * alike, fetching part layouts or reading bytes when the result asks for them (`settleBy`).
 *
 * The rules:
 * - Sizes that differ: MISMATCH.
 * - A full-object checksum of the same algorithm on both sides does not depend on how the object
 *   was uploaded: agreeing, it proves equality; disagreeing, a difference. The same holds for
 *   single-part ETags of plaintext or SSE-S3 objects, which are MD5 digests of the data.
 * - A multipart ETag (MD5 of the parts' MD5s, then `-N`) and a composite checksum (`value-N`)
 *   depend on every part boundary: identical bytes uploaded as 5+5+1 MiB and as 5.5+5+0.5 MiB
 *   have different `-3` ETags. A disagreeing one is evidence only once both sides' part layouts
 *   are shown equal; with other layouts it is no evidence, and the result says so. An agreeing
 *   one counts as it is: equal digests of the parts' digests mean the parts themselves, and so
 *   their boundaries, are equal (barring a collision of the algorithm, the same chance as for
 *   a full-object value).
 * - ETags of SSE-KMS, DSSE-KMS and SSE-C objects are not digests of the data: never evidence.
 * - Any evidence that counts and disagrees is a MISMATCH, even if stronger evidence agrees: the
 *   records contradict each other and someone should look. Otherwise the strongest agreeing
 *   evidence is a MATCH; with nothing that counts, UNVERIFIABLE, never a silent pass.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_Object.html (ETag)
 */
export function compareObjects(
  primary: ObjectState,
  replica: ObjectState,
  options: CompareOptions = {},
): Comparison {
  const size: Evidence = {
    kind: "size",
    primary: String(primary.size),
    replica: String(replica.size),
    agrees: primary.size === replica.size,
  };
  if (!size.agrees) {
    return { verdict: "MISMATCH", basis: size, evidence: [size], notComparable: [] };
  }

  const found: Found = { counted: [], layoutFree: [], awaitingLayouts: [], notComparable: [] };
  const layouts = layoutRelation(primary, replica, options);
  compareChecksums(primary, replica, layouts, found);
  compareEtags(primary, replica, layouts, found);
  const evidence = strongestFirst(found.counted);
  const all = [...evidence, size];
  const disagreeing = evidence.find((item) => !item.agrees);
  if (disagreeing) {
    return {
      verdict: "MISMATCH",
      basis: disagreeing,
      evidence: all,
      notComparable: found.notComparable,
    };
  }
  const layoutFreeAgreement = found.layoutFree.some((item) => item.agrees);
  if (found.awaitingLayouts.length > 0 && !layoutFreeAgreement) {
    return {
      verdict: "UNVERIFIABLE",
      evidence: all,
      notComparable: [...found.notComparable, ...found.awaitingLayouts],
      settleBy: "part-layouts",
    };
  }
  const [strongest] = evidence;
  const notComparable = [...found.notComparable, ...found.awaitingLayouts];
  if (strongest) return { verdict: "MATCH", basis: strongest, evidence: all, notComparable };
  return { verdict: "UNVERIFIABLE", evidence: all, notComparable, settleBy: "deep-read" };
}

/** What the comparison found, sorted by how it may be used. */
interface Found {
  /** Evidence that counts, for or against. */
  readonly counted: Evidence[];
  /** The part of `counted` that does not depend on part layouts. */
  readonly layoutFree: Evidence[];
  /** Layout-dependent values that differ while the layouts are not known: reasons. */
  readonly awaitingLayouts: string[];
  readonly notComparable: string[];
}

/** Whether the two sides' part layouts are equal, differ, or are not known (yet). */
type LayoutRelation =
  | { readonly kind: "equal" }
  | { readonly kind: "different"; readonly detail: string }
  /** `asked`: the layouts were asked for and could not be established. */
  | { readonly kind: "unknown"; readonly asked: boolean };

function layoutRelation(
  primary: ObjectState,
  replica: ObjectState,
  options: CompareOptions,
): LayoutRelation {
  const ours = primary.partSizes;
  const theirs = replica.partSizes;
  if (!ours || !theirs) {
    return { kind: "unknown", asked: options.partLayoutsRead === true };
  }
  if (ours.length !== theirs.length) {
    return {
      kind: "different",
      detail: `${partsWord(ours.length)} on the primary, ${partsWord(theirs.length)} on the replica`,
    };
  }
  const index = ours.findIndex((size, i) => size !== theirs[i]);
  if (index === -1) return { kind: "equal" };
  return {
    kind: "different",
    detail: `part ${index + 1} is ${ours[index]} bytes on the primary, ${theirs[index]} on the replica`,
  };
}

function partsWord(count: number): string {
  return count === 1 ? "1 part" : `${count} parts`;
}

/**
 * A layout-dependent value (multipart ETag, composite checksum) of the same part count on both
 * sides: agreeing, it counts; disagreeing, it counts only between layouts shown equal.
 */
function weighLayoutDependent(
  item: Evidence,
  label: string,
  layouts: LayoutRelation,
  found: Found,
): void {
  if (item.agrees || layouts.kind === "equal") {
    found.counted.push(item);
    return;
  }
  if (layouts.kind === "different") {
    found.notComparable.push(
      `${label}: values differ, but so do the part layouts (${layouts.detail}), so they would differ for equal content`,
    );
    return;
  }
  if (layouts.asked) {
    found.notComparable.push(
      `${label}: values differ, but the part layouts could not be established, so this proves nothing`,
    );
  } else {
    found.awaitingLayouts.push(
      `${label}: values differ; that counts only if both sides have the same part layout (not read yet)`,
    );
  }
}

interface RecordedChecksum {
  readonly algorithm: ChecksumAlgorithm;
  /** As S3 shows it. */
  readonly value: string;
  /** The value without its `-N` suffix. */
  readonly digest: string;
  readonly type: "full" | "composite" | "unknown";
  /** Part count of a composite value: from its `-N`, else from the multipart ETag. */
  readonly parts?: number;
}

/**
 * Every additional checksum an object carries, with its type: `ChecksumType` when S3 gives it;
 * else a `-N` suffix means composite; CRC64NVME is always full-object; on an object uploaded in
 * one request any checksum is full-object. A multipart object that shows neither is of unknown
 * type (older objects, some emulators) and is compared on nothing.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html#ChecksumTypes
 */
export function recordedChecksums(state: ObjectState): RecordedChecksum[] {
  const recorded: RecordedChecksum[] = [];
  const etagParts = state.etag ? parseMd5Etag(state.etag)?.parts : undefined;
  const multipart = etagParts !== undefined || (state.partSizes?.length ?? 1) > 1;
  for (const algorithm of CHECKSUM_ALGORITHMS) {
    const value = state.checksums[algorithm];
    if (!value) continue;
    // Base64 has no "-", so a trailing "-N" is always the part count.
    const suffix = /^(.+)-(\d+)$/.exec(value);
    const digest = suffix?.[1] ?? value;
    if (algorithm === "CRC64NVME" || state.checksumType === "FULL_OBJECT") {
      recorded.push({ algorithm, value, digest: value, type: "full" });
    } else if (suffix || state.checksumType === "COMPOSITE") {
      const parts = suffix ? Number(suffix[2]) : (etagParts ?? state.partSizes?.length);
      recorded.push({ algorithm, value, digest, type: "composite", parts });
    } else {
      recorded.push({ algorithm, value, digest, type: multipart ? "unknown" : "full" });
    }
  }
  return recorded;
}

function compareChecksums(
  primary: ObjectState,
  replica: ObjectState,
  layouts: LayoutRelation,
  found: Found,
): void {
  const ours = recordedChecksums(primary);
  const theirs = recordedChecksums(replica);
  if (ours.length === 0 || theirs.length === 0) {
    found.notComparable.push(
      `checksum: ${describeSide("primary", ours)}, ${describeSide("replica", theirs)}`,
    );
    return;
  }
  let common = 0;
  for (const mine of ours) {
    const other = theirs.find((candidate) => candidate.algorithm === mine.algorithm);
    if (!other) continue;
    common += 1;
    const label = `${mine.algorithm} checksum`;
    if (mine.type === "unknown" || other.type === "unknown") {
      found.notComparable.push(
        `${label}: ${shape(mine)} on the primary vs ${shape(other)} on the replica (S3 did not say whether a multipart object's checksum is full-object or composite)`,
      );
    } else if (mine.type === "full" && other.type === "full") {
      const item: Evidence = {
        kind: "full-object-checksum",
        algorithm: mine.algorithm,
        primary: mine.value,
        replica: other.value,
        agrees: mine.value === other.value,
      };
      found.counted.push(item);
      found.layoutFree.push(item);
    } else if (mine.type !== other.type) {
      found.notComparable.push(
        `${label}: ${shape(mine)} on the primary vs ${shape(other)} on the replica`,
      );
    } else if (
      mine.parts !== undefined &&
      other.parts !== undefined &&
      mine.parts !== other.parts
    ) {
      found.notComparable.push(
        `${label}: ${shape(mine)} on the primary vs ${shape(other)} on the replica (different part layouts)`,
      );
    } else {
      const parts = mine.parts ?? other.parts;
      weighLayoutDependent(
        {
          kind: "composite-checksum",
          algorithm: mine.algorithm,
          ...(parts === undefined ? {} : { parts }),
          primary: mine.value,
          replica: other.value,
          agrees: mine.digest === other.digest,
        },
        `${label} (${shape(mine)})`,
        layouts,
        found,
      );
    }
  }
  if (common === 0) {
    found.notComparable.push(
      `checksum: no common algorithm (${describeSide("primary", ours)}, ${describeSide("replica", theirs)})`,
    );
  }
}

function shape(checksum: RecordedChecksum): string {
  if (checksum.type === "full") return "full-object";
  if (checksum.type === "unknown") return "type not shown";
  return checksum.parts === undefined
    ? "composite (part count not shown)"
    : `composite of ${partsWord(checksum.parts)}`;
}

function describeSide(side: string, checksums: readonly RecordedChecksum[]): string {
  if (checksums.length === 0) return `${side} has none`;
  return `${side} has ${checksums.map((c) => `${c.algorithm} (${shape(c)})`).join(", ")}`;
}

/** ETag without quotes (or a weak-validator prefix), lower-cased. */
export function normaliseEtag(etag: string): string {
  // Without regular expressions: an audit normalises every listed object's ETag.
  let value = etag.trim();
  if (value.startsWith("W/")) value = value.slice(2);
  if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) {
    value = value.slice(1, -1);
  }
  return value.toLowerCase();
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
 * Why an object's ETag is not a digest of its data, or undefined when it is one: ETags of
 * SSE-KMS (incl. DSSE) and SSE-C objects are not MD5 digests, even when they look like one.
 * Plaintext and SSE-S3 objects' ETags are (MD5 of the data, or of the parts' MD5s).
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_Object.html (ETag)
 */
export function etagNotContentDigest(state: ObjectState): string | undefined {
  if (state.sseCustomerAlgorithm) return "SSE-C";
  const sse = state.serverSideEncryption;
  return sse?.toLowerCase().startsWith("aws:kms") ? sse : undefined;
}

/** The ETag as a digest of the object's data, or undefined with the reason it is not one. */
export function contentEtag(
  state: ObjectState,
): { readonly etag: EtagShape } | { readonly reason: string } {
  if (!state.etag) return { reason: "has no ETag" };
  const encryption = etagNotContentDigest(state);
  if (encryption) {
    return { reason: `is encrypted with ${encryption}, so its ETag is not an MD5 of the content` };
  }
  const etag = parseMd5Etag(state.etag);
  return etag ? { etag } : { reason: "has an ETag that is not MD5-style" };
}

function compareEtags(
  primary: ObjectState,
  replica: ObjectState,
  layouts: LayoutRelation,
  found: Found,
): void {
  const ours = contentEtag(primary);
  const theirs = contentEtag(replica);
  if ("reason" in ours || "reason" in theirs) {
    const reasons = [
      "reason" in ours ? `primary ${ours.reason}` : undefined,
      "reason" in theirs ? `replica ${theirs.reason}` : undefined,
    ];
    found.notComparable.push(`ETag: ${reasons.filter(Boolean).join("; ")}`);
    return;
  }
  if (ours.etag.parts !== theirs.etag.parts) {
    found.notComparable.push(
      `ETag: ${etagShapeName(ours.etag)} on the primary vs ${etagShapeName(theirs.etag)} on the replica (different upload layouts never have equal ETags)`,
    );
    return;
  }
  const item: Evidence = {
    kind: "etag",
    algorithm: "MD5",
    ...(ours.etag.parts === undefined ? {} : { parts: ours.etag.parts }),
    primary: normaliseEtag(primary.etag ?? ""),
    replica: normaliseEtag(replica.etag ?? ""),
    agrees: ours.etag.digest === theirs.etag.digest,
  };
  if (ours.etag.parts === undefined) {
    found.counted.push(item);
    found.layoutFree.push(item);
  } else {
    weighLayoutDependent(item, `ETag (multipart, ${ours.etag.parts} parts)`, layouts, found);
  }
}

function etagShapeName(shape: EtagShape): string {
  return shape.parts === undefined ? "single-part" : `multipart with ${shape.parts} parts`;
}
