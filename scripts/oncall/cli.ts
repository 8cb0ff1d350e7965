import { existsSync } from "node:fs";
import { parseArgs } from "node:util";
import { CloudFormationClient } from "@aws-sdk/client-cloudformation";
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { S3Client } from "@aws-sdk/client-s3";
import { SQSClient } from "@aws-sdk/client-sqs";
import type { Environment } from "../../shared/contracts/environment.ts";
import { checkRegion, checkStage as checkStageName } from "../../shared/contracts/names.ts";
import { BackupValidatorError, ConfigurationError, describeError } from "../../shared/errors.ts";
import { EnvironmentError, EXIT, explainAwsError, UsageError } from "./errors.ts";
import {
  checkStage,
  LOCAL_STACK_OUTPUTS_FILE,
  LOCAL_STAGE,
  optionalOutput,
  readStackOutputs,
  readStackOutputsFile,
  type StackOutputs,
  stackNameFor,
} from "./stack-outputs.ts";

/** Where a command writes; process.stdout/stderr satisfy it, and so does a test buffer. */
export interface OutputStream {
  write(chunk: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

export interface InputStream extends NodeJS.ReadableStream {
  readonly isTTY?: boolean;
}

export interface ClientSettings {
  readonly region: string;
  /**
   * Set by --endpoint-url, or by the local stack's outputs file; otherwise the SDK honours
   * AWS_ENDPOINT_URL[_SQS|_S3|...] itself.
   */
  readonly endpoint?: string;
  /** The local stack's CloudWatch stand-in, when its outputs file names one. */
  readonly cloudWatchEndpoint?: string;
  /** True with an endpoint or AWS_ENDPOINT_URL*: an emulator (path-style S3, no move tasks). */
  readonly local: boolean;
  /** --profile: the named profile of the shared AWS config files. */
  readonly profile?: string;
  /** Fixed credentials (the local stack: an emulator takes any, and real ones stay unused). */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
}

export interface AwsClients {
  readonly sqs: SQSClient;
  readonly cloudFormation: CloudFormationClient;
  readonly cloudWatch: CloudWatchClient;
  /** One S3 client per region (primary and replica). */
  s3(region: string): S3Client;
  destroy(): void;
}

/** Everything a command touches outside itself, so tests run the real commands in-process. */
export interface CliIo {
  readonly stdout: OutputStream;
  readonly stderr: OutputStream;
  readonly stdin: InputStream;
  readonly env: Environment;
  now(): Date;
  sleep(ms: number): Promise<void>;
  /** Aborted on Ctrl-C: a move stops after the batch in flight and releases what it holds. */
  readonly signal?: AbortSignal;
  createClients(settings: ClientSettings): AwsClients;
}

export function createAwsClients(settings: ClientSettings): AwsClients {
  const common = {
    region: settings.region,
    ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
    ...(settings.profile ? { profile: settings.profile } : {}),
    ...(settings.credentials ? { credentials: settings.credentials } : {}),
  };
  const s3Clients = new Map<string, S3Client>();
  // The SQS client sends each call to the host in its QueueUrl unless told not to, which would
  // bypass AWS_ENDPOINT_URL for an emulator's own queue URLs (http://sqs.<region>.localhost:...).
  const sqs = new SQSClient(settings.local ? { ...common, useQueueUrlAsEndpoint: false } : common);
  const cloudFormation = new CloudFormationClient(common);
  const cloudWatch = new CloudWatchClient(
    settings.cloudWatchEndpoint ? { ...common, endpoint: settings.cloudWatchEndpoint } : common,
  );
  return {
    sqs,
    cloudFormation,
    cloudWatch,
    s3(region) {
      let client = s3Clients.get(region);
      if (!client) {
        // Emulators serve buckets by path (http://127.0.0.1:4566/bucket/key), not by host name.
        // Adaptive retries add client-side rate limiting to the back-off: what a prefix that
        // answers 503 SlowDown wants (an audit lists and HEADs at volume).
        // https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html
        client = new S3Client({
          ...common,
          region,
          forcePathStyle: settings.local,
          retryMode: "adaptive",
        });
        s3Clients.set(region, client);
      }
      return client;
    },
    destroy() {
      sqs.destroy();
      cloudFormation.destroy();
      cloudWatch.destroy();
      for (const client of s3Clients.values()) client.destroy();
    },
  };
}

export function processIo(): CliIo {
  const controller = new AbortController();
  process.once("SIGINT", () => {
    process.stderr.write("\nInterrupted: finishing the batch in flight, then stopping.\n");
    controller.abort();
    // A second Ctrl-C ends the process at once (messages held are released by SQS's timeout).
    process.once("SIGINT", () => process.exit(130));
  });
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
    now: () => new Date(),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    signal: controller.signal,
    createClients: createAwsClients,
  };
}

/** Options every command takes: where the deployment is and how to reach it. */
export const DEPLOYMENT_OPTIONS = {
  stage: { type: "string", default: "dev" },
  region: { type: "string" },
  profile: { type: "string" },
  "endpoint-url": { type: "string" },
  /** The older spelling of --endpoint-url, kept so existing notes and scripts keep working. */
  endpoint: { type: "string" },
  "stack-outputs": { type: "string" },
  "stack-name": { type: "string" },
  help: { type: "boolean", short: "h", default: false },
} as const;

export const DEPLOYMENT_HELP = `Where the deployment is:
  --stage <stage>          Stage whose stack to use (default dev).
  --region <region>        Primary region (default: AWS_REGION, else AWS_DEFAULT_REGION, else us-east-1).
  --stack-name <name>      Primary stack name (default backup-validator-<stage>).
  --profile <name>         AWS profile to use (default: AWS_PROFILE, else the SDK's usual chain).
  --stack-outputs <file>   Read the stack outputs from a JSON file instead of CloudFormation
                           (env BACKUP_VALIDATOR_STACK_OUTPUTS). Needed with an emulator that has
                           no CloudFormation. Shape: {"ValidationDlqUrl": "...", "BucketPairs": {...}}
                           or the output of 'aws cloudformation describe-stacks'. With --stage local
                           the local stack's file (.local/stack-outputs.json) is read by default,
                           and its endpoint used: nothing else is needed while npm start runs.
  --endpoint-url <url>     Send every AWS call to this endpoint (an emulator); --endpoint is the
                           same. AWS_ENDPOINT_URL works too. Credentials still come from the
                           environment (any values do for an emulator).
  -h, --help               Show this help.`;

export interface DeploymentValues {
  readonly stage?: string;
  readonly region?: string;
  readonly profile?: string;
  readonly "endpoint-url"?: string;
  readonly endpoint?: string;
  readonly "stack-outputs"?: string;
  readonly "stack-name"?: string;
}

export interface Deployment {
  readonly stage: string;
  readonly region: string;
  readonly settings: ClientSettings;
  readonly clients: AwsClients;
  readonly outputs: StackOutputs;
}

/** Resolves region, endpoint and stack outputs, and builds the clients. */
export async function openDeployment(values: DeploymentValues, io: CliIo): Promise<Deployment> {
  const stage = asUsageError(() => checkStageName(values.stage ?? "dev", "--stage"));
  const region = resolveRegion(values.region, io.env);
  const endpointFlag = endpointOption(values);
  const outputsFile =
    values["stack-outputs"] ??
    io.env.BACKUP_VALIDATOR_STACK_OUTPUTS ??
    (stage === LOCAL_STAGE && existsSync(LOCAL_STACK_OUTPUTS_FILE)
      ? LOCAL_STACK_OUTPUTS_FILE
      : undefined);
  const fromFile = outputsFile ? await readStackOutputsFile(outputsFile) : undefined;
  // The local stack's file names its emulator: the commands it prints need no endpoint option.
  const localStackEndpoint =
    endpointFlag === undefined && fromFile ? optionalOutput(fromFile, "EndpointUrl") : undefined;
  const endpoint = endpointFlag ?? localStackEndpoint;
  const local =
    endpoint !== undefined ||
    Boolean(io.env.AWS_ENDPOINT_URL || io.env.AWS_ENDPOINT_URL_SQS || io.env.AWS_ENDPOINT_URL_S3);
  const cloudWatchEndpoint =
    localStackEndpoint && fromFile ? optionalOutput(fromFile, "CloudWatchEndpointUrl") : undefined;
  const settings: ClientSettings = {
    region,
    local,
    ...(endpoint ? { endpoint } : {}),
    ...(cloudWatchEndpoint ? { cloudWatchEndpoint } : {}),
    ...(values.profile ? { profile: values.profile } : {}),
    ...(localStackEndpoint ? { credentials: EMULATOR_CREDENTIALS } : {}),
  };
  const clients = io.createClients(settings);
  try {
    const outputs =
      fromFile ??
      (await readStackOutputs(
        clients.cloudFormation,
        values["stack-name"] ?? stackNameFor(stage),
        region,
      ));
    checkStage(outputs, stage);
    return { stage, region, settings, clients, outputs };
  } catch (error) {
    clients.destroy();
    throw error;
  }
}

/**
 * Client settings without a stack (a command given buckets directly): --region, --profile and
 * --endpoint-url (or AWS_ENDPOINT_URL*), as for a deployment.
 */
export function standaloneSettings(values: DeploymentValues, io: CliIo): ClientSettings {
  const region = resolveRegion(values.region, io.env);
  const endpoint = endpointOption(values);
  const local =
    endpoint !== undefined ||
    Boolean(io.env.AWS_ENDPOINT_URL || io.env.AWS_ENDPOINT_URL_SQS || io.env.AWS_ENDPOINT_URL_S3);
  return {
    region,
    local,
    ...(endpoint ? { endpoint } : {}),
    ...(values.profile ? { profile: values.profile } : {}),
  };
}

/** --endpoint-url (or its older spelling --endpoint), checked to be a URL. */
function endpointOption(values: DeploymentValues): string | undefined {
  const endpoint = (values["endpoint-url"] ?? values.endpoint)?.trim() || undefined;
  if (endpoint !== undefined && !URL.canParse(endpoint)) {
    throw new UsageError(
      `--endpoint-url must be a URL such as http://127.0.0.1:4566 (got "${endpoint}")`,
    );
  }
  return endpoint;
}

/** Any credentials do for an emulator; fixed ones keep real ones from being sent to it. */
const EMULATOR_CREDENTIALS = { accessKeyId: "test", secretAccessKey: "test" };

export function resolveRegion(flag: string | undefined, env: Environment): string {
  if (flag !== undefined) return asUsageError(() => checkRegion(flag, "--region"));
  return env.AWS_REGION?.trim() || env.AWS_DEFAULT_REGION?.trim() || "us-east-1";
}

/** A bad value typed on the command line is a usage error (exit 2), not a configuration one. */
function asUsageError<T>(check: () => T): T {
  try {
    return check();
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

type OptionSpec = Readonly<
  Record<
    string,
    { type: "string" | "boolean"; short?: string; multiple?: boolean; default?: string | boolean }
  >
>;

/**
 * parseArgs with strict checking; its errors become usage errors (exit 2), and an unknown
 * option gets the closest known one as a suggestion.
 */
export function parseCommandLine<T extends OptionSpec>(
  argv: readonly string[],
  options: T,
  allowPositionals: boolean,
) {
  try {
    return parseArgs({ args: [...argv], options, allowPositionals, strict: true });
  } catch (error) {
    const unknown = /^Unknown option '(--?[^']+)'/.exec((error as Error).message)?.[1];
    if (unknown !== undefined) {
      const known = Object.keys(options).map((name) => `--${name}`);
      const suggestion = closest(unknown.split("=")[0] ?? unknown, known);
      throw new UsageError(
        `unknown option ${unknown}${suggestion ? ` (did you mean ${suggestion}?)` : ""}`,
      );
    }
    throw new UsageError((error as Error).message);
  }
}

/** The candidate nearest to a mistyped word (edit distance), if it is near enough to be meant. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const distance = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (best === undefined || distance < best.distance) best = { candidate, distance };
  }
  const tolerance = Math.max(2, Math.floor(word.length / 3));
  return best && best.distance <= tolerance ? best.candidate : undefined;
}

/** Levenshtein distance, with a swap of two neighbours counting as one edit. */
function editDistance(a: string, b: string): number {
  const rows = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  const at = (i: number, j: number) => rows[i]?.[j] ?? Number.POSITIVE_INFINITY;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let distance = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        distance = Math.min(distance, at(i - 2, j - 2) + 1);
      }
      const row = rows[i];
      if (row) row[j] = distance;
    }
  }
  return at(a.length, b.length);
}

/** Parses a whole number option such as --max. */
export function parseCount(name: string, raw: string | undefined, min = 1): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw) || Number(raw) < min) {
    throw new UsageError(`${name} must be a whole number >= ${min} (got "${raw}")`);
  }
  return Number(raw);
}

/**
 * Runs a command body and maps what it throws to an exit code and one clear message on
 * stderr: usage (2), environment (3). Unknown errors are explained if they are AWS errors.
 */
export async function runCommand(
  io: CliIo,
  helpHint: string,
  body: () => Promise<number>,
): Promise<number> {
  try {
    return await body();
  } catch (thrown) {
    const error = explainAwsError(thrown, "AWS call");
    if (error instanceof UsageError) {
      io.stderr.write(`error: ${error.message}\n${helpHint}\n`);
      return error.exitCode;
    }
    if (error instanceof EnvironmentError) {
      io.stderr.write(`error: ${error.message}\n`);
      return error.exitCode;
    }
    if (error instanceof ConfigurationError || error instanceof BackupValidatorError) {
      io.stderr.write(`error: ${error.message}\n`);
      return EXIT.environment;
    }
    io.stderr.write(`error: ${describeError(error)}\n`);
    if (io.env.DEBUG) io.stderr.write(`${(error as Error)?.stack ?? ""}\n`);
    return EXIT.environment;
  }
}
