/**
 * Local stand-in for CloudWatch Logs: collects the functions' structured Powertools log records,
 * and the metric documents (EMF) Powertools Metrics writes, which CloudWatch would turn into
 * metrics (the local CloudWatch stand-in, cloudwatch.ts, serves them).
 *
 * With POWERTOOLS_DEV set, the Powertools Logger and Metrics write through the global `console`
 * (instead of their own stdout stream), so wrapping the console methods sees every record the
 * handlers write; anything that is not a Powertools JSON record passes through untouched.
 * https://docs.powertools.aws.dev/lambda/typescript/latest/core/logger/#using-multiple-logger-instances-across-your-code
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
 */
export interface FunctionLogRecord {
  readonly level: string;
  readonly message: string;
  readonly service?: string;
  readonly [key: string]: unknown;
}

/** An EMF document: `_aws` says which of its fields are metrics, under which dimensions. */
export interface MetricDocument {
  readonly _aws: {
    readonly Timestamp: number;
    readonly CloudWatchMetrics: readonly {
      readonly Namespace: string;
      readonly Dimensions: readonly (readonly string[])[];
      readonly Metrics: readonly { readonly Name: string; readonly Unit?: string }[];
    }[];
  };
  readonly [field: string]: unknown;
}

export interface FunctionLogs {
  readonly records: readonly FunctionLogRecord[];
  readonly metrics: readonly MetricDocument[];
  /** Puts the console back as it was. */
  restore(): void;
}

const METHODS = ["log", "debug", "info", "warn", "error", "trace"] as const;

export function captureFunctionLogs(
  echo?: (line: string) => void,
  onRecord?: (record: FunctionLogRecord) => void,
): FunctionLogs {
  const records: FunctionLogRecord[] = [];
  const metrics: MetricDocument[] = [];
  const originals = METHODS.map((method) => [method, console[method]] as const);
  for (const [method, original] of originals) {
    console[method] = (...args: unknown[]) => {
      const parsed = args.length === 1 ? parseRecord(args[0]) : undefined;
      if (parsed?.kind === "metrics") {
        metrics.push(parsed.document);
        return;
      }
      if (!parsed) {
        original.apply(console, args);
        return;
      }
      records.push(parsed.record);
      echo?.(JSON.stringify(parsed.record));
      onRecord?.(parsed.record);
    };
  }
  return {
    records,
    metrics,
    restore() {
      for (const [method, original] of originals) console[method] = original;
    },
  };
}

type Parsed =
  | { readonly kind: "log"; readonly record: FunctionLogRecord }
  | { readonly kind: "metrics"; readonly document: MetricDocument };

function parseRecord(value: unknown): Parsed | undefined {
  if (typeof value !== "string" || !value.trimStart().startsWith("{")) return undefined;
  try {
    const parsed = JSON.parse(value) as Partial<FunctionLogRecord> & Partial<MetricDocument>;
    if (Array.isArray(parsed._aws?.CloudWatchMetrics)) {
      return { kind: "metrics", document: parsed as MetricDocument };
    }
    return typeof parsed.level === "string" && typeof parsed.message === "string"
      ? { kind: "log", record: parsed as FunctionLogRecord }
      : undefined;
  } catch {
    return undefined;
  }
}
