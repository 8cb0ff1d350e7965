import type { AuditWorkerConfig } from "../../contracts/environment.ts";
import type { Log, MetricsRecorder } from "../../observability.ts";
import { sqsMessageSender } from "../../queues/message-sender.ts";
import { createCheckingClients } from "../../validator/dependencies.ts";
import type { WorkerDependencies } from "./audit-tasks.ts";

/** The audit-worker's clients, built once per cold start: the validator's, minus its queue. */
export function createWorkerDependencies(
  config: AuditWorkerConfig,
  observability: { log: Log; metrics: MetricsRecorder },
): WorkerDependencies {
  const { validation, sqs } = createCheckingClients(config);
  return {
    audit: validation,
    bucketPairs: config.bucketPairs,
    failureReports: sqsMessageSender(sqs, config.failureQueueUrl),
    primaryRegion: config.primaryRegion,
    replicaRegion: config.replicaRegion,
    ...observability,
  };
}
