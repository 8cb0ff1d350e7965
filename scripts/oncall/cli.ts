import { parseArgs } from "node:util";
import { CloudFormationClient } from "@aws-sdk/client-cloudformation";
import { S3Client } from "@aws-sdk/client-s3";
import { SQSClient } from "@aws-sdk/client-sqs";
import type { Environment } from "../../shared/contracts/environment.ts";
import { checkRegion, checkStage as checkStageName } from "../../shared/contracts/names.ts";
import { BackupValidatorError, ConfigurationError, describeError } from "../../shared/errors.ts";
import { EnvironmentError, EXIT, explainAwsError, UsageError } from "./errors.ts";
import {
  checkStage,
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
  /** Set only by --endpoint; otherwise the SDK honours AWS_ENDPOINT_URL[_SQS|_S3] itself. */
  readonly endpoint?: string;
  /** True with --endpoint or AWS_ENDPOINT_URL*: an emulator (path-style S3, no move tasks). */
  readonly local: boolean;
}

export interface AwsClients {
  readonly sqs: SQSClient;
  readonly cloudFormation: CloudFormationClient;
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
  };
  const s3Clients = new Map<string, S3Client>();
  // The SQS client sends each call to the host in its QueueUrl unless told not to, which would
  // bypass AWS_ENDPOINT_URL for an emulator's own queue URLs (http://sqs.<region>.localhost:...).
  const sqs = new SQSClient(settings.local ? { ...common, useQueueUrlAsEndpoint: false } : common);
  const cloudFormation = new CloudFormationClient(common);
  return {
    sqs,
    cloudFormation,
    s3(region) {
      let client = s3Clients.get(region);
      if (!client) {
        // Emulators serve buckets by path (http://127.0.0.1:4566/bucket/key), not by host name.
        client = new S3Client({ ...common, region, forcePathStyle: settings.local });
        s3Clients.set(region, client);
      }
      return client;
    },
    destroy() {
      sqs.destroy();
      cloudFormation.destroy();
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
  endpoint: { type: "string" },
  "stack-outputs": { type: "string" },
  "stack-name": { type: "string" },
  help: { type: "boolean", short: "h", default: false },
} as const;

export const DEPLOYMENT_HELP = `Where the deployment is:
  --stage <stage>          Stage whose stack to use (default dev).
  --region <region>        Primary region (default: AWS_REGION, else AWS_DEFAULT_REGION, else us-east-1).
  --stack-name <name>      Primary stack name (default backup-validator-<stage>).
  --stack-outputs <file>   Read the stack outputs from a JSON file instead of CloudFormation
                           (env BACKUP_VALIDATOR_STACK_OUTPUTS). Needed with an emulator that has
                           no CloudFormation. Shape: {"ValidationDlqUrl": "...", "BucketPairs": {...}}
                           or the output of 'aws cloudformation describe-stacks'.
  --endpoint <url>         Send every AWS call to this endpoint (a local emulator). AWS_ENDPOINT_URL
                           works too. Credentials still come from the environment (any values do
                           for an emulator: AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test).
  -h, --help               Show this help.`;

export interface DeploymentValues {
  readonly stage?: string;
  readonly region?: string;
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
  const endpoint = values.endpoint?.trim() || undefined;
  if (endpoint !== undefined && !URL.canParse(endpoint)) {
    throw new UsageError(
      `--endpoint must be a URL such as http://127.0.0.1:4566 (got "${endpoint}")`,
    );
  }
  const local =
    endpoint !== undefined ||
    Boolean(io.env.AWS_ENDPOINT_URL || io.env.AWS_ENDPOINT_URL_SQS || io.env.AWS_ENDPOINT_URL_S3);
  const settings: ClientSettings = endpoint ? { region, endpoint, local } : { region, local };
  const clients = io.createClients(settings);
  try {
    const outputsFile = values["stack-outputs"] ?? io.env.BACKUP_VALIDATOR_STACK_OUTPUTS;
    const outputs = outputsFile
      ? await readStackOutputsFile(outputsFile)
      : await readStackOutputs(
          clients.cloudFormation,
          values["stack-name"] ?? stackNameFor(stage),
          region,
        );
    checkStage(outputs, stage);
    return { stage, region, settings, clients, outputs };
  } catch (error) {
    clients.destroy();
    throw error;
  }
}

function resolveRegion(flag: string | undefined, env: Environment): string {
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

/** parseArgs with strict checking; its errors become usage errors (exit 2). */
export function parseCommandLine<T extends OptionSpec>(
  argv: readonly string[],
  options: T,
  allowPositionals: boolean,
) {
  try {
    return parseArgs({ args: [...argv], options, allowPositionals, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
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
