/**
 * The time one unit of work may take inside an invocation: an SQS record of the validator, a
 * Batch Operations task of the audit-worker. Both work the same way, so both use this:
 * - the deadline is the Lambda's remaining time less RESPONSE_MARGIN_MS, kept back for answering
 *   Lambda (the batch's item failures, the tasks' result codes) instead of timing out;
 * - at the deadline the work's requests are cancelled (`signal`) and it fails alone;
 * - a deep read stops CONCLUDE_RESERVE_MS before the deadline, leaving the time to send its
 *   hand-off or report.
 */
import type { Context } from "aws-lambda";
import { DeadlineError } from "./errors.ts";
import type { SettleLimits } from "./integrity/settle.ts";

/** Kept back from the invocation for answering Lambda. */
export const RESPONSE_MARGIN_MS = 3_000;

/** Kept back from the deadline by a deep read: to report or hand off what it found. */
export const CONCLUDE_RESERVE_MS = 3_000;

/** Epoch milliseconds by which the work must be done; undefined without a Lambda context. */
export function deadlineOf(
  context: Pick<Context, "getRemainingTimeInMillis"> | undefined,
): number | undefined {
  return context
    ? Date.now() + Math.max(0, context.getRemainingTimeInMillis() - RESPONSE_MARGIN_MS)
    : undefined;
}

export interface RecordTime {
  readonly deadline: number;
  /** Aborted at the deadline, with a DeadlineError as its reason. */
  readonly signal: AbortSignal;
  /** Rejects with that DeadlineError at the deadline: to race the work against. */
  readonly timeUp: Promise<never>;
  /** Stops the timer once the work is done. */
  clear(): void;
}

/** Starts the clock; `ranOut` says what ran out, in the DeadlineError. */
export function startRecordTime(deadline: number, ranOut: string): RecordTime {
  const controller = new AbortController();
  const timeUp = new Promise<never>((_resolve, reject) => {
    controller.signal.addEventListener("abort", () => reject(controller.signal.reason), {
      once: true,
    });
  });
  // Raced, or not awaited at all when the work ends first: never an unhandled rejection.
  timeUp.catch(() => undefined);
  const timer = setTimeout(
    () => controller.abort(new DeadlineError(ranOut)),
    Math.max(0, deadline - Date.now()),
  );
  return { deadline, signal: controller.signal, timeUp, clear: () => clearTimeout(timer) };
}

/** What the comparison engine may spend: its deep read stops CONCLUDE_RESERVE_MS early. */
export function settleLimitsOf(time: RecordTime | undefined): SettleLimits {
  return time ? { deadline: time.deadline - CONCLUDE_RESERVE_MS, signal: time.signal } : {};
}
