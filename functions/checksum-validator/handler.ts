import { BatchProcessor, EventType, processPartialResponse } from "@aws-lambda-powertools/batch";
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { loadValidatorConfig } from "../../shared/contracts/environment.ts";
import { METRICS } from "../../shared/contracts/metrics.ts";
import { createLogger, createMetrics, MetricUnit } from "../../shared/observability.ts";
import { createValidatorDependencies } from "../../shared/validator/dependencies.ts";
import { handleValidationRecord } from "../../shared/validator/handle-record.ts";

// Built once per cold start. A configuration error throws here, so the function fails to
// initialise with a message naming the variable, and SQS keeps the messages for a retry.
const log = createLogger("checksum-validator");
const metrics = createMetrics("checksum-validator");
const dependencies = createValidatorDependencies(loadValidatorConfig(process.env), {
  log,
  metrics,
});
const processor = new BatchProcessor(EventType.SQS);

export async function handler(event: SQSEvent, context: Context): Promise<SQSBatchResponse> {
  log.addContext(context);
  try {
    // Records are checked concurrently; each failed record is returned as a batch item
    // failure so only it is retried. An all-failed batch is reported the same way rather than
    // thrown, which would hide which records failed.
    const response = await processPartialResponse(
      event,
      (record: SQSRecord) => handleValidationRecord(dependencies, record, context),
      processor,
      { context, throwOnFullBatchFailure: false },
    );
    // Records SQS will redeliver (and dead-letter after maxReceiveCount): worth a graph.
    metrics.addMetric(METRICS.recordsFailed, MetricUnit.Count, response.batchItemFailures.length);
    return response;
  } finally {
    metrics.publishStoredMetrics();
  }
}
