/**
 * The stage's CloudWatch dashboard: the alarms' states first, then what the pipeline did
 * (verdicts, alerts, observed replication lag), what failed, how old the queues' messages are,
 * deep verification's bytes and the last audit.
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/CloudWatch-Dashboard-Body-Structure.html
 */
import {
  METRIC_SERVICES,
  METRICS,
  METRICS_NAMESPACE,
  type MetricService,
  outcomeMetric,
} from "../../../shared/contracts/metrics.ts";
import { type Outcome, VERDICTS, type Verdict } from "../../../shared/verdicts.ts";
import type { ResourceNames } from "../../settings.ts";
import type { StackInputs } from "../inputs.ts";
import { type Resource, sub } from "../intrinsics.ts";
import { replicationRuleId } from "./logical-ids.ts";

/** The validator's verdicts (every one it counts as Outcome.<VERDICT>). */
const VALIDATOR_VERDICTS = (Object.keys(VERDICTS) as Verdict[]).filter(
  (verdict): verdict is Outcome => VERDICTS[verdict].origin === "validator",
);

export function dashboard(
  inputs: StackInputs,
  names: ResourceNames,
  alarmNames: readonly string[],
): Resource {
  const region = `\${AWS::Region}`;
  const width = 12;
  let row = 0;
  let column = 0;
  const widgets: unknown[] = [];
  /** Two widgets a row, in the order given; a full-width one takes a row of its own. */
  const place = (widget: Record<string, unknown>, fullWidth = false) => {
    if (fullWidth && column > 0) [row, column] = [row + 6, 0];
    widgets.push({ ...widget, x: column, y: row, width: fullWidth ? 24 : width, height: 6 });
    if (fullWidth || column > 0) [row, column] = [row + 6, 0];
    else column = width;
  };
  const graph = (title: string, metrics: unknown[][], options: Record<string, unknown> = {}) => ({
    type: "metric",
    properties: {
      title,
      region,
      view: "timeSeries",
      stat: "Sum",
      period: 300,
      metrics,
      ...options,
    },
  });
  const custom = (service: MetricService, metric: string, label: string, stat = "Sum") => [
    METRICS_NAMESPACE,
    metric,
    "service",
    service,
    { stat, label },
  ];
  const sqs = (metric: string, queue: string, stat: string) => [
    "AWS/SQS",
    metric,
    "QueueName",
    queue,
    { stat, label: queue },
  ];
  const lambda = (metric: string, stat: string) =>
    Object.values(names.functions).map((fn) => [
      "AWS/Lambda",
      metric,
      "FunctionName",
      fn,
      { stat, label: `${fn} ${metric}` },
    ]);
  const replication = (metric: string, stat: string) =>
    names.buckets.map((pair) => [
      "AWS/S3",
      metric,
      "SourceBucket",
      pair.primaryBucket,
      "DestinationBucket",
      pair.replicaBucket,
      "RuleId",
      replicationRuleId(pair.category),
      { stat, label: pair.category },
    ]);
  const queues = [names.validationQueue, names.validationDlq, names.failureQueue, names.failureDlq];

  place(
    {
      type: "alarm",
      properties: {
        title: "Alarms (the alarm topic is told of each change)",
        alarms: alarmNames.map(
          (name) => `arn:aws:cloudwatch:${region}:\${AWS::AccountId}:alarm:${name}`,
        ),
        sortBy: "stateUpdatedTimestamp",
      },
    },
    true,
  );
  place(
    graph(
      "Verdicts per 5 minutes (checksum-validator)",
      VALIDATOR_VERDICTS.map((verdict) =>
        custom(METRIC_SERVICES.validator, outcomeMetric(verdict), verdict),
      ),
      { stacked: true },
    ),
  );
  place(
    graph("Alerts (failure-notifier)", [
      custom(METRIC_SERVICES.notifier, METRICS.alertsPublished, "alerts published"),
      custom(METRIC_SERVICES.notifier, METRICS.messagesAlerted, "reports alerted"),
      custom(
        METRIC_SERVICES.notifier,
        METRICS.duplicateReportsSuppressed,
        "duplicate reports suppressed",
      ),
    ]),
  );
  place(
    graph(
      "Replication lag observed (s): upload to verified match, and S3's own",
      [
        custom(METRIC_SERVICES.validator, METRICS.replicationLagObserved, "observed p50", "p50"),
        custom(METRIC_SERVICES.validator, METRICS.replicationLagObserved, "observed p99", "p99"),
        custom(
          METRIC_SERVICES.validator,
          METRICS.replicationLagObserved,
          "observed max",
          "Maximum",
        ),
        ...replication("ReplicationLatency", "Maximum"),
      ],
      { stat: "Maximum" },
    ),
  );
  place(
    graph("Failures", [
      custom(METRIC_SERVICES.validator, METRICS.recordsFailed, "validator records failed"),
      custom(METRIC_SERVICES.notifier, METRICS.recordsFailed, "notifier records failed"),
      custom(METRIC_SERVICES.notifier, METRICS.alertPublishFailures, "alert publish failures"),
      custom(METRIC_SERVICES.notifier, METRICS.alertStoreErrors, "alerts-sent store errors"),
      ...lambda("Errors", "Sum"),
      ...lambda("Throttles", "Sum"),
      ...replication("OperationsFailedReplication", "Sum"),
    ]),
  );
  place(
    graph(
      "Oldest message per queue (s)",
      queues.map((queue) => sqs("ApproximateAgeOfOldestMessage", queue, "Maximum")),
      { stat: "Maximum" },
    ),
  );
  place(
    graph(
      "Messages per queue",
      queues.map((queue) => sqs("ApproximateNumberOfMessagesVisible", queue, "Maximum")),
      { stat: "Maximum" },
    ),
  );
  place(
    graph("Deep verification: bytes read", [
      custom(METRIC_SERVICES.validator, METRICS.deepVerificationBytes, "bytes read"),
    ]),
  );
  // Audit counts add up (a run's totals are their Sum over its time, shared/contracts/metrics.ts):
  // the whole range in one figure, and per hour to see the runs themselves.
  const auditCounts = [
    custom(METRIC_SERVICES.audit, METRICS.auditObjectsChecked, "objects checked"),
    custom(METRIC_SERVICES.audit, METRICS.auditProblems, "problems found"),
  ];
  place({
    type: "metric",
    properties: {
      title: "Audits in the time range (none until an audit has run)",
      region,
      view: "singleValue",
      stat: "Sum",
      setPeriodToTimeRange: true,
      metrics: auditCounts,
    },
  });
  place(graph("Audit: objects checked and problems found per hour", auditCounts, { period: 3600 }));
  return {
    Type: "AWS::CloudWatch::Dashboard",
    Properties: {
      DashboardName: `${names.dashboard}`,
      // Bucket names carry ${AWS::AccountId}; the JSON body is substituted as a whole.
      DashboardBody: sub(JSON.stringify({ widgets })),
    },
    Metadata: { stage: inputs.stage },
  };
}
