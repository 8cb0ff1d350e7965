import type { Context } from "aws-lambda";
import {
  type AuditStart,
  parseStartRequest,
  startAudit,
} from "../../shared/audit/batch/start-audit.ts";
import { createStarterDependencies } from "../../shared/audit/batch/starter-dependencies.ts";
import { loadAuditStarterConfig } from "../../shared/contracts/environment.ts";
import { createLogger } from "../../shared/observability.ts";

// Built once per cold start; a configuration error fails the initialisation, naming the variable.
const log = createLogger("audit-starter");
const dependencies = createStarterDependencies(loadAuditStarterConfig(process.env), log);

/**
 * Invoked by the schedule (asynchronously) or by hand: starts one S3 Batch Operations job per
 * primary bucket, and answers what it started. Throws when a pair could not start (the errors
 * alarm; Lambda retries an asynchronous invocation, the job token keeps that to one job).
 */
export async function handler(event: unknown, context: Context): Promise<AuditStart> {
  log.addContext(context);
  return startAudit(dependencies, parseStartRequest(event, dependencies.bucketPairs));
}
