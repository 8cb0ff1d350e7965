import type { Context, SQSRecord } from "aws-lambda";
import { deadlineOf } from "../record-time.ts";
import {
  type OutcomeRecord,
  processValidationMessage,
  type ValidatorDependencies,
} from "./process-message.ts";

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
    // Less a margin for answering Lambda: a record still running then fails alone instead of
    // the whole batch timing out (shared/record-time.ts).
    deadline: deadlineOf(context),
  });
}
