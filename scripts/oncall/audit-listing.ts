/**
 * The audit's listings: both buckets streamed in key order, page by page, and joined by key, so
 * that memory holds the pages in flight, never the bucket. The keyspace is cut into ranges
 * listed in parallel.
 *
 * How the keyspace is cut: by common prefixes ("folders"). One ListObjectsV2 with
 * `Delimiter: "/"` on each side (its first page only) names the folders under the audited
 * prefix; where there are fewer than the ranges wanted, each is listed once more the same way,
 * one level down. Each folder becomes a range listed with `Prefix` (exact: no request reads a
 * neighbour's keys), and the keys between folders (objects directly under the prefix) ranges
 * of their own, bounded by `StartAfter` and the next folder; where the first pages were
 * complete and showed no such key, those ranges are left out. Any such cut covers every key
 * exactly once; a folder seen on one side only costs balance, never correctness. A bucket
 * without "/" in its keys is listed as one range.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-prefixes.html
 */
import {
  ListObjectsV2Command,
  type ListObjectsV2CommandOutput,
  ListObjectVersionsCommand,
  type ListObjectVersionsCommandOutput,
  type S3Client,
} from "@aws-sdk/client-s3";
import type { ListedObject } from "../../shared/integrity/listing.ts";
import { EnvironmentError } from "./errors.ts";

/**
 * S3 lists keys in UTF-8 binary order. JavaScript compares strings by UTF-16 code units, which
 * differs only where a character above U+FFFF (a surrogate pair) meets one in U+E000..U+FFFF:
 * this moves the surrogates above them, giving code point order, which is UTF-8 byte order.
 */
export function compareKeys(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let index = 0; index < length; index += 1) {
    const left = a.charCodeAt(index);
    const right = b.charCodeAt(index);
    if (left !== right) return codePointRank(left) - codePointRank(right);
  }
  return a.length - b.length;
}

function codePointRank(unit: number): number {
  if (unit < 0xd800) return unit;
  return unit >= 0xe000 ? unit - 0x800 : unit + 0x2000;
}

/**
 * The keys k of one range: starting with `prefix`, and after < k < before where those are set.
 */
export interface KeyRange {
  readonly prefix: string;
  readonly after?: string;
  readonly before?: string;
}

/** Where one side's objects are. */
export interface BucketLocation {
  readonly client: S3Client;
  readonly bucket: string;
  /** Only keys starting with it ("" for all). */
  readonly prefix: string;
}

/** Runs one S3 request under the audit's request limit (see request-gate.ts). */
export type Gate = <T>(request: () => Promise<T>) => Promise<T>;

/**
 * Above every key that starts with `prefix`: the prefix followed by the highest code point,
 * U+10FFFF (a noncharacter no key needs), for a range that starts after a folder's keys.
 */
function afterAllUnder(prefix: string): string {
  return `${prefix}\u{10FFFF}`;
}

/**
 * Ranges covering every key under the sides' prefix, in key order (see the top of this file),
 * from `startAfter` on.
 */
export async function splitKeyspace(
  sides: readonly BucketLocation[],
  options: { readonly startAfter?: string; readonly wanted: number; readonly gate: Gate },
): Promise<KeyRange[]> {
  const folders = async (prefix: string) => {
    const pages = await Promise.all(
      sides.map((side) =>
        options.gate(() =>
          side.client.send(
            new ListObjectsV2Command({ Bucket: side.bucket, Prefix: prefix, Delimiter: "/" }),
          ),
        ),
      ),
    );
    const children = unique(
      pages.flatMap((page) =>
        (page.CommonPrefixes ?? []).flatMap((common) => (common.Prefix ? [common.Prefix] : [])),
      ),
    );
    // Only complete first pages show every key directly under the prefix.
    const complete = pages.every((page) => !page.IsTruncated);
    const direct = complete
      ? pages.flatMap((page) => (page.Contents ?? []).flatMap((entry) => entry.Key ?? []))
      : undefined;
    return { children, direct };
  };
  const under = async (prefix: string, levels: number): Promise<KeyRange[]> => {
    const { children, direct } = await folders(prefix);
    if (children.length === 0) return [{ prefix }];
    const ranges: KeyRange[] = [];
    const between = (after: string | undefined, before: string | undefined) => {
      const holds = (key: string) =>
        (after === undefined || compareKeys(key, after) > 0) &&
        (before === undefined || compareKeys(key, before) < 0);
      if (direct === undefined || direct.some(holds)) {
        ranges.push({
          prefix,
          ...(after === undefined ? {} : { after }),
          ...(before === undefined ? {} : { before }),
        });
      }
    };
    const deeper = levels > 0 && children.length < options.wanted;
    let after: string | undefined;
    for (const child of children) {
      between(after, child);
      if (deeper) ranges.push(...(await under(child, levels - 1)));
      else ranges.push({ prefix: child });
      after = afterAllUnder(child);
    }
    between(after, undefined);
    return ranges;
  };
  const ranges = await under(sides[0]?.prefix ?? "", 1);
  return from(ranges, options.startAfter);
}

/** The ranges' keys after `startAfter`: ranges wholly before it dropped, the one it cuts cut. */
function from(ranges: readonly KeyRange[], startAfter: string | undefined): KeyRange[] {
  if (startAfter === undefined) return [...ranges];
  return ranges.flatMap((range) => {
    const end = range.before ?? afterAllUnder(range.prefix);
    if (compareKeys(end, startAfter) <= 0) return [];
    // Every key of the range is at least its prefix, and after `after`.
    const start = range.after ?? range.prefix;
    if (compareKeys(start, startAfter) > 0) return [range];
    return [{ ...range, after: startAfter }];
  });
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)].sort(compareKeys);
}

/** The listing returned keys out of S3's order: a merge join over it would be wrong. */
export class ListingOrderError extends EnvironmentError {}

function orderChecked(bucket: string): (key: string) => void {
  let previous: string | undefined;
  return (key) => {
    if (previous !== undefined && compareKeys(previous, key) >= 0) {
      throw new ListingOrderError(
        `s3://${bucket} listed ${JSON.stringify(key)} after ${JSON.stringify(previous)}: S3 lists keys in UTF-8 binary order, and an audit joins both listings on it. This store lists in another order (some emulators sort by locale), so it cannot be audited by listing.`,
      );
    }
    previous = key;
  };
}

/** Told how many entries of the range a listing has read. */
export type ListingCounter = (count: number) => void;

/**
 * Current objects of one range, in key order, one page fetched ahead of the one being read:
 * ListObjectsV2 pages of 1,000 from `StartAfter`, stopping at the range's end.
 */
export async function* listCurrent(
  side: BucketLocation,
  range: KeyRange,
  gate: Gate,
  counted: ListingCounter,
  signal?: AbortSignal,
): AsyncGenerator<ListedObject> {
  const checkOrder = orderChecked(side.bucket);
  const request = (token: string | undefined) =>
    gate(() =>
      side.client.send(
        new ListObjectsV2Command({
          Bucket: side.bucket,
          Prefix: range.prefix || undefined,
          ...(token
            ? { ContinuationToken: token }
            : range.after
              ? { StartAfter: range.after }
              : {}),
        }),
        { abortSignal: signal },
      ),
    );
  let next: Promise<ListObjectsV2CommandOutput> | undefined = request(undefined);
  while (next) {
    const page: ListObjectsV2CommandOutput = await next;
    const contents = page.Contents ?? [];
    const token = page.IsTruncated ? page.NextContinuationToken : undefined;
    // The next page is asked for while this one is read, unless this one already passes the
    // range's end (no request wasted on the neighbour's keys).
    next = token && !passes(contents.at(-1)?.Key, range) ? request(token) : undefined;
    // Not awaited if the consumer stops early: keep its failure from going unhandled.
    next?.catch(() => undefined);
    for (const entry of contents) {
      if (entry.Key === undefined) continue;
      if (passes(entry.Key, range)) return;
      checkOrder(entry.Key);
      counted(1);
      yield {
        key: entry.Key,
        size: entry.Size ?? 0,
        ...(entry.ETag ? { etag: entry.ETag } : {}),
        ...(entry.LastModified ? { lastModified: entry.LastModified.getTime() } : {}),
      };
    }
  }
}

/** Whether a key lies beyond the range's end. */
function passes(key: string | undefined, range: KeyRange): boolean {
  return key !== undefined && range.before !== undefined && compareKeys(key, range.before) >= 0;
}

/** Every version and delete marker of one key, newest first as S3 lists them. */
export interface KeyVersions {
  readonly key: string;
  readonly versions: readonly (ListedObject & { readonly isLatest: boolean })[];
  readonly deleteMarkers: readonly { readonly versionId: string; readonly isLatest: boolean }[];
}

/**
 * All versions of one range, grouped by key, in key order: ListObjectVersions pages from
 * `KeyMarker`, one fetched ahead. A key's versions may span pages; its group is given once the
 * next key (or the end) is seen.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectVersions.html
 */
export async function* listVersions(
  side: BucketLocation,
  range: KeyRange,
  gate: Gate,
  counted: ListingCounter,
  signal?: AbortSignal,
): AsyncGenerator<KeyVersions> {
  const checkOrder = orderChecked(side.bucket);
  const request = (marker: { key?: string; versionId?: string } | undefined) =>
    gate(() =>
      side.client.send(
        new ListObjectVersionsCommand({
          Bucket: side.bucket,
          Prefix: range.prefix || undefined,
          ...(marker
            ? { KeyMarker: marker.key, VersionIdMarker: marker.versionId }
            : range.after
              ? { KeyMarker: range.after }
              : {}),
        }),
        { abortSignal: signal },
      ),
    );
  let group:
    | {
        key: string;
        versions: KeyVersions["versions"][number][];
        deleteMarkers: KeyVersions["deleteMarkers"][number][];
      }
    | undefined;
  let next: Promise<ListObjectVersionsCommandOutput> | undefined = request(undefined);
  while (next) {
    const page: ListObjectVersionsCommandOutput = await next;
    next =
      page.IsTruncated && !passes(page.NextKeyMarker, range)
        ? request({ key: page.NextKeyMarker, versionId: page.NextVersionIdMarker })
        : undefined;
    next?.catch(() => undefined);
    const entries = [
      ...(page.Versions ?? []).map((version) => ({ kind: "version" as const, version })),
      ...(page.DeleteMarkers ?? []).map((marker) => ({ kind: "marker" as const, marker })),
    ]
      .map((entry) => ({
        ...entry,
        key: entry.kind === "version" ? entry.version.Key : entry.marker.Key,
      }))
      .filter((entry): entry is typeof entry & { key: string } => entry.key !== undefined)
      // Versions and delete markers come in two lists; each is in key order.
      .sort((a, b) => compareKeys(a.key, b.key));
    for (const entry of entries) {
      if (passes(entry.key, range)) {
        if (group) yield group;
        return;
      }
      counted(1);
      if (group?.key !== entry.key) {
        if (group) yield group;
        checkOrder(entry.key);
        group = { key: entry.key, versions: [], deleteMarkers: [] };
      }
      if (entry.kind === "version") {
        const version = entry.version;
        group.versions.push({
          key: entry.key,
          size: version.Size ?? 0,
          isLatest: version.IsLatest === true,
          ...(version.VersionId ? { versionId: version.VersionId } : {}),
          ...(version.ETag ? { etag: version.ETag } : {}),
          ...(version.LastModified ? { lastModified: version.LastModified.getTime() } : {}),
        });
      } else {
        group.deleteMarkers.push({
          versionId: entry.marker.VersionId ?? "null",
          isLatest: entry.marker.IsLatest === true,
        });
      }
    }
  }
  if (group) yield group;
}

/** One key of the join: on the primary, on the replica, or both. */
export interface Joined<T> {
  readonly key: string;
  readonly primary?: T;
  readonly replica?: T;
}

/** Joins two key-ordered streams by key (a merge join: one entry of each held at a time). */
export async function* joinByKey<T extends { readonly key: string }>(
  primary: AsyncIterable<T>,
  replica: AsyncIterable<T>,
): AsyncGenerator<Joined<T>> {
  const left = primary[Symbol.asyncIterator]();
  const right = replica[Symbol.asyncIterator]();
  // Both first pages at once.
  let [a, b] = await Promise.all([left.next(), right.next()]);
  try {
    while (!a.done || !b.done) {
      if (b.done || (!a.done && compareKeys(a.value.key, b.value.key) < 0)) {
        const value = a.value as T;
        yield { key: value.key, primary: value };
        a = await left.next();
      } else if (a.done || compareKeys(a.value.key, b.value.key) > 0) {
        yield { key: b.value.key, replica: b.value };
        b = await right.next();
      } else {
        yield { key: a.value.key, primary: a.value, replica: b.value };
        [a, b] = await Promise.all([left.next(), right.next()]);
      }
    }
  } finally {
    await Promise.all([left.return?.(), right.return?.()]);
  }
}
