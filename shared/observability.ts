import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import { METRICS_NAMESPACE } from "./contracts/metrics.ts";

export { MetricUnit };

/** The logging the domain code needs; Powertools' Logger satisfies it, and so can a test double. */
export type Log = Pick<Logger, "debug" | "info" | "warn" | "error">;

/** The metrics the domain code emits; Powertools' Metrics (EMF) satisfies it. */
export type MetricsRecorder = Pick<Metrics, "addMetric">;

export { METRICS_NAMESPACE };

/**
 * One logger per function, created at cold start. Level and sampling follow Powertools'
 * environment variables (POWERTOOLS_LOG_LEVEL, POWERTOOLS_LOGGER_SAMPLE_RATE).
 */
export function createLogger(serviceName: string): Logger {
  return new Logger({ serviceName });
}

/** EMF metrics; namespace from POWERTOOLS_METRICS_NAMESPACE, else BackupValidator. */
export function createMetrics(serviceName: string): Metrics {
  return new Metrics({
    serviceName,
    namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? METRICS_NAMESPACE,
  });
}
