import { MAX_DELAY_SECONDS } from "../contracts/environment.ts";

export interface RetryTiming {
  /** The number of the check that just found the replica pending (1 for the first). */
  readonly attempt: number;
  readonly baseDelaySeconds: number;
  readonly objectAgeSeconds?: number;
  readonly replicationDeadlineSeconds: number;
}

/**
 * Delay before the next check of a pending replica: base × 2^(attempt−1) (30 s, 1 min, 2 min,
 * …), capped at SQS's 15-minute per-message delay, and never much past the replication
 * deadline, so an overdue replica is reported soon after the deadline rather than up to 15
 * minutes later.
 */
export function nextCheckDelaySeconds(timing: RetryTiming): number {
  const backoff = Math.min(
    MAX_DELAY_SECONDS,
    timing.baseDelaySeconds * 2 ** Math.min(timing.attempt - 1, 30),
  );
  if (timing.objectAgeSeconds === undefined) return backoff;
  const untilDeadline = timing.replicationDeadlineSeconds - timing.objectAgeSeconds + 1;
  return Math.max(0, Math.min(backoff, Math.max(untilDeadline, timing.baseDelaySeconds)));
}
