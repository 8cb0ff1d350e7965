/** The stage's CloudWatch dashboard. */
import type { ResourceNames } from "../../settings.ts";
import type { StackInputs } from "../inputs.ts";
import { type Resource, sub } from "../intrinsics.ts";
import { replicationRuleId } from "./logical-ids.ts";

export function dashboard(inputs: StackInputs, names: ResourceNames): Resource {
  const region = `\${AWS::Region}`;
  const widget = (title: string, metrics: unknown[][], y: number, x: number) => ({
    type: "metric",
    x,
    y,
    width: 12,
    height: 6,
    properties: { title, region, view: "timeSeries", stat: "Sum", period: 300, metrics },
  });
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
      { stat },
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
  const body = {
    widgets: [
      widget(
        "Queue depth",
        [
          sqs("ApproximateNumberOfMessagesVisible", names.validationQueue, "Maximum"),
          sqs("ApproximateNumberOfMessagesVisible", names.failureQueue, "Maximum"),
        ],
        0,
        0,
      ),
      widget(
        "Dead-letter queues",
        [
          sqs("ApproximateNumberOfMessagesVisible", names.validationDlq, "Maximum"),
          sqs("ApproximateNumberOfMessagesVisible", names.failureDlq, "Maximum"),
        ],
        0,
        12,
      ),
      widget(
        "Oldest validation message (s)",
        [sqs("ApproximateAgeOfOldestMessage", names.validationQueue, "Maximum")],
        6,
        0,
      ),
      widget("Function errors", lambda("Errors", "Sum"), 6, 12),
      widget("Replication latency (s)", replication("ReplicationLatency", "Maximum"), 12, 0),
      widget("Failed replications", replication("OperationsFailedReplication", "Sum"), 12, 12),
    ],
  };
  return {
    Type: "AWS::CloudWatch::Dashboard",
    Properties: {
      DashboardName: `${names.dashboard}`,
      // Bucket names carry ${AWS::AccountId}; the JSON body is substituted as a whole.
      DashboardBody: sub(JSON.stringify(body)),
    },
    Metadata: { stage: inputs.stage },
  };
}
