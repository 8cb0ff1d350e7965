import type { Context, SQSRecord } from "aws-lambda";
import {
  type OutcomeRecord,
  processValidationMessage,
  type ValidatorDependencies,
} from "./process-message.ts";

/**
 * Adapts one Lambda SQS record to the validator; throwing marks the record as failed. The
 * record's deadline is the invocation's: what the Lambda context says is left.
 */
export function handleValidationRecord(
  deps: ValidatorDependencies,
  record: SQSRecord,
  context?: Pick<Context, "getRemainingTimeInMillis">,
): Promise<OutcomeRecord[]> {
  const receiveCount = Number(record.attributes?.ApproximateReceiveCount);
  return processValidationMessage(
    deps,
    {
      messageId: record.messageId,
      body: record.body,
      receiveCount: Number.isFinite(receiveCount) ? receiveCount : undefined,
      eventSourceArn: record.eventSourceARN,
    },
    context ? { deadline: Date.now() + context.getRemainingTimeInMillis() } : {},
  );
}
