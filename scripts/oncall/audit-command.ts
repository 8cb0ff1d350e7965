/**
 * `npm run audit`: proves every object already in a bucket pair, from a workstation, on the
 * validator's own engine (shared/audit/audit-object.ts). See AUDIT_HELP.
 */
import { randomBytes } from "node:crypto";
import { createWriteStream, type WriteStream } from "node:fs";
import {
  type CloudWatchClient,
  GetMetricStatisticsCommand,
  PutMetricDataCommand,
} from "@aws-sdk/client-cloudwatch";
import { GetBucketEncryptionCommand, type S3Client } from "@aws-sdk/client-s3";
import { settings } from "../../resources/settings.ts";
import type { AuditReportContext } from "../../shared/audit/audit-object.ts";
import type { BucketPair, BucketPairs } from "../../shared/contracts/bucket-pairs.ts";
import { METRIC_SERVICES, METRICS, METRICS_NAMESPACE } from "../../shared/contracts/metrics.ts";
import { isBucketName } from "../../shared/contracts/names.ts";
import { describeError } from "../../shared/errors.ts";
import { UNKNOWN_ENCRYPTION } from "../../shared/integrity/listing.ts";
import { deepVerificationSettings } from "../../shared/integrity/settle.ts";
import { sqsMessageSender } from "../../shared/queues/message-sender.ts";
import { formatDuration, shellQuote, table } from "../../shared/text.ts";
import { AUDIT_VERDICTS, VERDICTS } from "../../shared/verdicts.ts";
import {
  type AuditSummary,
  isProblem,
  type PairSummary,
  pairSummary,
  renderSummary,
  reportLine,
  totalVerdicts,
} from "./audit-report.ts";
import { type AuditScope, type AuditStats, startAudit } from "./audit-run.ts";
import {
  type AwsClients,
  type CliIo,
  DEPLOYMENT_HELP,
  DEPLOYMENT_OPTIONS,
  openDeployment,
  parseCommandLine,
  parseCount,
  runCommand,
  standaloneSettings,
} from "./cli.ts";
import { EnvironmentError, EXIT, explainAwsError, UsageError } from "./errors.ts";
import { createProgress } from "./progress.ts";
import { bucketPairsFrom, requireOutput } from "./stack-outputs.ts";
import { replicationDeadline } from "./verify-command.ts";

const DEFAULT_CONCURRENCY = 16;
const DEFAULT_RATE = 100;

export const AUDIT_HELP = `Usage: npm run audit -- --stage <stage> --category <category> [options]
       npm run audit -- --stage <stage> --all [options]
       npm run audit -- s3://<primary-bucket>[/<prefix>] --stage <stage> [options]
       npm run audit -- s3://<primary-bucket>[/<prefix>] --replica s3://<replica-bucket>[/<prefix>] [options]

Proves every object already in a bucket pair, not only those uploaded since the stack exists:
lists both buckets in key order (ListObjectsV2; ListObjectVersions with --all-versions), joins
the listings by key, and audits each object with the validator's own engine, so a verdict means
what it means in an alert. Memory holds the pages in flight, never the bucket; the keyspace is
cut at its common prefixes ("folders") into ranges listed in parallel.

What the listings prove is decided without a request: equal sizes and equal ETags that are MD5
digests of the same shape (a bucket encrypted with SSE-KMS by default has none). Everything else
is HEADed on both sides (the current version on each, so an object written over on the replica
is found): a missing or different replica, one newer than its source (replication keeps the
source's time; a later one is a write after replication), a multipart layout to read, bytes to
read (deep verification, as the validator does up to its size limit; --deep lifts the limit).

Verdicts:
${table(
  AUDIT_VERDICTS.map((verdict) => [
    verdict,
    isProblem(verdict) ? "problem" : "",
    VERDICTS[verdict].meaning,
  ]),
  { indent: "  " },
).join("\n")}
PENDING (the replica is not there yet, within the replication deadline), SOURCE_GONE (deleted
while the audit ran) and REPLICA_ONLY are not problems.

Which pair:
  --category <category>    The stage's pair of this data category (or its primary bucket name).
  --all                    Every pair of the stage, one after the other.
  s3://<bucket>[/<prefix>] A primary bucket of the stage, optionally only keys under a prefix
                           (what an alert's re-check command uses).
  --replica s3://<bucket>[/<prefix>]
                           Audit this pair without any stack (any S3-compatible store); the
                           replica prefix, if given, must be the primary's (CRR keeps keys).
  --replica-region <r>     Region of the replica bucket (default: --region).
  --replication-deadline <seconds>
                           Without a stack: how long a missing replica is PENDING before it is
                           REPLICATION_OVERDUE (default ${settings.replicationDeadlineSeconds}). With a stage, the deployed value.

What to audit:
  --all-versions           Every version (ListObjectVersions), each against the replica's
                           version of the same id, instead of the current objects.
  --start-after <key>      Only keys after this one: resumes an interrupted audit (it prints
                           the exact command).
  --deep                   Read the bytes whatever the object's size when nothing recorded
                           decides (deep verification without its size limit).
  --deep-max-bytes <n>     Read the bytes of objects up to n bytes when nothing recorded decides
                           (default ${settings.deepVerification.maxBytes}, the validator's); 0 reads none: such objects
                           are UNVERIFIABLE, with the command that settles each.
  --concurrency <n>        S3 requests in flight at most (default ${DEFAULT_CONCURRENCY}); halved
                           whenever S3 answers 503 SlowDown, raised again while it does not.

Instead of auditing here:
  --enqueue                Send one check message per primary object to the stage's validation
                           queue; the deployed validator audits each and alerts as for uploads
                           (reports name the audit run). Lists the primary only: REPLICA_ONLY
                           needs an audit run here.
  --rate <n>               Messages per second at most with --enqueue (default ${DEFAULT_RATE}), in batches of 10.

Output:
  --report <file>          Write NDJSON: one line per problem object, carrying the failure report
                           (both sides, the evidence, the replica's current version), as an alert
                           would; also objects that could not be audited. With --start-after the
                           lines are added to the file (a resumed audit continues its report).
  --report-all             With --report: a line for every object.
  --json                   Print the summary as JSON on stdout.
On a terminal, a progress bar on stderr: objects listed on each side, audited, rate, ETA.

${DEPLOYMENT_HELP}

When a stage is audited (not a pair given with --replica), the result is published as the
metrics AuditObjectsChecked and AuditProblems (namespace ${METRICS_NAMESPACE}, service
${METRIC_SERVICES.audit}): npm run status and the dashboard show the last audit. A failed publish
is a warning.

Examples:
  npm run audit -- --stage prod --category documents
  npm run audit -- --stage prod --all --report audit.ndjson
  npm run audit -- s3://backup-validator-prod-documents-primary/reports/2024/ --stage prod --deep
  npm run audit -- --stage prod --category media --all-versions --start-after 'photos/2023/x.jpg'
  npm run audit -- --stage prod --all --enqueue --rate 200
  npm run audit -- s3://my-bucket --replica s3://my-bucket-copy --region eu-west-1 \\
      --replica-region eu-central-1 --endpoint-url https://s3.example.com

Exit codes: 0 every object proven (PENDING, SOURCE_GONE and REPLICA_ONLY are not problems);
1 problems found; 2 bad arguments; 3 stack, credentials or endpoint problem, or objects that
could not be audited; 130 interrupted (it prints how to resume).
`;

const OPTIONS = {
  ...DEPLOYMENT_OPTIONS,
  category: { type: "string" },
  all: { type: "boolean", default: false },
  replica: { type: "string" },
  "replica-region": { type: "string" },
  "replication-deadline": { type: "string" },
  "all-versions": { type: "boolean", default: false },
  "start-after": { type: "string" },
  deep: { type: "boolean", default: false },
  "deep-max-bytes": { type: "string" },
  concurrency: { type: "string" },
  enqueue: { type: "boolean", default: false },
  rate: { type: "string" },
  report: { type: "string" },
  "report-all": { type: "boolean", default: false },
  json: { type: "boolean", default: false },
} as const;

type Values = ReturnType<typeof parseCommandLine<typeof OPTIONS>>["values"];

/** Everything an audit of one or more pairs needs, however the pairs were named. */
interface AuditPlan {
  readonly scopes: readonly AuditScope[];
  readonly stage?: string;
  readonly replicationDeadlineSeconds: number;
  readonly clients: AwsClients;
  /** The stage's validation queue, for --enqueue. */
  readonly validationQueueUrl?: string;
  /** The arguments that name each scope again, for the resume commands. */
  readonly selectors: readonly string[][];
}

/** `npm run audit -- ...` */
export async function auditMain(argv: readonly string[], io: CliIo): Promise<number> {
  return runCommand(io, "Run 'npm run audit -- --help' for the options.", async () => {
    const { values, positionals } = parseCommandLine(argv, OPTIONS, true);
    if (values.help) {
      io.stdout.write(AUDIT_HELP);
      return EXIT.ok;
    }
    const concurrency = parseCount("--concurrency", values.concurrency) ?? DEFAULT_CONCURRENCY;
    const rate = parseCount("--rate", values.rate) ?? DEFAULT_RATE;
    if (values.deep && values["deep-max-bytes"] !== undefined) {
      throw new UsageError("--deep reads any size; give --deep or --deep-max-bytes, not both");
    }
    const deepMaxBytes = values.deep
      ? Number.MAX_SAFE_INTEGER
      : (parseCount("--deep-max-bytes", values["deep-max-bytes"], 0) ??
        settings.deepVerification.maxBytes);
    if (values["report-all"] && !values.report) {
      throw new UsageError("--report-all needs --report <file>");
    }
    if (positionals.length > 1) throw new UsageError("give at most one s3://bucket[/prefix]");
    const plan = await planAudit(values, positionals[0], io);
    try {
      return await runPlan(plan, values, argv, { concurrency, rate, deepMaxBytes }, io);
    } finally {
      plan.clients.destroy();
    }
  });
}

async function planAudit(values: Values, uri: string | undefined, io: CliIo): Promise<AuditPlan> {
  if (values.replica !== undefined) return standalonePlan(values, uri, io);
  if (values["replica-region"] !== undefined || values["replication-deadline"] !== undefined) {
    throw new UsageError(
      "--replica-region and --replication-deadline go with --replica (a pair without a stack)",
    );
  }
  const chosen = [uri !== undefined, values.category !== undefined, values.all].filter(Boolean);
  if (chosen.length !== 1) {
    throw new UsageError(
      "name what to audit: --category <category>, --all, or s3://<primary-bucket>[/<prefix>] (or a pair with --replica)",
    );
  }
  const deployment = await openDeployment(values, io);
  try {
    const pairs = bucketPairsFrom(deployment.outputs);
    const replicaRegion = requireOutput(deployment.outputs, "ReplicaRegion");
    const selected = selectPairs(pairs, values, uri);
    const deadline = replicationDeadline(
      deployment.outputs,
      settings.replicationDeadlineSeconds,
      io.env,
    );
    const scopes = selected.map(({ pair, prefix }) =>
      scopeFor(deployment.clients, pair, prefix, deployment.region, replicaRegion),
    );
    return {
      scopes,
      stage: deployment.stage,
      replicationDeadlineSeconds: deadline.seconds,
      clients: deployment.clients,
      validationQueueUrl: requireOutput(deployment.outputs, "ValidationQueueUrl"),
      selectors: selected.map(({ pair, prefix }) =>
        prefix || uri !== undefined
          ? [`s3://${pair.primaryBucket}/${prefix}`, "--stage", deployment.stage]
          : ["--stage", deployment.stage, "--category", pair.category],
      ),
    };
  } catch (error) {
    deployment.clients.destroy();
    throw error;
  }
}

function selectPairs(
  pairs: BucketPairs,
  values: Values,
  uri: string | undefined,
): { pair: BucketPair; prefix: string }[] {
  if (values.all) return [...pairs.values()].map((pair) => ({ pair, prefix: "" }));
  if (values.category !== undefined) {
    const wanted = values.category;
    const pair =
      [...pairs.values()].find((candidate) => candidate.category === wanted) ?? pairs.get(wanted);
    if (!pair) {
      const known = [...pairs.values()].map((candidate) => candidate.category).join(", ");
      throw new UsageError(`no pair of category "${wanted}" in this stage (categories: ${known})`);
    }
    return [{ pair, prefix: "" }];
  }
  const { bucket, prefix } = parseBucketUri(uri ?? "", "the primary");
  const pair = pairs.get(bucket);
  if (!pair) {
    const asReplica = [...pairs.values()].find((candidate) => candidate.replicaBucket === bucket);
    throw new UsageError(
      asReplica
        ? `${bucket} is the replica of ${asReplica.primaryBucket}; give the primary: s3://${asReplica.primaryBucket}/...`
        : `${bucket} is not a primary bucket of this stage (primaries: ${[...pairs.keys()].join(", ")})`,
    );
  }
  return [{ pair, prefix }];
}

async function standalonePlan(
  values: Values,
  uri: string | undefined,
  io: CliIo,
): Promise<AuditPlan> {
  if (uri === undefined) {
    throw new UsageError("with --replica, give the primary too: s3://<primary-bucket>[/<prefix>]");
  }
  if (values.category !== undefined || values.all) {
    throw new UsageError("--category and --all name a stage's pairs; not with --replica");
  }
  if (values.enqueue) {
    throw new UsageError(
      "--enqueue sends to a stage's validation queue: give --stage, not --replica",
    );
  }
  const primary = parseBucketUri(uri, "the primary");
  const replica = parseBucketUri(values.replica ?? "", "--replica");
  if (replica.prefix !== "" && replica.prefix !== primary.prefix) {
    throw new UsageError(
      `the replica prefix must be the primary's ("${primary.prefix}") or left out: replication keeps keys as they are`,
    );
  }
  if (primary.bucket === replica.bucket)
    throw new UsageError("the primary and the replica are the same bucket");
  const clientSettings = standaloneSettings(values, io);
  const replicaRegion = values["replica-region"]?.trim() || clientSettings.region;
  const deadline =
    parseCount("--replication-deadline", values["replication-deadline"], 0) ??
    settings.replicationDeadlineSeconds;
  const clients = io.createClients(clientSettings);
  try {
    const pair = {
      primaryBucket: primary.bucket,
      replicaBucket: replica.bucket,
      category: primary.bucket,
    };
    const scope = scopeFor(clients, pair, primary.prefix, clientSettings.region, replicaRegion);
    return {
      scopes: [scope],
      replicationDeadlineSeconds: deadline,
      clients,
      selectors: [
        [
          uri,
          "--replica",
          values.replica ?? "",
          ...(values.region ? ["--region", values.region] : []),
          ...(values["replica-region"] ? ["--replica-region", values["replica-region"]] : []),
          ...(clientSettings.endpoint ? ["--endpoint-url", clientSettings.endpoint] : []),
          ...(values.profile ? ["--profile", values.profile] : []),
        ],
      ],
    };
  } catch (error) {
    clients.destroy();
    throw error;
  }
}

/** `s3://bucket[/prefix]` */
export function parseBucketUri(uri: string, what: string): { bucket: string; prefix: string } {
  const match = /^s3:\/\/([^/]+)(?:\/(.*))?$/.exec(uri);
  const bucket = match?.[1];
  if (!bucket || !isBucketName(bucket)) {
    throw new UsageError(`${what} must be s3://<bucket>[/<prefix>] (got "${uri}")`);
  }
  return { bucket, prefix: match?.[2] ?? "" };
}

function scopeFor(
  clients: AwsClients,
  pair: BucketPair,
  prefix: string,
  primaryRegion: string,
  replicaRegion: string,
): AuditScope {
  const primary = clients.s3(primaryRegion);
  const replica = clients.s3(replicaRegion);
  return {
    pair,
    prefix,
    primary,
    replica,
    primaryRegion,
    replicaRegion,
    encryption: async () => {
      const [primaryEncryption, replicaEncryption] = await Promise.all([
        defaultEncryption(primary, pair.primaryBucket),
        defaultEncryption(replica, pair.replicaBucket),
      ]);
      return { primary: primaryEncryption, replica: replicaEncryption };
    },
  };
}

/**
 * The bucket's default encryption (AES256, aws:kms, aws:kms:dsse), undefined for none, or
 * UNKNOWN_ENCRYPTION when it cannot be read (no s3:GetEncryptionConfiguration, a store without
 * the API): the listing's ETags then prove nothing and every object is HEADed.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketEncryption.html
 */
async function defaultEncryption(client: S3Client, bucket: string): Promise<string | undefined> {
  try {
    const { ServerSideEncryptionConfiguration } = await client.send(
      new GetBucketEncryptionCommand({ Bucket: bucket }),
    );
    const rules = ServerSideEncryptionConfiguration?.Rules ?? [];
    return rules[0]?.ApplyServerSideEncryptionByDefault?.SSEAlgorithm;
  } catch (error) {
    const { name, $metadata } = error as { name?: string; $metadata?: { httpStatusCode?: number } };
    if (name === "ServerSideEncryptionConfigurationNotFoundError") return undefined;
    if (name === "NoSuchBucket" || $metadata?.httpStatusCode === 404) {
      throw new EnvironmentError(`bucket ${bucket} does not exist (or not in this region)`, {
        cause: error,
      });
    }
    const explained = explainAwsError(error, `reading the encryption of ${bucket}`);
    if (explained instanceof EnvironmentError && /credentials|reach/.test(explained.message)) {
      throw explained;
    }
    return UNKNOWN_ENCRYPTION;
  }
}

async function runPlan(
  plan: AuditPlan,
  values: Values,
  argv: readonly string[],
  limits: { readonly concurrency: number; readonly rate: number; readonly deepMaxBytes: number },
  io: CliIo,
): Promise<number> {
  const started = io.now();
  const runId = `audit-${started.toISOString().replace(/[:.]/g, "-")}-${randomBytes(2).toString("hex")}`;
  const context = (scope: AuditScope): AuditReportContext => ({
    detectedBy: { kind: "audit", runId, via: "command", startedAt: started.toISOString() },
    detectedAt: io.now().toISOString(),
    ...(scope.primaryRegion ? { primaryRegion: scope.primaryRegion } : {}),
    ...(scope.replicaRegion ? { replicaRegion: scope.replicaRegion } : {}),
  });
  // A resumed audit (--start-after) adds to the report the interrupted one began.
  const report = values.report
    ? await openReport(values.report, values["start-after"] !== undefined)
    : undefined;
  const validation = {
    replicationDeadlineSeconds: plan.replicationDeadlineSeconds,
    deepVerification: deepVerificationSettings({
      ...settings.deepVerification,
      maxBytes: limits.deepMaxBytes,
    }),
    ...(plan.stage ? { stage: plan.stage } : {}),
    now: () => io.now(),
  };
  const enqueue =
    values.enqueue && plan.validationQueueUrl
      ? {
          sender: sqsMessageSender(plan.clients.sqs, plan.validationQueueUrl),
          ratePerSecond: limits.rate,
          runId,
          startedAt: started.toISOString(),
        }
      : undefined;
  const pairs: PairSummary[] = [];
  let resume: AuditSummary["resume"];
  try {
    for (const [index, scope] of plan.scopes.entries()) {
      const run = startAudit(scope, {
        allVersions: values["all-versions"],
        ...(values["start-after"] !== undefined && index === 0
          ? { startAfter: values["start-after"] }
          : {}),
        concurrency: limits.concurrency,
        validation,
        ...(enqueue ? { enqueue } : {}),
        ...(io.signal ? { signal: io.signal } : {}),
        sleep: (ms) => io.sleep(ms),
        onFinding: (finding) => {
          if (!report) return;
          const wanted =
            values["report-all"] ||
            finding.kind === "error" ||
            (finding.kind === "verdict" && isProblem(finding.verdict));
          if (wanted)
            report.write(`${JSON.stringify(reportLine(finding, scope.pair, context(scope)))}\n`);
        },
      });
      const stopProgress = showProgress(
        io,
        scope,
        run.stats,
        plan.stage ? plan.clients.cloudWatch : undefined,
      );
      let outcome: Awaited<typeof run.done>;
      try {
        outcome = await run.done;
      } catch (error) {
        throw explainAwsError(error, `auditing s3://${scope.pair.primaryBucket}`);
      } finally {
        stopProgress();
      }
      pairs.push(pairSummary(scope.pair, scope.prefix, run.stats));
      if (!outcome.completed) {
        resume = resumeCommands(plan, index, outcome.resumeAfter, argv);
        break;
      }
    }
  } finally {
    await report?.close();
  }
  const seconds = (io.now().getTime() - started.getTime()) / 1000;
  const audited = pairs.reduce((sum, pair) => sum + pair.audited, 0);
  const problems = pairs.reduce((sum, pair) => sum + pair.problems, 0);
  const errors = pairs.reduce((sum, pair) => sum + pair.errors, 0);
  const exitCode = resume
    ? EXIT.interrupted
    : problems > 0
      ? EXIT.problem
      : errors > 0
        ? EXIT.environment
        : EXIT.ok;
  const summary: AuditSummary = {
    runId,
    startedAt: started.toISOString(),
    seconds,
    objectsPerSecond: seconds > 0 ? Math.round(audited / seconds) : audited,
    completed: resume === undefined,
    ...(resume ? { resume } : {}),
    pairs,
    audited,
    problems,
    errors,
    verdicts: totalVerdicts(pairs),
    exitCode,
  };
  if (plan.stage && !enqueue && resume === undefined) {
    await publishMetrics(plan.clients.cloudWatch, summary, io);
  }
  io.stdout.write(values.json ? `${JSON.stringify(summary, null, 2)}\n` : renderSummary(summary));
  return exitCode;
}

/** The commands that finish an interrupted audit: this pair from where it stopped, then the rest. */
function resumeCommands(
  plan: AuditPlan,
  index: number,
  after: string | undefined,
  argv: readonly string[],
): NonNullable<AuditSummary["resume"]> {
  const options = optionsToKeep(argv);
  const command = (selector: readonly string[], extra: readonly string[]) =>
    ["npm run audit --", ...[...selector, ...options, ...extra].map(shellQuote)].join(" ");
  const commands = [
    command(plan.selectors[index] ?? [], after === undefined ? [] : ["--start-after", after]),
    ...plan.selectors.slice(index + 1).map((selector) => command(selector, [])),
  ];
  return { ...(after === undefined ? {} : { after }), commands };
}

/** The options of the command line that do not name the pair or where to start. */
function optionsToKeep(argv: readonly string[]): string[] {
  const naming = new Set([
    "--stage",
    "--category",
    "--all",
    "--replica",
    "--region",
    "--replica-region",
    "--endpoint-url",
    "--endpoint",
    "--profile",
    "--start-after",
  ]);
  const kept: string[] = [];
  for (let index = 0; index < argv.length; index += 1) {
    const argument = argv[index] ?? "";
    if (!argument.startsWith("--")) continue;
    const [name = argument, inline] = argument.split(/=(.*)/s, 2);
    const spec = OPTIONS[name.slice(2) as keyof typeof OPTIONS];
    const takesValue = spec?.type === "string";
    if (naming.has(name)) {
      if (takesValue && inline === undefined) index += 1;
      continue;
    }
    kept.push(argument);
    if (takesValue && inline === undefined) {
      kept.push(argv[index + 1] ?? "");
      index += 1;
    }
  }
  return kept;
}

/** A progress bar (or lines) on stderr while a pair is audited; returns its stop. */
function showProgress(
  io: CliIo,
  scope: AuditScope,
  stats: AuditStats,
  cloudWatch: CloudWatchClient | undefined,
): () => void {
  const progress = createProgress(io.stderr, `Auditing ${scope.pair.category}`);
  const started = Date.now();
  let total: number | undefined;
  if (cloudWatch && scope.prefix === "") {
    void estimateObjects(cloudWatch, scope.pair.primaryBucket, io.now()).then((estimate) => {
      total = estimate;
    });
  }
  const update = () => {
    const seconds = (Date.now() - started) / 1000;
    const rate = seconds > 0 ? stats.finished / seconds : 0;
    const eta =
      total !== undefined && rate > 0 && total > stats.finished
        ? `, ETA ≈ ${formatDuration(Math.round((total - stats.finished) / rate))}`
        : "";
    progress.update(
      stats.finished,
      total,
      `listed ${stats.listed.primary.toLocaleString("en-US")} primary / ${stats.listed.replica.toLocaleString("en-US")} replica, ${stats.headed.toLocaleString("en-US")} HEADed, ${Math.round(rate).toLocaleString("en-US")}/s${eta}`,
    );
  };
  const timer = setInterval(update, 250);
  return () => {
    clearInterval(timer);
    update();
    progress.stop();
  };
}

/**
 * The primary's object count from S3's daily storage metric, for an ETA; it counts every
 * version, so it is an upper bound. Undefined when CloudWatch has none (or cannot be read).
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/metrics-dimensions.html
 */
async function estimateObjects(
  cloudWatch: CloudWatchClient,
  bucket: string,
  now: Date,
): Promise<number | undefined> {
  try {
    const { Datapoints = [] } = await cloudWatch.send(
      new GetMetricStatisticsCommand({
        Namespace: "AWS/S3",
        MetricName: "NumberOfObjects",
        Dimensions: [
          { Name: "BucketName", Value: bucket },
          { Name: "StorageType", Value: "AllStorageTypes" },
        ],
        StartTime: new Date(now.getTime() - 3 * 86_400_000),
        EndTime: now,
        Period: 86_400,
        Statistics: ["Average"],
      }),
      // Only for an ETA: not worth waiting for.
      { abortSignal: AbortSignal.timeout(3_000) },
    );
    const newest = Datapoints.toSorted(
      (a, b) => (b.Timestamp?.getTime() ?? 0) - (a.Timestamp?.getTime() ?? 0),
    )[0];
    return newest?.Average;
  } catch {
    return undefined;
  }
}

/** The last audit, for npm run status and the dashboard; failing to publish is a warning. */
async function publishMetrics(
  cloudWatch: CloudWatchClient,
  summary: AuditSummary,
  io: CliIo,
): Promise<void> {
  const dimensions = [{ Name: "service", Value: METRIC_SERVICES.audit }];
  const at = io.now();
  try {
    await cloudWatch.send(
      new PutMetricDataCommand({
        Namespace: METRICS_NAMESPACE,
        MetricData: [
          {
            MetricName: METRICS.auditObjectsChecked,
            Dimensions: dimensions,
            Unit: "Count",
            Value: summary.audited,
            Timestamp: at,
          },
          {
            MetricName: METRICS.auditProblems,
            Dimensions: dimensions,
            Unit: "Count",
            Value: summary.problems,
            Timestamp: at,
          },
        ],
      }),
    );
  } catch (error) {
    io.stderr.write(
      `warning: the audit's result was not published to CloudWatch (npm run status will not show it): ${describeError(explainAwsError(error, "publishing the audit metrics"))}\n`,
    );
  }
}

/** The --report file: NDJSON lines written as findings come. */
async function openReport(
  path: string,
  append: boolean,
): Promise<{ write(line: string): void; close(): Promise<void> }> {
  const stream: WriteStream = createWriteStream(path, { flags: append ? "a" : "w" });
  await new Promise<void>((resolve, reject) => {
    stream.once("open", () => resolve());
    stream.once("error", (error) =>
      reject(new UsageError(`cannot write the report ${path}: ${describeError(error)}`)),
    );
  });
  return {
    write: (line) => {
      stream.write(line);
    },
    close: () => new Promise<void>((resolve) => stream.end(() => resolve())),
  };
}
