import type { SQSRecord } from "aws-lambda";
import {
  type OutcomeRecord,
  processValidationMessage,
  type ValidatorDependencies,
} from "./process-message.ts";

/** Adapts one Lambda SQS record to the validator; throwing marks the record as failed. */
export function handleValidationRecord(
  deps: ValidatorDependencies,
  record: SQSRecord,
): Promise<OutcomeRecord[]> {
  const receiveCount = Number(record.attributes?.ApproximateReceiveCount);
  return processValidationMessage(deps, {
    messageId: record.messageId,
    body: record.body,
    receiveCount: Number.isFinite(receiveCount) ? receiveCount : undefined,
    eventSourceArn: record.eventSourceARN,
  });
}
