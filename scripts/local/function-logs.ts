/**
 * Local stand-in for CloudWatch Logs: collects the functions' structured Powertools log records.
 *
 * With POWERTOOLS_DEV set, the Powertools Logger writes through the global `console` (instead
 * of its own stdout stream), so wrapping the console methods sees every record the handlers
 * write; anything that is not a Powertools JSON record passes through untouched.
 * https://docs.powertools.aws.dev/lambda/typescript/latest/core/logger/#using-multiple-logger-instances-across-your-code
 */
export interface FunctionLogRecord {
  readonly level: string;
  readonly message: string;
  readonly service?: string;
  readonly [key: string]: unknown;
}

export interface FunctionLogs {
  readonly records: readonly FunctionLogRecord[];
  /** Puts the console back as it was. */
  restore(): void;
}

const METHODS = ["debug", "info", "warn", "error", "trace"] as const;

export function captureFunctionLogs(echo?: (line: string) => void): FunctionLogs {
  const records: FunctionLogRecord[] = [];
  const originals = METHODS.map((method) => [method, console[method]] as const);
  for (const [method, original] of originals) {
    console[method] = (...args: unknown[]) => {
      const record = args.length === 1 ? asLogRecord(args[0]) : undefined;
      if (!record) {
        original.apply(console, args);
        return;
      }
      records.push(record);
      echo?.(JSON.stringify(record));
    };
  }
  return {
    records,
    restore() {
      for (const [method, original] of originals) console[method] = original;
    },
  };
}

function asLogRecord(value: unknown): FunctionLogRecord | undefined {
  if (typeof value !== "string" || !value.trimStart().startsWith("{")) return undefined;
  try {
    const parsed = JSON.parse(value) as Partial<FunctionLogRecord>;
    return typeof parsed.level === "string" && typeof parsed.message === "string"
      ? (parsed as FunctionLogRecord)
      : undefined;
  } catch {
    return undefined;
  }
}
