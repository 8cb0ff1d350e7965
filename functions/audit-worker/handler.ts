import type { Context } from "aws-lambda";
import { auditTasks } from "../../shared/audit/batch/audit-tasks.ts";
import type { BatchOperationsResponse } from "../../shared/audit/batch/batch-operations.ts";
import { createWorkerDependencies } from "../../shared/audit/batch/worker-dependencies.ts";
import { loadAuditWorkerConfig } from "../../shared/contracts/environment.ts";
import { METRIC_SERVICES } from "../../shared/contracts/metrics.ts";
import { createLogger, createMetrics } from "../../shared/observability.ts";
import { deadlineOf } from "../../shared/record-time.ts";

// Built once per cold start; a configuration error fails the initialisation, naming the variable.
const log = createLogger("audit-worker");
// The audit's metrics carry the service dimension `audit`, whichever audit path emits them.
const metrics = createMetrics(METRIC_SERVICES.audit);
const dependencies = createWorkerDependencies(loadAuditWorkerConfig(process.env), {
  log,
  metrics,
});

/** One S3 Batch Operations invocation (schema 2.0, one object): audited and answered. */
export async function handler(event: unknown, context: Context): Promise<BatchOperationsResponse> {
  log.addContext(context);
  try {
    return await auditTasks(dependencies, event, deadlineOf(context));
  } finally {
    metrics.publishStoredMetrics();
  }
}
