/**
 * `npm run status -- --stage <stage>`: is anything wrong right now, and what has the pipeline
 * done lately? Queue and dead-letter depths with their oldest message's age, the alarms in
 * ALARM, verdict and alert counts over the last hours (CloudWatch metrics), the last audit.
 * Read-only: it receives no message and changes nothing.
 */
import {
  type CloudWatchClient,
  DescribeAlarmsCommand,
  GetMetricDataCommand,
  type MetricDataQuery,
} from "@aws-sdk/client-cloudwatch";
import { GetQueueAttributesCommand, type SQSClient } from "@aws-sdk/client-sqs";
import type { RequiredOutput } from "../../resources/stack-outputs.ts";
import {
  METRIC_SERVICES,
  METRICS,
  METRICS_NAMESPACE,
  type MetricService,
  outcomeMetric,
} from "../../shared/contracts/metrics.ts";
import { describeError } from "../../shared/errors.ts";
import { formatDuration, table, truncate } from "../../shared/text.ts";
import { type Outcome, VERDICTS, type Verdict } from "../../shared/verdicts.ts";
import {
  type CliIo,
  DEPLOYMENT_HELP,
  DEPLOYMENT_OPTIONS,
  type Deployment,
  openDeployment,
  parseCommandLine,
  parseCount,
  runCommand,
} from "./cli.ts";
import { EXIT, explainAwsError, UsageError } from "./errors.ts";
import { optionalOutput, requireOutput, stackNameFor } from "./stack-outputs.ts";

const DEFAULT_HOURS = 24;
/** A queue's age metric counts as current when it is this recent. */
const AGE_LOOKBACK_SECONDS = 15 * 60;
/** The audit runs at least weekly; look back a little further. */
const AUDIT_LOOKBACK_DAYS = 8;

export const STATUS_HELP = `Usage: npm run status -- [--stage <stage>] [--hours N] [--json]

What is wrong right now, and what the pipeline did lately, in one screen:
  - each queue and dead-letter queue: messages waiting, in flight, and the oldest one's age;
  - the stage's CloudWatch alarms in ALARM (of how many);
  - over the last N hours (CloudWatch metrics): the validator's verdicts, alerts sent,
    duplicate reports suppressed, failed publishes and records;
  - the last audit's result, or "no audit yet".
Read-only: no message is received, nothing is changed.

Options:
  --hours <n>   Count metrics over the last n hours (default ${DEFAULT_HOURS}, at most 360).
  --json        Print the status as JSON on stdout.

The caller needs cloudformation:DescribeStacks, sqs:GetQueueAttributes, cloudwatch:GetMetricData
and cloudwatch:DescribeAlarms. Against the local stack (--stage local while npm start runs) the
metrics come from its CloudWatch stand-in, and there are no alarms.

${DEPLOYMENT_HELP}

Exit codes: 0 nothing needs attention; 1 an alarm is in ALARM or a dead-letter queue holds
messages; 2 bad arguments; 3 stack, credentials or endpoint problem.
`;

export interface QueueStatus {
  readonly queue: string;
  readonly name: string;
  readonly waiting: number;
  readonly inFlight: number;
  readonly delayed: number;
  /** Seconds; undefined when CloudWatch has no recent value. */
  readonly oldestAgeSeconds?: number;
  readonly deadLetters: boolean;
}

export interface AlarmStatus {
  readonly name: string;
  readonly since?: string;
  readonly reason?: string;
}

export interface StatusReport {
  readonly stage: string;
  readonly region: string;
  readonly at: string;
  readonly hours: number;
  readonly queues: readonly QueueStatus[];
  readonly alarms:
    | { readonly total: number; readonly inAlarm: readonly AlarmStatus[] }
    | { readonly error: string };
  readonly metrics:
    | {
        readonly verdicts: Readonly<Partial<Record<Verdict, number>>>;
        readonly alertsPublished: number;
        readonly duplicateReportsSuppressed: number;
        readonly alertPublishFailures: number;
        readonly alertStoreErrors: number;
        readonly recordsFailed: Readonly<Record<"validator" | "notifier", number>>;
      }
    | { readonly error: string };
  readonly audit:
    | { readonly at: string; readonly objectsChecked: number; readonly problems: number }
    | { readonly error: string }
    | null;
  /** What needs attention, in words; empty when nothing does. */
  readonly attention: readonly string[];
}

/** `npm run status -- ...` */
export async function statusMain(argv: readonly string[], io: CliIo): Promise<number> {
  return runCommand(io, "Run 'npm run status -- --help' for the options.", async () => {
    const { values } = parseCommandLine(
      argv,
      {
        ...DEPLOYMENT_OPTIONS,
        hours: { type: "string" },
        json: { type: "boolean", default: false },
      },
      false,
    );
    if (values.help) {
      io.stdout.write(STATUS_HELP);
      return EXIT.ok;
    }
    const hours = parseCount("--hours", values.hours) ?? DEFAULT_HOURS;
    if (hours > 360) throw new UsageError(`--hours must be at most 360 (got ${hours})`);
    const deployment = await openDeployment(values, io);
    try {
      const report = await readStatus(deployment, { hours, now: io.now() });
      io.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : renderStatus(report));
      return report.attention.length > 0 ? EXIT.problem : EXIT.ok;
    } finally {
      deployment.clients.destroy();
    }
  });
}

const QUEUES: readonly {
  readonly queue: string;
  readonly output: RequiredOutput;
  readonly deadLetters: boolean;
}[] = [
  { queue: "validation", output: "ValidationQueueUrl", deadLetters: false },
  { queue: "validation DLQ", output: "ValidationDlqUrl", deadLetters: true },
  { queue: "failure", output: "FailureQueueUrl", deadLetters: false },
  { queue: "failure DLQ", output: "FailureDlqUrl", deadLetters: true },
];

export async function readStatus(
  deployment: Deployment,
  options: { readonly hours: number; readonly now: Date },
): Promise<StatusReport> {
  const { outputs, clients, stage } = deployment;
  const queues = QUEUES.map((entry) => {
    const url = requireOutput(outputs, entry.output);
    return { ...entry, url, name: new URL(url).pathname.split("/").pop() ?? url };
  });
  const depths = await Promise.all(queues.map((queue) => queueDepth(clients.sqs, queue.url)));
  const metrics = await attempt(() =>
    readMetrics(clients.cloudWatch, queues, options.hours, options.now),
  );
  const alarms = await attempt(() =>
    readAlarms(
      clients.cloudWatch,
      optionalOutput(outputs, "AlarmNamePrefix") ?? `${stackNameFor(stage)}-`,
    ),
  );
  const audit = await attempt(() => readLastAudit(clients.cloudWatch, options.now));

  const queueStatus: QueueStatus[] = queues.map((queue, index) => ({
    queue: queue.queue,
    name: queue.name,
    ...(depths[index] ?? { waiting: 0, inFlight: 0, delayed: 0 }),
    ...("ages" in metrics && metrics.ages[index] !== undefined
      ? { oldestAgeSeconds: metrics.ages[index] }
      : {}),
    deadLetters: queue.deadLetters,
  }));
  const attention: string[] = [];
  for (const queue of queueStatus) {
    const held = queue.waiting + queue.inFlight + queue.delayed;
    if (queue.deadLetters && held > 0) {
      attention.push(`${held} message(s) in the ${queue.queue}`);
    }
  }
  if ("inAlarm" in alarms && alarms.inAlarm.length > 0) {
    attention.push(`${alarms.inAlarm.length} alarm(s) in ALARM`);
  }
  return {
    stage,
    region: deployment.region,
    at: options.now.toISOString(),
    hours: options.hours,
    queues: queueStatus,
    alarms,
    metrics: "error" in metrics ? metrics : metrics.counts,
    audit,
    attention,
  };
}

async function attempt<T extends object | null>(
  read: () => Promise<T>,
): Promise<T | { error: string }> {
  try {
    return await read();
  } catch (error) {
    return { error: describeError(explainAwsError(error, "reading CloudWatch")) };
  }
}

async function queueDepth(sqs: SQSClient, url: string) {
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: url,
      AttributeNames: [
        "ApproximateNumberOfMessages",
        "ApproximateNumberOfMessagesNotVisible",
        "ApproximateNumberOfMessagesDelayed",
      ],
    }),
  );
  return {
    waiting: Number(Attributes.ApproximateNumberOfMessages ?? 0),
    inFlight: Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0),
    delayed: Number(Attributes.ApproximateNumberOfMessagesDelayed ?? 0),
  };
}

/** The validator's own outcomes: every verdict it can log and count. */
const VALIDATOR_VERDICTS = (Object.keys(VERDICTS) as Verdict[]).filter(
  (verdict): verdict is Outcome => VERDICTS[verdict].origin === "validator",
);

const custom = (id: string, service: MetricService, name: string, period: number, stat = "Sum") =>
  ({
    Id: id,
    MetricStat: {
      Metric: {
        Namespace: METRICS_NAMESPACE,
        MetricName: name,
        Dimensions: [{ Name: "service", Value: service }],
      },
      Period: period,
      Stat: stat,
    },
  }) satisfies MetricDataQuery;

async function readMetrics(
  cloudWatch: CloudWatchClient,
  queues: readonly { readonly name: string }[],
  hours: number,
  now: Date,
) {
  const period = 3600;
  const counters = {
    alertsPublished: custom("alerts", METRIC_SERVICES.notifier, METRICS.alertsPublished, period),
    duplicateReportsSuppressed: custom(
      "duplicates",
      METRIC_SERVICES.notifier,
      METRICS.duplicateReportsSuppressed,
      period,
    ),
    alertPublishFailures: custom(
      "publishfailures",
      METRIC_SERVICES.notifier,
      METRICS.alertPublishFailures,
      period,
    ),
    alertStoreErrors: custom(
      "storeerrors",
      METRIC_SERVICES.notifier,
      METRICS.alertStoreErrors,
      period,
    ),
    validatorFailed: custom(
      "validatorfailed",
      METRIC_SERVICES.validator,
      METRICS.recordsFailed,
      period,
    ),
    notifierFailed: custom(
      "notifierfailed",
      METRIC_SERVICES.notifier,
      METRICS.recordsFailed,
      period,
    ),
  };
  const verdictQueries = VALIDATOR_VERDICTS.map((verdict, index) =>
    custom(`verdict${index}`, METRIC_SERVICES.validator, outcomeMetric(verdict), period),
  );
  const sums = await getMetricData(
    cloudWatch,
    [...Object.values(counters), ...verdictQueries],
    new Date(now.getTime() - hours * 3600 * 1000),
    now,
  );
  const ageQueries = queues.map(
    (queue, index) =>
      ({
        Id: `age${index}`,
        MetricStat: {
          Metric: {
            Namespace: "AWS/SQS",
            MetricName: "ApproximateAgeOfOldestMessage",
            Dimensions: [{ Name: "QueueName", Value: queue.name }],
          },
          Period: 60,
          Stat: "Maximum",
        },
      }) satisfies MetricDataQuery,
  );
  const ages = await getMetricData(
    cloudWatch,
    ageQueries,
    new Date(now.getTime() - AGE_LOOKBACK_SECONDS * 1000),
    now,
  );
  const total = (id: string) => (sums.get(id) ?? []).reduce((sum, point) => sum + point.value, 0);
  const verdicts: Partial<Record<Verdict, number>> = {};
  VALIDATOR_VERDICTS.forEach((verdict, index) => {
    const count = total(`verdict${index}`);
    if (count > 0) verdicts[verdict] = count;
  });
  return {
    ages: ageQueries.map((query) => ages.get(query.Id)?.[0]?.value),
    counts: {
      verdicts,
      alertsPublished: total("alerts"),
      duplicateReportsSuppressed: total("duplicates"),
      alertPublishFailures: total("publishfailures"),
      alertStoreErrors: total("storeerrors"),
      recordsFailed: { validator: total("validatorfailed"), notifier: total("notifierfailed") },
    },
  };
}

/** Datapoints per query id, newest first. */
async function getMetricData(
  cloudWatch: CloudWatchClient,
  queries: readonly MetricDataQuery[],
  start: Date,
  end: Date,
): Promise<Map<string, { at: Date; value: number }[]>> {
  const points = new Map<string, { at: Date; value: number }[]>();
  let nextToken: string | undefined;
  do {
    const response = await cloudWatch.send(
      new GetMetricDataCommand({
        MetricDataQueries: [...queries],
        StartTime: start,
        EndTime: end,
        ScanBy: "TimestampDescending",
        NextToken: nextToken,
      }),
    );
    for (const result of response.MetricDataResults ?? []) {
      const list = points.get(result.Id ?? "") ?? [];
      (result.Timestamps ?? []).forEach((at, index) => {
        list.push({ at, value: result.Values?.[index] ?? 0 });
      });
      points.set(result.Id ?? "", list);
    }
    nextToken = response.NextToken;
  } while (nextToken);
  for (const list of points.values()) list.sort((a, b) => b.at.getTime() - a.at.getTime());
  return points;
}

async function readAlarms(cloudWatch: CloudWatchClient, prefix: string) {
  const all: { name: string; state?: string; since?: Date; reason?: string }[] = [];
  let nextToken: string | undefined;
  do {
    const response = await cloudWatch.send(
      new DescribeAlarmsCommand({
        AlarmNamePrefix: prefix,
        AlarmTypes: ["MetricAlarm", "CompositeAlarm"],
        NextToken: nextToken,
      }),
    );
    for (const alarm of [...(response.MetricAlarms ?? []), ...(response.CompositeAlarms ?? [])]) {
      all.push({
        name: alarm.AlarmName ?? "",
        state: alarm.StateValue,
        since: alarm.StateUpdatedTimestamp,
        reason: alarm.StateReason,
      });
    }
    nextToken = response.NextToken;
  } while (nextToken);
  return {
    total: all.length,
    inAlarm: all
      .filter((alarm) => alarm.state === "ALARM")
      .map((alarm) => ({
        name: alarm.name,
        ...(alarm.since ? { since: alarm.since.toISOString() } : {}),
        ...(alarm.reason ? { reason: alarm.reason } : {}),
      })),
  };
}

/**
 * The last audit's counts. They add up (shared/contracts/metrics.ts): `npm run audit` sends a
 * run's totals at once, the scheduled audit's worker 1 per object for as long as its job runs, so
 * the last audit is the newest hour with data and the hours before it without a gap, summed.
 */
async function readLastAudit(cloudWatch: CloudWatchClient, now: Date) {
  const period = 3600;
  const points = await getMetricData(
    cloudWatch,
    [
      custom("checked", METRIC_SERVICES.audit, METRICS.auditObjectsChecked, period),
      custom("problems", METRIC_SERVICES.audit, METRICS.auditProblems, period),
    ],
    new Date(now.getTime() - AUDIT_LOOKBACK_DAYS * 86_400 * 1000),
    now,
  );
  const checked = lastRun(points.get("checked") ?? [], period);
  const [newest] = checked;
  if (!newest) return null;
  const hours = new Set(checked.map((point) => point.at.getTime()));
  const problems = (points.get("problems") ?? []).filter((point) => hours.has(point.at.getTime()));
  const sum = (list: readonly { value: number }[]) =>
    list.reduce((total, point) => total + point.value, 0);
  return {
    at: newest.at.toISOString(),
    objectsChecked: sum(checked),
    problems: sum(problems),
  };
}

/** The newest point and those before it, each one period from the next (newest first). */
function lastRun<T extends { at: Date }>(newestFirst: readonly T[], periodSeconds: number): T[] {
  const run: T[] = [];
  for (const point of newestFirst) {
    const later = run.at(-1);
    if (later && later.at.getTime() - point.at.getTime() > periodSeconds * 1000) break;
    run.push(point);
  }
  return run;
}

export function renderStatus(report: StatusReport): string {
  const out: string[] = [
    `backup-validator status: stage ${report.stage}, ${report.region}, ${report.at}`,
    "",
    "QUEUES",
    ...table(
      [
        ["", "waiting", "in flight", "delayed", "oldest"],
        ...report.queues.map((queue) => [
          queue.queue,
          String(queue.waiting),
          String(queue.inFlight),
          String(queue.delayed),
          queue.oldestAgeSeconds === undefined ? "-" : formatDuration(queue.oldestAgeSeconds),
        ]),
      ],
      { indent: "  " },
    ),
  ];
  const deadLetters = report.queues.filter(
    (queue) => queue.deadLetters && queue.waiting + queue.inFlight + queue.delayed > 0,
  );
  for (const queue of deadLetters) {
    const which = queue.queue.startsWith("validation") ? "validation" : "failure";
    out.push(`  ${queue.queue}: npm run dlq -- inspect --stage ${report.stage} --queue ${which}`);
  }
  out.push("");
  if ("error" in report.alarms) {
    out.push(`ALARMS: could not be read (${report.alarms.error})`);
  } else if (report.alarms.total === 0) {
    out.push("ALARMS: none exist on this endpoint (the local stack has no CloudWatch alarms)");
  } else {
    out.push(`ALARMS: ${report.alarms.inAlarm.length} of ${report.alarms.total} in ALARM`);
    for (const alarm of report.alarms.inAlarm) {
      out.push(`  ${alarm.name}${alarm.since ? `  since ${alarm.since}` : ""}`);
      if (alarm.reason) out.push(`    ${truncate(alarm.reason, 160)}`);
    }
  }
  out.push("", `LAST ${report.hours} H (CloudWatch metrics)`);
  if ("error" in report.metrics) {
    out.push(`  not available: ${report.metrics.error}`);
  } else {
    const m = report.metrics;
    const verdicts = Object.entries(m.verdicts).map(
      ([verdict, count]) => `${verdict} ${count.toLocaleString("en-US")}`,
    );
    out.push(
      ...table(
        [
          ["verdicts", verdicts.length > 0 ? verdicts.join(", ") : "none"],
          [
            "alerts",
            `${m.alertsPublished} sent, ${m.duplicateReportsSuppressed} duplicate report(s) suppressed, ${m.alertPublishFailures} publish failure(s)${m.alertStoreErrors > 0 ? `, ${m.alertStoreErrors} alerts-sent store error(s)` : ""}`,
          ],
          [
            "failed records",
            `validator ${m.recordsFailed.validator}, notifier ${m.recordsFailed.notifier} (retried by SQS)`,
          ],
        ],
        { indent: "  " },
      ),
    );
  }
  out.push("", "LAST AUDIT");
  if (report.audit === null) out.push("  no audit yet");
  else if ("error" in report.audit) out.push(`  not available: ${report.audit.error}`);
  else {
    out.push(
      `  ${report.audit.at}: ${report.audit.objectsChecked.toLocaleString("en-US")} objects checked, ${report.audit.problems} problem(s)`,
    );
  }
  out.push(
    "",
    report.attention.length === 0
      ? "Nothing needs attention."
      : `Needs attention: ${report.attention.join("; ")}.`,
  );
  return `${out.join("\n")}\n`;
}
