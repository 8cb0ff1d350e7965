import { BatchProcessor, EventType, processPartialResponse } from "@aws-lambda-powertools/batch";
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { loadNotifierConfig } from "../../shared/contracts/environment.ts";
import { METRICS } from "../../shared/contracts/metrics.ts";
import { startAlertBatch } from "../../shared/notifier/alert-batch.ts";
import { createNotifierDependencies } from "../../shared/notifier/dependencies.ts";
import { createLogger, createMetrics, MetricUnit } from "../../shared/observability.ts";

// Built once per cold start. A configuration error throws here, so the function fails to
// initialise with a message naming the variable, and SQS keeps the messages for a retry.
const log = createLogger("failure-notifier");
const metrics = createMetrics("failure-notifier");
const dependencies = createNotifierDependencies(loadNotifierConfig(process.env), { log, metrics });
const processor = new BatchProcessor(EventType.SQS);

export async function handler(event: SQSEvent, context: Context): Promise<SQSBatchResponse> {
  log.addContext(context);
  dependencies.alertsSent?.registerContext(context);
  try {
    // The batch is planned up front (same-kind reports become one digest; reports alerted in an
    // earlier batch are left out); each record then waits for the alert that carries it, so a
    // failed publish fails exactly its own records. Records run one after another, so a report
    // delivered twice in this batch finds its first delivery recorded as sent.
    // An all-failed batch is reported as item failures rather than thrown: the RecordsFailed
    // alarm sees them (Lambda's Errors metric would, but would also hide which records failed).
    const batch = await startAlertBatch(dependencies, event.Records);
    const response = await processPartialResponse(
      event,
      (record: SQSRecord) => batch.deliver(record.messageId),
      processor,
      { context, throwOnFullBatchFailure: false, processInParallel: false },
    );
    metrics.addMetric(METRICS.recordsFailed, MetricUnit.Count, response.batchItemFailures.length);
    return response;
  } finally {
    metrics.publishStoredMetrics();
  }
}
