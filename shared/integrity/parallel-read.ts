/**
 * Reads an object at network speed with bounded memory: ranges are fetched concurrently but
 * handed to the consumer strictly in order, and a new range starts only when fewer than
 * `concurrency` ranges are unconsumed (fetching, or fetched and waiting their turn). So at most
 * `concurrency` ranges are held at once: memory ≤ concurrency × chunkSize, whatever the size.
 * Reads that run at the same time (records of one batch) can also share one `RangeSlots` pool,
 * which bounds what they hold together.
 *
 * Why ranged GETs in parallel: one GET stream tops out well below what the digests can hash,
 * and AWS recommends byte-range fetches to parallelise large reads.
 * https://docs.aws.amazon.com/whitepapers/latest/s3-optimizing-performance-best-practices/use-byte-range-fetches.html
 *
 * Pure over an injected reader (`ObjectReader.readRange` for S3), so it is tested without S3.
 */
import {
  createDigestCalculator,
  type DigestCalculator,
  type DigestResult,
  type DigestTarget,
} from "./digests.ts";

/**
 * Returns exactly the bytes start..endInclusive, in one piece or in the pieces they arrived in
 * (joining them would double the memory a range holds); should stop soon after `signal` aborts.
 */
export type RangeReader = (
  start: number,
  endInclusive: number,
  signal: AbortSignal,
) => Promise<RangeBytes>;

export type RangeBytes = Uint8Array | readonly Uint8Array[];

export interface ByteRange {
  readonly start: number;
  readonly endInclusive: number;
}

export interface ReadLimits {
  /** Stops the read (outcome "signal") when aborted. */
  readonly signal?: AbortSignal;
  /** Epoch milliseconds after which the read stops (outcome "deadline"), e.g. Lambda time left. */
  readonly deadline?: number;
  /** A pool shared with other reads running at the same time; each started range holds a slot. */
  readonly slots?: RangeSlots;
}

export interface ParallelReadOptions extends ReadLimits {
  readonly size: number;
  readonly chunkSize: number;
  readonly concurrency: number;
  readonly readRange: RangeReader;
  /** Receives the bytes in order, piece by piece; the next piece waits until this settles. */
  readonly consume: (chunk: Uint8Array) => Promise<void> | void;
}

export interface ReadOutcome {
  /** True when every byte was handed to the consumer. */
  readonly finished: boolean;
  /** Why the read stopped early; absent when it finished. */
  readonly stoppedBy?: "deadline" | "signal";
  /** Bytes handed to the consumer, in order from offset 0. */
  readonly bytesRead: number;
  /** Most bytes held at once by started-but-not-yet-consumed ranges. */
  readonly peakBytesHeld: number;
}

/**
 * A counting semaphore of ranges in flight, shared by the reads of one process: with N slots and
 * chunks of C bytes, all reads together hold at most N × C bytes of data.
 */
export interface RangeSlots {
  /** Takes a slot if one is free. */
  tryAcquire(): boolean;
  /** Waits for a slot; false when the signal aborted first. */
  acquire(signal: AbortSignal): Promise<boolean>;
  release(): void;
}

export function createRangeSlots(count: number): RangeSlots {
  if (!Number.isSafeInteger(count) || count < 1) throw new RangeError(`bad slot count ${count}`);
  let free = count;
  const waiting: ((granted: boolean) => void)[] = [];
  return {
    tryAcquire() {
      if (free === 0) return false;
      free -= 1;
      return true;
    },
    acquire(signal) {
      if (signal.aborted) return Promise.resolve(false);
      if (this.tryAcquire()) return Promise.resolve(true);
      return new Promise((resolve) => {
        const grant = (granted: boolean) => {
          signal.removeEventListener("abort", onAbort);
          resolve(granted);
        };
        const onAbort = () => {
          waiting.splice(waiting.indexOf(grant), 1);
          resolve(false);
        };
        signal.addEventListener("abort", onAbort, { once: true });
        waiting.push(grant);
      });
    },
    release() {
      const next = waiting.shift();
      if (next) next(true);
      else free += 1;
    },
  };
}

/** How many ranges of at most `chunkSize` bytes cover `size` bytes. */
export function rangeCount(size: number, chunkSize: number): number {
  if (!Number.isSafeInteger(size) || size < 0) throw new RangeError(`bad size ${size}`);
  if (!Number.isSafeInteger(chunkSize) || chunkSize < 1) {
    throw new RangeError(`bad chunk size ${chunkSize}`);
  }
  return Math.ceil(size / chunkSize);
}

/**
 * The index-th range. Computed on demand rather than planned as a list up front: a 5 TiB object
 * in 8 MiB chunks would otherwise hold 650,000 range objects.
 */
export function rangeAt(index: number, size: number, chunkSize: number): ByteRange {
  const start = index * chunkSize;
  return { start, endInclusive: Math.min(start + chunkSize, size) - 1 };
}

/**
 * Fetches ranges concurrently and consumes them in order. Returns `finished: false` when the
 * signal or deadline stops it first; a reader or consumer error is thrown after the other
 * in-flight reads are aborted.
 */
export async function readInOrder(options: ParallelReadOptions): Promise<ReadOutcome> {
  const { size, chunkSize, concurrency, readRange, consume, slots } = options;
  if (!Number.isSafeInteger(concurrency) || concurrency < 1) {
    throw new RangeError(`bad concurrency ${concurrency}`);
  }
  const count = rangeCount(size, chunkSize);
  const stop = stopper(options);
  const inFlight = new Map<number, Promise<readonly Uint8Array[]>>();
  let nextToStart = 0;
  let bytesRead = 0;
  let bytesHeld = 0;
  let peakBytesHeld = 0;

  function start(index: number): void {
    const range = rangeAt(index, size, chunkSize);
    const length = range.endInclusive - range.start + 1;
    bytesHeld += length;
    peakBytesHeld = Math.max(peakBytesHeld, bytesHeld);
    const reading = readRange(range.start, range.endInclusive, stop.signal).then((bytes) => {
      const pieces = bytes instanceof Uint8Array ? [bytes] : bytes;
      const received = pieces.reduce((sum, piece) => sum + piece.length, 0);
      // A short or long answer means the object changed or the reader is wrong: never hash it.
      if (received !== length) {
        throw new Error(
          `range ${range.start}-${range.endInclusive} returned ${received} bytes, expected ${length}`,
        );
      }
      return pieces;
    });
    // The first failure stops every other read at once, even one we are not waiting on yet.
    reading.catch((error: unknown) => stop.fail(error));
    inFlight.set(index, reading);
  }

  /** Starts what the limits allow; false when stopped while waiting for a shared slot. */
  async function startMore(index: number): Promise<boolean> {
    while (nextToStart < count && nextToStart - index < concurrency) {
      if (slots && !slots.tryAcquire()) {
        // Ranges of ours are in flight: consume them first. None: wait for another read's slot.
        if (nextToStart > index) return true;
        if (!(await slots.acquire(stop.signal))) return false;
      }
      start(nextToStart);
      nextToStart += 1;
    }
    return true;
  }

  let consumed = 0;
  try {
    for (let index = 0; index < count; index += 1) {
      if (stop.signal.aborted || !(await startMore(index))) break;
      const reading = inFlight.get(index);
      if (!reading) throw new Error(`internal error: range ${index} was not started`);
      const pieces = await untilStopped(reading, stop.signal);
      if (pieces === STOPPED) break;
      inFlight.delete(index);
      for (const piece of pieces) {
        await consume(piece);
        bytesRead += piece.length;
        bytesHeld -= piece.length;
      }
      consumed += 1;
      slots?.release();
    }
  } catch (error) {
    // A reader's failure is recorded before we get here, so this is the consumer's: it counts
    // even after a stop, since it means the bytes did not fit the digest plan.
    stop.fail(error, { evenIfStopped: true });
  } finally {
    stop.dispose();
    // Ranges started but never consumed give their shared slots back.
    if (slots) for (let left = nextToStart - consumed; left > 0; left -= 1) slots.release();
  }
  if (stop.error !== undefined) throw stop.error;
  if (bytesRead === size) return { finished: true, bytesRead, peakBytesHeld };
  return { finished: false, stoppedBy: stop.reason ?? "signal", bytesRead, peakBytesHeld };
}

export interface DigestObjectOptions extends Omit<ParallelReadOptions, "consume"> {
  readonly targets: readonly DigestTarget[];
  /** Told the bytes read so far after each chunk (progress bars). */
  readonly onProgress?: (bytesRead: number) => void;
}

export interface DigestObjectOutcome extends ReadOutcome {
  /** Present only when every byte was read: a digest over part of an object proves nothing. */
  readonly results?: DigestResult[];
}

/** Reads an object once and reproduces every target digest from that single pass. */
export async function digestObject(options: DigestObjectOptions): Promise<DigestObjectOutcome> {
  const calculator: DigestCalculator = createDigestCalculator(options.targets);
  const outcome = await readInOrder({
    ...options,
    consume: async (chunk) => {
      await calculator.update(chunk);
      options.onProgress?.(calculator.bytesSeen);
    },
  });
  if (!outcome.finished) return outcome;
  return { ...outcome, results: await calculator.finish() };
}

const STOPPED = Symbol("stopped");

/**
 * Waits for `promise`, or for the signal to abort, whichever comes first. Not Promise.race with
 * one long-lived "stopped" promise: every race would leave a reaction on it that keeps its
 * settled value (a whole chunk) reachable, and memory would grow with the object.
 */
function untilStopped<T>(promise: Promise<T>, signal: AbortSignal): Promise<T | typeof STOPPED> {
  if (signal.aborted) return Promise.resolve(STOPPED);
  return new Promise((resolve, reject) => {
    const onAbort = () => resolve(STOPPED);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}

/**
 * One internal AbortController for the whole read: the caller's signal, the deadline and the
 * first error all abort it, so every in-flight read sees one signal.
 */
function stopper(limits: ReadLimits) {
  const controller = new AbortController();
  let reason: "deadline" | "signal" | undefined;
  let error: unknown;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const halt = (why: "deadline" | "signal") => {
    if (controller.signal.aborted) return;
    reason = why;
    controller.abort(new DOMException(`read stopped by ${why}`, "AbortError"));
  };
  const onCallerAbort = () => halt("signal");

  if (limits.signal?.aborted) halt("signal");
  else limits.signal?.addEventListener("abort", onCallerAbort, { once: true });
  if (limits.deadline !== undefined) {
    const remaining = limits.deadline - Date.now();
    if (remaining <= 0) halt("deadline");
    else timer = setTimeout(() => halt("deadline"), remaining);
  }

  return {
    signal: controller.signal,
    get reason() {
      return reason;
    },
    get error() {
      return error;
    },
    /**
     * Records the first error and aborts the other reads. A reader failing after a stop is most
     * likely the abort we caused, so it is not an error unless `evenIfStopped`.
     */
    fail(cause: unknown, { evenIfStopped = false } = {}) {
      if (error !== undefined || (controller.signal.aborted && !evenIfStopped)) return;
      error = cause ?? new Error("read failed");
      if (!controller.signal.aborted) controller.abort(error);
    },
    dispose() {
      if (timer !== undefined) clearTimeout(timer);
      limits.signal?.removeEventListener("abort", onCallerAbort);
      // Nothing still running is wanted any more (early stop or error): cancel it.
      if (!controller.signal.aborted) controller.abort(new DOMException("read over", "AbortError"));
    },
  };
}
