/**
 * How many S3 requests the audit has in flight, adapted to what S3 says: a 503 SlowDown (or any
 * throttle) halves the limit, and each limit's worth of answers without one raises it by one,
 * up to the limit asked for (additive increase, multiplicative decrease). S3 scales a prefix's
 * request rate up gradually and answers SlowDown while it does; the SDK's adaptive retry mode
 * slows each client down too, but only a lower concurrency stops the audit from queueing more.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/optimizing-performance.html
 * https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html
 */
import type { S3Client } from "@aws-sdk/client-s3";

export interface RequestGate {
  /** Runs a request once fewer than the current limit are in flight. */
  run<T>(request: () => Promise<T>): Promise<T>;
  /** Called for every throttled attempt, including those the SDK retried. */
  throttled(): void;
  /** The limit now. */
  readonly limit: number;
  /** The lowest limit reached, and how many throttled answers were seen. */
  readonly lowest: number;
  readonly throttles: number;
}

/** A limit is halved at most once per this long: one burst of SlowDowns is one signal. */
const DECREASE_INTERVAL_MS = 1_000;

export function createRequestGate(maximum: number, now: () => number = Date.now): RequestGate {
  let limit = maximum;
  let lowest = maximum;
  let inFlight = 0;
  let throttles = 0;
  let successes = 0;
  let lastDecrease = Number.NEGATIVE_INFINITY;
  const waiting: (() => void)[] = [];

  const release = () => {
    inFlight -= 1;
    while (inFlight < limit && waiting.length > 0) {
      inFlight += 1;
      waiting.shift()?.();
    }
  };
  const acquire = async () => {
    if (inFlight < limit && waiting.length === 0) {
      inFlight += 1;
      return;
    }
    await new Promise<void>((resolve) => waiting.push(resolve));
  };

  return {
    async run(request) {
      await acquire();
      try {
        const result = await request();
        successes += 1;
        if (successes >= limit && limit < maximum) {
          limit += 1;
          successes = 0;
        }
        return result;
      } finally {
        release();
      }
    },
    throttled() {
      throttles += 1;
      successes = 0;
      if (now() - lastDecrease < DECREASE_INTERVAL_MS) return;
      lastDecrease = now();
      limit = Math.max(1, Math.floor(limit / 2));
      lowest = Math.min(lowest, limit);
    },
    get limit() {
      return limit;
    },
    get lowest() {
      return lowest;
    },
    get throttles() {
      return throttles;
    },
  };
}

/** Whether an S3 answer says to slow down: 503 SlowDown, 429, or a throttling error name. */
export function isThrottle(error: unknown): boolean {
  if (error === null || typeof error !== "object") return false;
  const { name, $metadata } = error as {
    name?: unknown;
    $metadata?: { httpStatusCode?: unknown };
  };
  const status = $metadata?.httpStatusCode;
  return (
    status === 503 ||
    status === 429 ||
    (typeof name === "string" && /SlowDown|Throttl|TooManyRequests|RequestLimitExceeded/.test(name))
  );
}

/**
 * Tells the gate about every throttled attempt of the client's requests: a middleware inside
 * the SDK's retry loop, so retries the SDK absorbs still count.
 */
export function watchThrottles(client: S3Client, gate: RequestGate): void {
  client.middlewareStack.add(
    (next) => async (args) => {
      try {
        return await next(args);
      } catch (error) {
        if (isThrottle(error)) gate.throttled();
        throw error;
      }
    },
    { step: "deserialize", priority: "high", name: "auditWatchThrottles", override: true },
  );
}
