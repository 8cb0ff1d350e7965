import type { Context, SQSRecord } from "aws-lambda";
import {
  type OutcomeRecord,
  processValidationMessage,
  type ValidatorDependencies,
} from "./process-message.ts";

/**
 * Time kept back from the invocation for answering Lambda with the batch's item failures: a
 * record still running then fails alone instead of the whole batch timing out.
 */
export const RESPONSE_MARGIN_MS = 3000;

/** Adapts one Lambda SQS record to the validator; throwing marks the record as failed. */
export function handleValidationRecord(
  deps: ValidatorDependencies,
  record: SQSRecord,
  context?: Pick<Context, "getRemainingTimeInMillis">,
): Promise<OutcomeRecord[]> {
  const receiveCount = Number(record.attributes?.ApproximateReceiveCount);
  return processValidationMessage(deps, {
    messageId: record.messageId,
    body: record.body,
    receiveCount: Number.isFinite(receiveCount) ? receiveCount : undefined,
    eventSourceArn: record.eventSourceARN,
    deadline: context
      ? Date.now() + Math.max(0, context.getRemainingTimeInMillis() - RESPONSE_MARGIN_MS)
      : undefined,
  });
}
