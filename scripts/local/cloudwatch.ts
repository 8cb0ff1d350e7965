/**
 * Local stand-in for CloudWatch, as far as `npm run status` reads it: GetMetricData over the
 * functions' own metrics (the EMF documents the CloudWatch Logs stand-in collected), over what
 * PutMetricData published (`npm run audit`'s result) and over the queues'
 * ApproximateAgeOfOldestMessage / ApproximateNumberOfMessagesVisible (measured now on the
 * emulator), and DescribeAlarms, which answers that there are no alarms: the local stack has
 * none. It speaks the protocol the SDK's CloudWatch client uses (AWS JSON 1.0), so the
 * status command runs the same code against it as against AWS.
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricData.html
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { MetricDocument } from "./function-logs.ts";

/** Messages on the queue (all states) and the oldest one's send time (ms), if any. */
export type QueueProbe = (
  queueName: string,
) => { readonly messages: number; readonly oldestSentAt?: number } | undefined;

export interface CloudWatchStandIn {
  readonly endpoint: string;
  stop(): Promise<void>;
}

interface MetricQuery {
  readonly Id: string;
  readonly Label?: string;
  readonly MetricStat?: {
    readonly Metric: {
      readonly Namespace: string;
      readonly MetricName: string;
      readonly Dimensions?: readonly { readonly Name: string; readonly Value: string }[];
    };
    readonly Period: number;
    readonly Stat: string;
  };
}

const TARGET_PREFIX = "GraniteServiceVersion20100801.";

export async function startCloudWatchStandIn(options: {
  readonly metrics: readonly MetricDocument[];
  readonly queue: QueueProbe;
  readonly now?: () => number;
}): Promise<CloudWatchStandIn> {
  const now = options.now ?? Date.now;
  /** What PutMetricData published, kept in the shape of the functions' EMF documents. */
  const published: MetricDocument[] = [];
  const server = createServer((request, response) => {
    void handle(request, response).catch((error: unknown) =>
      reply(response, 500, {
        __type: "InternalFailure",
        message: error instanceof Error ? error.message : String(error),
      }),
    );
  });
  async function handle(request: IncomingMessage, response: ServerResponse) {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}");
    const operation = String(request.headers["x-amz-target"] ?? "").replace(TARGET_PREFIX, "");
    if (operation === "DescribeAlarms") return reply(response, 200, { MetricAlarms: [] });
    if (operation === "PutMetricData") {
      published.push(...asDocuments(body as PutMetricData, now()));
      return reply(response, 200, {});
    }
    if (operation === "GetMetricData") {
      const queries = (body.MetricDataQueries ?? []) as MetricQuery[];
      const range = { start: Number(body.StartTime) * 1000, end: Number(body.EndTime) * 1000 };
      return reply(response, 200, {
        MetricDataResults: queries.map((query) => answer(query, range)),
        Messages: [],
      });
    }
    return reply(response, 400, {
      __type: "InvalidAction",
      message: `the local CloudWatch stand-in does not serve ${operation || "this request"}`,
    });
  }

  function answer(query: MetricQuery, range: { start: number; end: number }) {
    const stat = query.MetricStat;
    const empty = { Id: query.Id, Label: query.Label ?? query.Id, StatusCode: "Complete" };
    if (!stat) return { ...empty, Timestamps: [], Values: [] };
    const { Namespace, MetricName, Dimensions = [] } = stat.Metric;
    const periodMs = stat.Period * 1000;
    const samples: { at: number; value: number }[] = [];
    if (Namespace === "AWS/SQS") {
      const queueName = Dimensions.find((dimension) => dimension.Name === "QueueName")?.Value;
      const queue = queueName ? options.queue(queueName) : undefined;
      // Measured now, reported as the range's latest moment (a query ends at "now" too).
      const at = Math.min(now(), range.end - 1);
      if (queue && MetricName === "ApproximateNumberOfMessagesVisible") {
        samples.push({ at, value: queue.messages });
      }
      if (queue?.oldestSentAt !== undefined && MetricName === "ApproximateAgeOfOldestMessage") {
        samples.push({ at, value: Math.round((at - queue.oldestSentAt) / 1000) });
      }
    } else {
      for (const document of [...options.metrics, ...published]) {
        const at = document._aws.Timestamp;
        if (!emits(document, Namespace, MetricName, Dimensions)) continue;
        for (const value of [document[MetricName]].flat()) {
          if (typeof value === "number") samples.push({ at, value });
        }
      }
    }
    // One datapoint per period, newest first (GetMetricData's default order).
    const buckets = new Map<number, number[]>();
    for (const sample of samples) {
      if (sample.at < range.start || sample.at >= range.end) continue;
      const bucket = range.start + Math.floor((sample.at - range.start) / periodMs) * periodMs;
      buckets.set(bucket, [...(buckets.get(bucket) ?? []), sample.value]);
    }
    const timestamps = [...buckets.keys()].sort((a, b) => b - a);
    return {
      ...empty,
      Timestamps: timestamps.map((at) => at / 1000),
      Values: timestamps.map((at) => statistic(stat.Stat, buckets.get(at) ?? [])),
    };
  }

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

interface PutMetricData {
  readonly Namespace: string;
  readonly MetricData?: readonly {
    readonly MetricName: string;
    readonly Dimensions?: readonly { readonly Name: string; readonly Value: string }[];
    readonly Value?: number;
    /** Epoch seconds. */
    readonly Timestamp?: number;
    readonly Unit?: string;
  }[];
}

/** Each published datum as the EMF document that would carry it. */
function asDocuments(request: PutMetricData, now: number): MetricDocument[] {
  return (request.MetricData ?? []).map((datum) => {
    const dimensions = datum.Dimensions ?? [];
    return {
      _aws: {
        Timestamp: datum.Timestamp === undefined ? now : datum.Timestamp * 1000,
        CloudWatchMetrics: [
          {
            Namespace: request.Namespace,
            Dimensions: [dimensions.map((dimension) => dimension.Name)],
            Metrics: [{ Name: datum.MetricName, ...(datum.Unit ? { Unit: datum.Unit } : {}) }],
          },
        ],
      },
      ...Object.fromEntries(dimensions.map((dimension) => [dimension.Name, dimension.Value])),
      [datum.MetricName]: datum.Value,
    };
  });
}

/** Whether the document carries the metric under exactly these dimensions. */
function emits(
  document: MetricDocument,
  namespace: string,
  metricName: string,
  dimensions: readonly { readonly Name: string; readonly Value: string }[],
): boolean {
  const wanted = dimensions.map((dimension) => dimension.Name).sort();
  return document._aws.CloudWatchMetrics.some(
    (directive) =>
      directive.Namespace === namespace &&
      directive.Metrics.some((metric) => metric.Name === metricName) &&
      directive.Dimensions.some(
        (set) =>
          [...set].sort().join() === wanted.join() &&
          dimensions.every((dimension) => document[dimension.Name] === dimension.Value),
      ),
  );
}

function statistic(stat: string, values: readonly number[]): number {
  const sum = values.reduce((total, value) => total + value, 0);
  switch (stat) {
    case "Maximum":
      return Math.max(...values);
    case "Minimum":
      return Math.min(...values);
    case "SampleCount":
      return values.length;
    case "Average":
      return sum / values.length;
    default:
      return sum;
  }
}

function reply(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { "content-type": "application/x-amz-json-1.0" });
  response.end(JSON.stringify(body));
}
