/**
 * One audit of one bucket pair (or a prefix of it): both listings joined by key, range by range
 * in parallel; what a listing proves decided from it (shared/integrity/listing.ts); everything
 * else audited by auditObject, the engine every audit path shares. Findings are handed to the
 * caller as they come, so nothing grows with the bucket: memory holds the pages in flight, the
 * objects being audited, and per range the keys between the oldest unfinished one and the
 * newest (bounded by back-pressure).
 */
import type { S3Client } from "@aws-sdk/client-s3";
import {
  type AuditResult,
  type AuditTarget,
  auditObject,
} from "../../shared/audit/audit-object.ts";
import type { BucketPair } from "../../shared/contracts/bucket-pairs.ts";
import { buildCheckMessage, checkMessageAttributes } from "../../shared/contracts/check-message.ts";
import { describeError, isPermanent } from "../../shared/errors.ts";
import { asEventKey } from "../../shared/events/keys.ts";
import type { Comparison } from "../../shared/integrity/compare.ts";
import {
  decideFromListing,
  type ListedObject,
  type ListingEncryption,
  listingEtagsUnusable,
} from "../../shared/integrity/listing.ts";
import { compact } from "../../shared/objects.ts";
import type { MessageSender } from "../../shared/queues/message-sender.ts";
import { type ObjectReader, s3ObjectReader } from "../../shared/s3/object-state.ts";
import type { ValidationContext } from "../../shared/validator/validate-object.ts";
import type { AuditVerdict } from "../../shared/verdicts.ts";
import {
  type BucketLocation,
  type Gate,
  type Joined,
  joinByKey,
  type KeyRange,
  type KeyVersions,
  listCurrent,
  listVersions,
  splitKeyspace,
} from "./audit-listing.ts";
import { createRequestGate, type RequestGate, watchThrottles } from "./request-gate.ts";

/** The pair to audit and how to reach both sides. */
export interface AuditScope {
  readonly pair: BucketPair;
  /** Only keys starting with it ("" for the whole bucket); the same on both sides (CRR keeps keys). */
  readonly prefix: string;
  readonly primary: S3Client;
  readonly replica: S3Client;
  readonly primaryRegion?: string;
  readonly replicaRegion?: string;
  /**
   * Each bucket's default encryption, for reading listed ETags (listing.ts): read when the
   * audit starts, alongside the first listings.
   */
  readonly encryption: () => Promise<ListingEncryption>;
}

export interface AuditRunOptions {
  /** Every version (ListObjectVersions) instead of the current objects. */
  readonly allVersions: boolean;
  /** Only keys after this one (resume). */
  readonly startAfter?: string;
  /** S3 requests in flight at most (lowered on SlowDown). */
  readonly concurrency: number;
  /** The engine: readers, deadline, deep verification (validateObject's context). */
  readonly validation: Omit<ValidationContext, "primary" | "replica">;
  /** Instead of auditing here, send a check message per primary object to the validator. */
  readonly enqueue?: {
    readonly sender: MessageSender;
    /** Messages per second at most. */
    readonly ratePerSecond: number;
    readonly runId: string;
    readonly startedAt: string;
  };
  readonly signal?: AbortSignal;
  readonly sleep: (ms: number) => Promise<void>;
  /** Each object's finding, in no particular order. */
  readonly onFinding: (finding: AuditFinding) => void;
}

/** What became of one object (one version with --all-versions). */
export type AuditFinding =
  | {
      readonly kind: "verdict";
      readonly key: string;
      readonly versionId?: string;
      readonly verdict: AuditVerdict;
      /** listing: decided from both listings, no request made; head: audited by auditObject. */
      readonly decidedBy: "listing" | "head";
      readonly reason: string;
      /** The engine's result (head), with both sides and the evidence. */
      readonly result?: AuditResult;
      /** What the listing proved (listing). */
      readonly comparison?: Comparison;
      readonly listed?: { readonly primary?: ListedObject; readonly replica?: ListedObject };
    }
  | {
      readonly kind: "enqueued";
      readonly key: string;
      readonly versionId?: string;
    }
  | {
      /** Could not be audited: the request kept failing (throttling, 5xx, access denied). */
      readonly kind: "error";
      readonly key: string;
      readonly versionId?: string;
      readonly error: string;
    };

/** Counters the progress bar and the summary read while the audit runs. */
export interface AuditStats {
  readonly listed: { primary: number; replica: number };
  /** Objects with a finding (verdict, enqueued or error). */
  finished: number;
  fromListing: number;
  headed: number;
  enqueued: number;
  errors: number;
  readonly verdicts: Map<AuditVerdict, number>;
  /** Why the listing decided nothing for this pair, when it cannot. */
  listingUnusable?: string;
  ranges: number;
  readonly gate: Pick<RequestGate, "limit" | "lowest" | "throttles">;
}

export interface AuditRun {
  readonly stats: AuditStats;
  /** Resolves when every range is done, or after an interrupt once the work in flight is. */
  readonly done: Promise<AuditOutcome>;
}

export interface AuditOutcome {
  readonly completed: boolean;
  /**
   * The last key before which everything is finished, when not completed: what
   * `--start-after` resumes from (undefined when nothing is finished yet).
   */
  readonly resumeAfter?: string;
}

/** Attempts per object when S3 answers with a transient error; back-off doubles from 1 s. */
const OBJECT_ATTEMPTS = 4;
/** Keys a range may hold finished behind an unfinished one before its listing waits. */
const MAX_BEHIND = 2_000;

export function startAudit(scope: AuditScope, options: AuditRunOptions): AuditRun {
  const gate = createRequestGate(options.concurrency);
  watchThrottles(scope.primary, gate);
  watchThrottles(scope.replica, gate);
  const stats: AuditStats = {
    listed: { primary: 0, replica: 0 },
    finished: 0,
    fromListing: 0,
    headed: 0,
    enqueued: 0,
    errors: 0,
    verdicts: new Map(),
    ranges: 0,
    gate,
  };
  return { stats, done: runAudit(scope, options, gate, stats) };
}

async function runAudit(
  scope: AuditScope,
  options: AuditRunOptions,
  gate: RequestGate,
  stats: AuditStats,
): Promise<AuditOutcome> {
  const run: Gate = (request) => gate.run(request);
  // A listing page that still fails after the SDK's retries (a SlowDown storm) is asked for
  // again after a back-off, as an object's audit is: losing a range would stop the audit.
  const list: Gate = (request) => retried(() => gate.run(request), options);
  const primary: BucketLocation = {
    client: scope.primary,
    bucket: scope.pair.primaryBucket,
    prefix: scope.prefix,
  };
  const replica: BucketLocation = {
    client: scope.replica,
    bucket: scope.pair.replicaBucket,
    prefix: scope.prefix,
  };
  // One signal for the run: the caller's interrupt, or a range failing (the others stop too).
  const stop = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;
  const running: AuditRunOptions = { ...options, signal };
  const sides = options.enqueue ? [primary] : [primary, replica];
  const [ranges, encryption] = await Promise.all([
    splitKeyspace(sides, {
      ...(options.startAfter === undefined ? {} : { startAfter: options.startAfter }),
      wanted: Math.max(1, Math.ceil(options.concurrency / 2)),
      gate: list,
    }),
    scope.encryption(),
  ]);
  stats.ranges = ranges.length;
  const unusable = listingEtagsUnusable(encryption);
  if (unusable) stats.listingUnusable = unusable;
  const trackers = ranges.map((range) => new RangeTracker(range));
  signal.addEventListener("abort", () => {
    for (const tracker of trackers) tracker.abort();
  });
  const objects = new TaskPool(options.concurrency);
  const context: ValidationContext = {
    ...options.validation,
    primary: gatedReader(scope.primary, run),
    replica: gatedReader(scope.replica, run),
  };
  const auditor = new ObjectAuditor(scope, encryption, running, context, stats, objects);
  const rate = options.enqueue
    ? new RateLimiter(options.enqueue.ratePerSecond, options.sleep)
    : undefined;

  // Ranges in parallel, in key order: half the requests for listings (two sides each).
  const rangeSlots = new TaskPool(Math.max(1, Math.ceil(options.concurrency / 2)));
  let failure: unknown;
  for (const [index, range] of ranges.entries()) {
    if (signal.aborted) break;
    const tracker = trackers[index] as RangeTracker;
    await rangeSlots.add(async () => {
      try {
        if (rate) await enqueueRange(primary, range, list, stats, tracker, running, rate);
        else await auditRange(primary, replica, range, list, stats, tracker, auditor, running);
        await tracker.settled();
        if (!signal.aborted) tracker.complete = true;
      } catch (error) {
        if (!signal.aborted) {
          failure = error;
          stop.abort(error);
        }
      }
    });
  }
  await rangeSlots.drain();
  await objects.drain();
  if (failure !== undefined) throw failure;
  const completed = trackers.every((tracker) => tracker.complete);
  if (completed) return { completed };
  return compact({ completed, resumeAfter: resumePoint(trackers, options.startAfter) });
}

/**
 * Runs a request again after a transient failure (throttling, 5xx, a dropped connection), up
 * to OBJECT_ATTEMPTS times with a back-off doubling from 1 s; what retrying cannot change (a
 * 400), or an interrupt, is thrown at once.
 */
async function retried<T>(
  request: () => Promise<T>,
  options: Pick<AuditRunOptions, "sleep" | "signal">,
): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await request();
    } catch (error) {
      if (options.signal?.aborted || attempt >= OBJECT_ATTEMPTS || isPermanent(error)) throw error;
      await options.sleep(1000 * 2 ** (attempt - 1));
    }
  }
}

/**
 * The last key before which every range is finished: where a resumed audit starts. Ranges are
 * in key order, so it is the last key of the complete ranges before the first incomplete one,
 * or the last key finished in order in that one.
 */
function resumePoint(trackers: readonly RangeTracker[], startAfter?: string): string | undefined {
  let point = startAfter;
  for (const tracker of trackers) {
    point = tracker.contiguous ?? point;
    if (!tracker.complete) return point;
  }
  return point;
}

async function auditRange(
  primary: BucketLocation,
  replica: BucketLocation,
  range: KeyRange,
  gate: Gate,
  stats: AuditStats,
  tracker: RangeTracker,
  auditor: ObjectAuditor,
  options: AuditRunOptions,
): Promise<void> {
  const count = (side: "primary" | "replica") => (n: number) => {
    stats.listed[side] += n;
  };
  const list = options.allVersions ? listVersions : listCurrent;
  const joined = joinByKey<ListedObject | KeyVersions>(
    list(primary, range, gate, count("primary"), options.signal),
    list(replica, range, gate, count("replica"), options.signal),
  );
  for await (const entry of joined) {
    if (options.signal?.aborted) return;
    // Awaited only when there is something to wait for: most keys are decided at once.
    const room = tracker.roomFor();
    if (room) await room;
    const done = tracker.begin(entry.key);
    const audited = options.allVersions
      ? auditor.versions(entry as Joined<KeyVersions>, done)
      : auditor.current(entry as Joined<ListedObject>, done);
    if (audited) await audited;
  }
}

async function enqueueRange(
  primary: BucketLocation,
  range: KeyRange,
  gate: Gate,
  stats: AuditStats,
  tracker: RangeTracker,
  options: AuditRunOptions,
  rate: RateLimiter,
): Promise<void> {
  const enqueue = options.enqueue;
  if (!enqueue) return;
  const count = (n: number) => {
    stats.listed.primary += n;
  };
  const objects: AsyncIterable<ListedObject> = options.allVersions
    ? flattenVersions(listVersions(primary, range, gate, count, options.signal))
    : listCurrent(primary, range, gate, count, options.signal);
  let batch: { object: ListedObject; done: () => void }[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    const sending = batch;
    batch = [];
    await rate.take(sending.length);
    await enqueue.sender.sendBatch(
      sending.map(({ object }) => {
        const message = buildCheckMessage({
          attempt: 1,
          object: compact({
            bucket: primary.bucket,
            key: asEventKey(object.key),
            versionId: object.versionId,
            size: object.size,
            etag: object.etag,
          }),
          originalEvent: { source: "backup-validator.audit", runId: enqueue.runId },
          audit: { runId: enqueue.runId, startedAt: enqueue.startedAt },
        });
        return { body: JSON.stringify(message), attributes: checkMessageAttributes(message) };
      }),
    );
    for (const { object, done } of sending) {
      stats.enqueued += 1;
      stats.finished += 1;
      options.onFinding(
        compact({ kind: "enqueued" as const, key: object.key, versionId: object.versionId }),
      );
      done();
    }
  };
  for await (const object of objects) {
    if (options.signal?.aborted) break;
    batch.push({ object, done: tracker.begin(object.key) });
    if (batch.length === 10) await flush();
  }
  if (!options.signal?.aborted) await flush();
}

async function* flattenVersions(groups: AsyncIterable<KeyVersions>): AsyncGenerator<ListedObject> {
  for await (const group of groups) yield* group.versions;
}

/** Decides or audits the objects of the join, and reports each finding once. */
class ObjectAuditor {
  private readonly scope: AuditScope;
  private readonly encryption: ListingEncryption;
  private readonly options: AuditRunOptions;
  private readonly context: ValidationContext;
  private readonly stats: AuditStats;
  private readonly pool: TaskPool;

  constructor(
    scope: AuditScope,
    encryption: ListingEncryption,
    options: AuditRunOptions,
    context: ValidationContext,
    stats: AuditStats,
    pool: TaskPool,
  ) {
    this.scope = scope;
    this.encryption = encryption;
    this.options = options;
    this.context = context;
    this.stats = stats;
    this.pool = pool;
  }

  /**
   * A key of the current-state join; a promise (resolved once the audit has a slot) only when
   * it needs a HEAD.
   */
  current(entry: Joined<ListedObject>, done: () => void): Promise<void> | undefined {
    const { primary, replica } = entry;
    if (!primary) {
      this.replicaOnly(entry.key, undefined, replica, done);
      return undefined;
    }
    if (replica && this.fromListing(primary, replica, done)) return undefined;
    return this.audit({ pair: this.scope.pair, key: entry.key }, { primary, replica }, done);
  }

  /**
   * A key of the all-versions join: each primary version against the replica's version of the
   * same id (CRR keeps version ids); the versions only the replica has are REPLICA_ONLY. When
   * the replica holds the primary's latest version but shows another as its latest, that
   * version is audited as the current state instead (REPLICA_OVERWRITTEN names both).
   */
  async versions(entry: Joined<KeyVersions>, done: () => void): Promise<void> {
    const primaryVersions = entry.primary?.versions ?? [];
    const replicaVersions = entry.replica?.versions ?? [];
    const onReplica = new Map(replicaVersions.map((version) => [version.versionId, version]));
    const onPrimary = new Set(primaryVersions.map((version) => version.versionId));
    const latest = primaryVersions.find((version) => version.isLatest);
    const replicaLatest =
      replicaVersions.find((version) => version.isLatest)?.versionId ??
      entry.replica?.deleteMarkers.find((marker) => marker.isLatest)?.versionId;
    const auditCurrent =
      latest !== undefined && onReplica.has(latest.versionId) && replicaLatest !== latest.versionId;
    const onlyOnReplica = replicaVersions.filter(
      (version) =>
        !onPrimary.has(version.versionId) && !(auditCurrent && version.versionId === replicaLatest),
    );
    // The key is done once each of its versions is.
    let left = primaryVersions.length + onlyOnReplica.length;
    const versionDone = () => {
      left -= 1;
      if (left === 0) done();
    };
    if (left === 0) done();
    for (const version of onlyOnReplica) {
      this.replicaOnly(entry.key, version.versionId, version, versionDone);
    }
    for (const version of primaryVersions) {
      const replica = onReplica.get(version.versionId);
      const isCurrent = auditCurrent && version === latest;
      if (!isCurrent && replica && this.fromListing(version, replica, versionDone)) continue;
      await this.audit(
        compact({
          pair: this.scope.pair,
          key: entry.key,
          versionId: isCurrent ? undefined : version.versionId,
        }),
        { primary: version, replica },
        versionDone,
      );
    }
  }

  private replicaOnly(
    key: string,
    versionId: string | undefined,
    replica: ListedObject | undefined,
    done: () => void,
  ): void {
    this.record(
      compact({
        kind: "verdict" as const,
        key,
        versionId,
        verdict: "REPLICA_ONLY" as const,
        decidedBy: "listing" as const,
        reason: `only the replica bucket has ${versionId ? `version ${versionId} of ` : ""}this key: deleted from the primary (a delete CRR does not replicate), or written to the replica bucket directly`,
        listed: compact({ replica }),
      }),
    );
    done();
  }

  /** Records the listing's MATCH, or returns false when the listing cannot decide. */
  private fromListing(primary: ListedObject, replica: ListedObject, done: () => void): boolean {
    if (this.stats.listingUnusable) return false;
    const comparison = decideFromListing(primary, replica, this.encryption);
    if (!comparison) return false;
    this.stats.fromListing += 1;
    // Not compacted: this is every healthy object, and the report line is compacted anyway.
    this.record({
      kind: "verdict",
      key: primary.key,
      ...(primary.versionId === undefined ? {} : { versionId: primary.versionId }),
      verdict: "MATCH",
      decidedBy: "listing",
      reason: "listed ETags and sizes agree",
      comparison,
      listed: { primary, replica },
    });
    done();
    return true;
  }

  /** Audits one object with auditObject in the pool, retrying transient errors. */
  private async audit(
    target: AuditTarget,
    listed: { readonly primary?: ListedObject; readonly replica?: ListedObject },
    done: () => void,
  ): Promise<void> {
    const { signal } = this.options;
    await this.pool.add(async () => {
      let result: AuditResult;
      try {
        result = await retried(
          () => auditObject(this.context, { ...target, ...(signal ? { signal } : {}) }),
          this.options,
        );
      } catch (error) {
        // Interrupted: not finished, so the resume point stays before it.
        if (signal?.aborted) return;
        this.stats.errors += 1;
        this.stats.finished += 1;
        this.options.onFinding(
          compact({
            kind: "error" as const,
            key: target.key,
            versionId: target.versionId,
            error: describeError(error),
          }),
        );
        done();
        return;
      }
      this.stats.headed += 1;
      this.record(
        compact({
          kind: "verdict" as const,
          key: target.key,
          versionId: result.primary?.versionId ?? target.versionId,
          verdict: result.verdict,
          decidedBy: "head" as const,
          reason: result.reason,
          result,
          listed: compact(listed),
        }),
      );
      done();
    });
  }

  private record(finding: Extract<AuditFinding, { kind: "verdict" }>): void {
    const { verdicts } = this.stats;
    verdicts.set(finding.verdict, (verdicts.get(finding.verdict) ?? 0) + 1);
    this.stats.finished += 1;
    this.options.onFinding(finding);
  }
}

/** The audit's S3 reads of one side, each under the request gate. */
function gatedReader(client: S3Client, gate: Gate): ObjectReader {
  const reader = s3ObjectReader(client);
  return {
    head: (location, signal) => gate(() => reader.head(location, signal)),
    partSizes: (object, limits) => gate(() => reader.partSizes(object, limits)),
    readRange: (object, start, end, signal) =>
      gate(() => reader.readRange(object, start, end, signal)),
  };
}

/**
 * Which keys of a range are finished, in order: `contiguous` is the last key before which all
 * are. Keys finish out of order (HEADs in parallel); they wait here until those before them are.
 */
class RangeTracker {
  complete = false;
  contiguous: string | undefined;
  private readonly keys: { key: string; finished: boolean }[] = [];
  private head = 0;
  private waiters: (() => void)[] = [];
  private aborted = false;

  readonly range: KeyRange;

  constructor(range: KeyRange) {
    this.range = range;
  }

  /** Marks a key as started; the returned function marks it finished. */
  begin(key: string): () => void {
    const entry = { key, finished: false };
    this.keys.push(entry);
    return () => {
      entry.finished = true;
      this.advance();
    };
  }

  /** Stops every wait: an interrupted range finishes nothing more. */
  abort(): void {
    this.aborted = true;
    for (const wake of this.waiters.splice(0)) wake();
  }

  /** While too many keys are held behind an unfinished one, a promise to wait on. */
  roomFor(): Promise<void> | undefined {
    if (this.aborted || this.keys.length - this.head <= MAX_BEHIND) return undefined;
    return (async () => {
      while (!this.aborted && this.keys.length - this.head > MAX_BEHIND) {
        await new Promise<void>((resolve) => this.waiters.push(resolve));
      }
    })();
  }

  /** Waits until every key begun is finished. */
  async settled(): Promise<void> {
    while (!this.aborted && this.keys.length - this.head > 0) {
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  private advance(): void {
    let moved = false;
    while (this.head < this.keys.length && this.keys[this.head]?.finished) {
      this.contiguous = this.keys[this.head]?.key;
      this.head += 1;
      moved = true;
    }
    if (!moved) return;
    if (this.head > 1024 && this.head * 2 > this.keys.length) {
      this.keys.splice(0, this.head);
      this.head = 0;
    }
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}

/** Runs tasks with at most `limit` at once; `add` resolves when the task has a slot. */
class TaskPool {
  private running = 0;
  private readonly slots: (() => void)[] = [];
  private readonly idle: (() => void)[] = [];
  private failure: { readonly error: unknown } | undefined;

  private readonly limit: number;

  constructor(limit: number) {
    this.limit = limit;
  }

  async add(task: () => Promise<void>): Promise<void> {
    while (this.running >= this.limit) {
      await new Promise<void>((resolve) => this.slots.push(resolve));
    }
    this.running += 1;
    void task()
      .catch((error: unknown) => {
        this.failure ??= { error };
      })
      .finally(() => {
        this.running -= 1;
        this.slots.shift()?.();
        if (this.running === 0) for (const wake of this.idle.splice(0)) wake();
      });
  }

  /** Waits for every task; throws the first error a task threw (tasks should not throw). */
  async drain(): Promise<void> {
    while (this.running > 0) await new Promise<void>((resolve) => this.idle.push(resolve));
    if (this.failure) throw this.failure.error;
  }
}

/** At most `perSecond` messages a second, in bursts of a batch. */
class RateLimiter {
  private nextAt = 0;
  private readonly perSecond: number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(perSecond: number, sleep: (ms: number) => Promise<void>) {
    this.perSecond = perSecond;
    this.sleep = sleep;
  }

  async take(count: number): Promise<void> {
    const now = Date.now();
    const start = Math.max(now, this.nextAt);
    this.nextAt = start + (count * 1000) / this.perSecond;
    if (start > now) await this.sleep(start - now);
  }
}
