import { settings } from "../../resources/settings.ts";
import type { BucketPair, BucketPairs } from "../../shared/contracts/bucket-pairs.ts";
import {
  DEEP_VERIFY_READS,
  DEFAULT_REPLICATION_DEADLINE_SECONDS,
  type Environment,
  optionalInteger,
  REPLICATION_DEADLINE_BOUNDS,
  VALIDATOR_VARIABLES,
} from "../../shared/contracts/environment.ts";
import { asEventKey, decodeEventKey } from "../../shared/events/keys.ts";
import { deepVerificationSettings, type SettleLimits } from "../../shared/integrity/settle.ts";
import { compact, type ObjectIdentity } from "../../shared/objects.ts";
import { s3ObjectReader } from "../../shared/s3/object-state.ts";
import { formatDuration, shellQuote, table } from "../../shared/text.ts";
import { type ValidationResult, validateObject } from "../../shared/validator/validate-object.ts";
import { OBJECT_VERDICTS, VERDICTS } from "../../shared/verdicts.ts";
import {
  type CliIo,
  DEPLOYMENT_HELP,
  DEPLOYMENT_OPTIONS,
  openDeployment,
  parseCommandLine,
  runCommand,
} from "./cli.ts";
import { EnvironmentError, EXIT, explainAwsError, UsageError } from "./errors.ts";
import { createProgress, type Progress } from "./progress.ts";
import {
  bucketPairsFrom,
  optionalOutput,
  requireOutput,
  type StackOutputs,
} from "./stack-outputs.ts";
import { renderSideBySide } from "./verify-report.ts";

export const VERIFY_HELP = `Usage: npm run verify -- s3://<primary-bucket>/<key> [--version-id V] [--deep [--read primary|replica]] [--stage <stage>] [--json]

Checks one object now, with the validator's own code (validateObject, as the Lambda runs it):
finds the replica bucket from the stack's BucketPairs, HEADs the object in the primary region
and its replica in the replica region, and prints the verdict with the evidence side by side.
When the recorded checksums and ETags cannot decide, it reads the bytes as the Lambda does (up
to deepVerification.maxBytes of resources/settings.json); --deep reads them whatever the size,
with a progress bar: what settles an UNVERIFIABLE object.
The key is looked up as typed, then URL-decoded (+ a space, %xx a byte) if that differs, as the
validator does with the keys of S3 notifications; if neither exists, it says NOT FOUND and lists
the keys tried.

Verdicts:
${table(
  OBJECT_VERDICTS.map((verdict) => [verdict, VERDICTS[verdict].meaning]),
  { indent: "  " },
).join("\n")}

The replication deadline is the deployed validator's: the stack output
ReplicationDeadlineSeconds; for a stack without it, replicationDeadlineSeconds from
resources/settings.json (what the stacks deploy with). The output names the source used.

Options:
  --version-id <id>    Check this version (default: the current one).
  --deep               Read the bytes whatever the object's size, if metadata cannot decide.
  --read <side>        Whose bytes to read: primary (default: in-region; proves the replica's
                       recorded digest matches the primary's bytes) or replica (cross-region
                       transfer; proves the replica's own bytes). Implies --deep.
  --json               Print the full result as JSON on stdout.

${DEPLOYMENT_HELP}

Exit codes: 0 MATCH; 1 any other verdict; 2 bad arguments or a bucket that is not a primary;
3 stack, credentials or endpoint problem.
`;

/** `npm run verify -- s3://bucket/key ...` */
export async function verifyMain(argv: readonly string[], io: CliIo): Promise<number> {
  return runCommand(io, "Run 'npm run verify -- --help' for the options.", async () => {
    const { values, positionals } = parseCommandLine(
      argv,
      {
        ...DEPLOYMENT_OPTIONS,
        "version-id": { type: "string" },
        deep: { type: "boolean", default: false },
        read: { type: "string" },
        json: { type: "boolean", default: false },
      },
      true,
    );
    if (values.help) {
      io.stdout.write(VERIFY_HELP);
      return EXIT.ok;
    }
    if (positionals.length !== 1) {
      throw new UsageError("give exactly one object: s3://<primary-bucket>/<key>");
    }
    const { bucket, key } = parseS3Uri(positionals[0] ?? "");
    const versionId = values["version-id"]?.trim() || undefined;
    const read = parseRead(values.read);
    const deep = values.deep || values.read !== undefined;

    const deployment = await openDeployment(values, io);
    try {
      const deadline = replicationDeadline(
        deployment.outputs,
        settings.replicationDeadlineSeconds,
        io.env,
      );
      const replicationDeadlineSeconds = deadline.seconds;
      const pair = pairFor(bucketPairsFrom(deployment.outputs), bucket);
      const primaryRegion = deployment.region;
      const replicaRegion = requireOutput(deployment.outputs, "ReplicaRegion");
      // Every key looked up on the primary, for a "not found" that says what was tried.
      const keysTried: string[] = [];
      const primary = s3ObjectReader(deployment.clients.s3(primaryRegion));
      const context = {
        primary: {
          ...primary,
          head: (location: ObjectIdentity, signal?: AbortSignal) => {
            if (!keysTried.includes(location.key)) keysTried.push(location.key);
            return primary.head(location, signal);
          },
        },
        replica: s3ObjectReader(deployment.clients.s3(replicaRegion)),
        replicationDeadlineSeconds,
        deepVerification: deepVerificationSettings({
          ...settings.deepVerification,
          // --deep lifts the size limit; --read chooses the side.
          ...(deep ? { maxBytes: Number.MAX_SAFE_INTEGER } : {}),
          ...(read ? { read } : {}),
        }),
        stage: deployment.stage,
        now: () => io.now(),
      };
      let result: ValidationResult | undefined;
      const progress = bytesProgress(io);
      try {
        // The key as typed first; then, like the validator with an event's key, its decoded
        // form (`+` a space, %xx a byte), for a key copied from an S3 notification.
        for (const candidate of keyCandidatesTyped(key)) {
          result = await validateObject(
            context,
            compact({ pair, key: asEventKey(candidate), versionId }),
            { onProgress: progress.update, ...(io.signal ? { signal: io.signal } : {}) },
          );
          if (result.verdict !== "SOURCE_GONE") break;
        }
      } catch (error) {
        throw explainAwsError(error, `reading s3://${bucket}/${key}`);
      } finally {
        progress.stop();
      }
      if (result === undefined) throw new Error("no key to check");
      if (result.verdict === "SOURCE_GONE") {
        // validateObject also tries the encoded form of what it is given (an event's raw key):
        // meaningless for a typed key, so not listed.
        const meant = keyCandidatesTyped(key);
        const listed = keysTried.filter((tried) => meant.includes(tried));
        io.stdout.write(
          values.json
            ? `${JSON.stringify({ ...result, found: false, keysTried: listed, pair }, null, 2)}\n`
            : renderNotFound(pair.primaryBucket, listed, versionId),
        );
        return EXIT.problem;
      }
      if (values.json) {
        io.stdout.write(
          `${JSON.stringify(
            {
              ...result,
              pair,
              primaryRegion,
              replicaRegion,
              replicationDeadlineSeconds,
              replicationDeadlineSource: deadline.source,
            },
            null,
            2,
          )}\n`,
        );
      } else {
        io.stdout.write(
          renderSideBySide(result, {
            pair,
            primaryRegion,
            replicaRegion,
            deadline: `${formatDuration(replicationDeadlineSeconds)} (${deadline.source})`,
          }),
        );
      }
      return result.verdict === "MATCH" ? EXIT.ok : EXIT.problem;
    } finally {
      deployment.clients.destroy();
    }
  });
}

function parseRead(value: string | undefined): (typeof DEEP_VERIFY_READS)[number] | undefined {
  if (value === undefined) return undefined;
  const read = DEEP_VERIFY_READS.find((side) => side === value);
  if (!read) throw new UsageError(`--read must be primary or replica (got "${value}")`);
  return read;
}

/** From this size a read from a workstation (often far from the region) is worth a progress bar. */
const PROGRESS_FROM_BYTES = 16 * 1024 * 1024;
const MiB = 1024 * 1024;

/** A progress bar (or lines) on stderr while a large object's bytes are read. */
function bytesProgress(io: CliIo): {
  update: NonNullable<SettleLimits["onProgress"]>;
  stop(): void;
} {
  let progress: Progress | undefined;
  return {
    update(bytesRead, bytesToRead) {
      if (bytesToRead < PROGRESS_FROM_BYTES) return;
      progress ??= createProgress(io.stderr, "Reading bytes (MiB)");
      progress.update(Math.floor(bytesRead / MiB), Math.ceil(bytesToRead / MiB), "");
    },
    stop() {
      progress?.stop();
    },
  };
}

export interface ReplicationDeadline {
  readonly seconds: number;
  /** Where the value came from, shown with the verdict. */
  readonly source: string;
}

const DEADLINE_BOUNDS = REPLICATION_DEADLINE_BOUNDS;

/**
 * The deadline the deployed checksum-validator uses, so that verify calls a missing replica
 * PENDING or REPLICATION_OVERDUE as the Lambda would: the stack's ReplicationDeadlineSeconds
 * output; for stacks without it, the value the stacks deploy with (resources/settings.json);
 * only without either, REPLICATION_DEADLINE_SECONDS from the environment (default 900).
 */
export function replicationDeadline(
  outputs: StackOutputs,
  deployedSetting: number | undefined,
  env: Environment,
): ReplicationDeadline {
  const output = optionalOutput(outputs, "ReplicationDeadlineSeconds");
  if (output !== undefined) {
    const seconds = Number(output);
    if (!/^\d+$/.test(output) || seconds < DEADLINE_BOUNDS.min || seconds > DEADLINE_BOUNDS.max) {
      throw new EnvironmentError(
        `${outputs.from}: output ReplicationDeadlineSeconds must be a whole number of seconds between ${DEADLINE_BOUNDS.min} and ${DEADLINE_BOUNDS.max} (got "${output}")`,
      );
    }
    return { seconds, source: "stack output ReplicationDeadlineSeconds" };
  }
  if (deployedSetting !== undefined) {
    return {
      seconds: deployedSetting,
      source:
        "replicationDeadlineSeconds in resources/settings.json; the stack has no ReplicationDeadlineSeconds output",
    };
  }
  const variable = VALIDATOR_VARIABLES.replicationDeadlineSeconds;
  return {
    seconds: optionalInteger(env, variable, DEFAULT_REPLICATION_DEADLINE_SECONDS, DEADLINE_BOUNDS),
    source: env[variable] !== undefined ? `environment ${variable}` : "default",
  };
}

/** The key as typed, then its URL-decoded form when that differs. */
function keyCandidatesTyped(key: string): string[] {
  const decoded = decodeEventKey(key);
  return decoded === undefined || decoded === key ? [key] : [key, decoded];
}

function renderNotFound(bucket: string, keysTried: readonly string[], versionId?: string): string {
  return [
    `NOT FOUND  s3://${bucket}/${keysTried[0] ?? ""}`,
    `No object${versionId ? ` version ${versionId}` : ""} on the primary under the key(s) tried:`,
    ...keysTried.map((tried) => `  ${shellQuote(`s3://${bucket}/${tried}`)}`),
    "Check the key (copy it from the alert, or list the prefix: aws s3 ls s3://<bucket>/<prefix>);",
    "an object deleted or expired since its upload is not found either.",
    "",
  ].join("\n");
}

export function parseS3Uri(uri: string): { bucket: string; key: string } {
  const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
  if (!match?.[1] || !match[2]) {
    throw new UsageError(`expected s3://<primary-bucket>/<key> (got "${uri}")`);
  }
  return { bucket: match[1], key: match[2] };
}

function pairFor(pairs: BucketPairs, bucket: string): BucketPair {
  const pair = pairs.get(bucket);
  if (pair) return pair;
  const asReplica = [...pairs.values()].find((candidate) => candidate.replicaBucket === bucket);
  if (asReplica) {
    throw new UsageError(
      `${bucket} is the replica of ${asReplica.primaryBucket}; give the primary: s3://${asReplica.primaryBucket}/...`,
    );
  }
  throw new UsageError(
    `${bucket} is not a primary bucket of this stage (primaries: ${[...pairs.keys()].join(", ")})`,
  );
}
