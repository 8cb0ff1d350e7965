/**
 * Which reports have been alerted: one alert per report within a window (a day by default),
 * however often the report is delivered again — a redrive of the failure DLQ, a batch retried
 * after a timeout that came after the publish, the validator's at-least-once sends. The store is
 * Powertools idempotency on a DynamoDB table (the stack's alerts-sent table): the first delivery
 * claims the report (a conditional put), publishes, then marks it sent with what was sent; a
 * failed publish releases the claim so the retry alerts; a delivery while another is publishing
 * waits for SQS to bring it back.
 * https://docs.powertools.aws.dev/lambda/typescript/latest/features/idempotency/
 */

import {
  IdempotencyAlreadyInProgressError,
  IdempotencyConfig,
  IdempotencyItemNotFoundError,
  IdempotencyRecordStatus,
  makeIdempotent,
} from "@aws-lambda-powertools/idempotency";
import { DynamoDBPersistenceLayer } from "@aws-lambda-powertools/idempotency/dynamodb";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { Context } from "aws-lambda";

/** What was published for a report (stored with it, shown when it comes again). */
export interface SentAlert {
  readonly subject: string;
  /** ISO 8601. */
  readonly sentAt: string;
}

export type EarlierAlert =
  | { readonly state: "sent"; readonly alert: SentAlert }
  /** Another invocation holds the report and is publishing now. */
  | { readonly state: "sending" };

export interface AlertsSent {
  /** What happened to this report within the window, if anything. */
  lookup(reportId: string): Promise<EarlierAlert | undefined>;
  /**
   * Publishes with `send` unless the report was alerted within the window, and records it.
   * Throws AlertBeingSentError while another invocation is publishing it; an error of the
   * store itself is an AlertStoreError.
   */
  once(
    reportId: string,
    send: () => Promise<SentAlert>,
  ): Promise<{ readonly alert: SentAlert; readonly duplicate: boolean }>;
  /** Claims held by an invocation that dies expire with it (its remaining time). */
  registerContext(context: Context): void;
}

/** Another invocation is publishing this report's alert right now: retry later. */
export class AlertBeingSentError extends Error {}

/** The alerts-sent store could not be read or written. */
export class AlertStoreError extends Error {}

/** Idempotency keys are `alert-report#<hash of the report id>`. */
const KEY_PREFIX = "alert-report";

export function dynamoDbAlertsSent(options: {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  readonly windowSeconds: number;
}): AlertsSent {
  const persistenceStore = new DynamoDBPersistenceLayer({
    tableName: options.tableName,
    awsSdkV3Client: options.client,
  });
  const config = new IdempotencyConfig({
    eventKeyJmesPath: "reportId",
    expiresAfterSeconds: options.windowSeconds,
  });
  persistenceStore.configure({ config, keyPrefix: KEY_PREFIX });
  const sendOnce = makeIdempotent(
    async (_report: { reportId: string }, send: () => Promise<SentAlert>) => send(),
    { persistenceStore, config, keyPrefix: KEY_PREFIX },
  );
  return {
    async lookup(reportId) {
      let record: Awaited<ReturnType<typeof persistenceStore.getRecord>>;
      try {
        record = await persistenceStore.getRecord({ reportId });
      } catch (error) {
        if (error instanceof IdempotencyItemNotFoundError) return undefined;
        throw new AlertStoreError(`reading report ${reportId}: ${messageOf(error)}`, {
          cause: error,
        });
      }
      // An expired record lingers until DynamoDB's TTL deletes it: it counts as absent.
      const status = record.getStatus();
      if (status === IdempotencyRecordStatus.COMPLETED) {
        return { state: "sent", alert: record.getResponse() as unknown as SentAlert };
      }
      // A claim outlives its invocation only until that invocation's deadline: past it, the
      // next delivery takes the report over (Powertools' conditional put allows exactly that).
      const claimExpired =
        record.inProgressExpiryTimestamp !== undefined &&
        record.inProgressExpiryTimestamp < Date.now();
      return status === IdempotencyRecordStatus.INPROGRESS && !claimExpired
        ? { state: "sending" }
        : undefined;
    },
    async once(reportId, send) {
      let sentNow = false;
      try {
        const alert = await sendOnce({ reportId }, async () => {
          sentNow = true;
          return send();
        });
        return { alert: alert as SentAlert, duplicate: !sentNow };
      } catch (error) {
        if (error instanceof IdempotencyAlreadyInProgressError) {
          throw new AlertBeingSentError(
            `the alert for report ${reportId} is being sent by another invocation`,
            { cause: error },
          );
        }
        // Errors of `send` itself (a failed publish) pass through as they are.
        if (sentNowFailed(error, sentNow)) throw error;
        throw new AlertStoreError(`recording report ${reportId}: ${messageOf(error)}`, {
          cause: error,
        });
      }
    },
    registerContext(context) {
      config.registerLambdaContext(context);
    },
  };
}

/** Powertools names its own errors Idempotency*; anything else came from `send`. */
function sentNowFailed(error: unknown, sentNow: boolean): boolean {
  return sentNow && !(error instanceof Error && error.name.startsWith("Idempotency"));
}

function messageOf(error: unknown): string {
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  return cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
}
