/**
 * The metric names the alarms, the dashboard and `npm run status` watch are the ones the
 * functions emit: namespace, the one `service` dimension Powertools adds, and the names.
 */
import { afterEach, expect, it, vi } from "vitest";
import settings from "../../../resources/settings.json" with { type: "json" };
import {
  METRIC_SERVICES,
  METRICS,
  METRICS_NAMESPACE,
  outcomeMetric,
} from "../../../shared/contracts/metrics.ts";
import { createMetrics, MetricUnit } from "../../../shared/observability.ts";

afterEach(() => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
});

it.each([
  [METRIC_SERVICES.validator, outcomeMetric("MATCH")],
  [METRIC_SERVICES.validator, METRICS.recordsFailed],
  [METRIC_SERVICES.notifier, METRICS.alertPublishFailures],
  [METRIC_SERVICES.notifier, METRICS.duplicateReportsSuppressed],
])("%s emits %s in the namespace under the service dimension alone", (service, name) => {
  // Prepare: Powertools' own EMF output, as CloudWatch would receive it
  vi.stubEnv("POWERTOOLS_METRICS_DISABLED", "false");
  vi.stubEnv("POWERTOOLS_METRICS_NAMESPACE", undefined);
  const written: string[] = [];
  vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  });
  const metrics = createMetrics(service);

  // Act
  metrics.addMetric(name, MetricUnit.Count, 1);
  metrics.publishStoredMetrics();

  // Assess
  const document = JSON.parse(written.find((line) => line.includes('"_aws"')) ?? "{}");
  expect(document._aws.CloudWatchMetrics).toEqual([
    {
      Namespace: METRICS_NAMESPACE,
      Dimensions: [["service"]],
      Metrics: [{ Name: name, Unit: "Count" }],
    },
  ]);
  expect(document.service).toBe(service);
  expect(document[name]).toBe(1);
});

it("names each verdict's count Outcome.<VERDICT>, and the services after the functions", () => {
  expect(outcomeMetric("REPLICATION_OVERDUE")).toBe("Outcome.REPLICATION_OVERDUE");
  expect(Object.keys(settings.functions)).toEqual(
    expect.arrayContaining([METRIC_SERVICES.validator, METRIC_SERVICES.notifier]),
  );
});
