import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import {
  type CloudFormationClient,
  DescribeStacksCommand,
  ListStacksCommand,
  type StackStatus,
} from "@aws-sdk/client-cloudformation";
import { renderName, settings } from "../../resources/settings.ts";
import type { OptionalOutput, RequiredOutput } from "../../resources/stack-outputs.ts";
import { type BucketPairs, parseBucketPairs } from "../../shared/contracts/bucket-pairs.ts";
import { describeError } from "../../shared/errors.ts";
import { EnvironmentError, explainAwsError } from "./errors.ts";

/** Outputs of one deployment, read from CloudFormation or from a file; `from` names the source. */
export interface StackOutputs {
  /** "stack backup-validator-prod in us-east-1" or "file local/outputs.json". */
  readonly from: string;
  readonly values: Readonly<Record<string, string>>;
}

export const SERVICE_NAME = settings.service;

/** The local stack's stage (`npm start`). */
export const LOCAL_STAGE = "local";
/**
 * Where `npm start` writes its outputs; the on-call commands read it for `--stage local`, so
 * the commands an alert or the banner prints run as pasted against the local stack.
 */
export const LOCAL_STACK_OUTPUTS_FILE = resolve(
  import.meta.dirname,
  "../..",
  ".local/stack-outputs.json",
);

/** The primary stack's name, from the same pattern the stacks are deployed with. */
export function stackNameFor(stage: string): string {
  return renderName(settings.names.primaryStack, { service: settings.service, stage });
}

export function requireOutput(outputs: StackOutputs, name: RequiredOutput): string {
  const value = outputs.values[name]?.trim();
  if (!value) {
    throw new EnvironmentError(
      `${outputs.from} has no output ${name}. Is the stack deployed from this version of backup-validator?`,
    );
  }
  return value;
}

/** The output's value, or undefined when the stack has none (or an empty one). */
export function optionalOutput(outputs: StackOutputs, name: OptionalOutput): string | undefined {
  return outputs.values[name]?.trim() || undefined;
}

export function bucketPairsFrom(outputs: StackOutputs): BucketPairs {
  return parseBucketPairs(requireOutput(outputs, "BucketPairs"), `${outputs.from}: BucketPairs`);
}

/** Refuses outputs that belong to another stage: acting on prod while meaning dev is worse than stopping. */
export function checkStage(outputs: StackOutputs, stage: string): void {
  const deployed = outputs.values.Stage;
  if (deployed !== undefined && deployed !== stage) {
    throw new EnvironmentError(
      `${outputs.from} belongs to stage "${deployed}", not "${stage}". Check --stage.`,
    );
  }
}

// Stacks that exist (deleted ones are listed by ListStacks too unless filtered out).
const LIVE_STATUSES: StackStatus[] = [
  "CREATE_COMPLETE",
  "UPDATE_COMPLETE",
  "UPDATE_ROLLBACK_COMPLETE",
  "UPDATE_IN_PROGRESS",
  "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS",
  "UPDATE_ROLLBACK_IN_PROGRESS",
  "UPDATE_ROLLBACK_FAILED",
  "ROLLBACK_COMPLETE",
  "IMPORT_COMPLETE",
];

/**
 * Reads the primary stack's outputs with DescribeStacks. A missing stack is told apart from
 * missing credentials, and the message lists the backup-validator stacks that do exist in
 * the region, which is what a wrong --stage or --region needs.
 */
export async function readStackOutputs(
  client: CloudFormationClient,
  stackName: string,
  region: string,
): Promise<StackOutputs> {
  const from = `stack ${stackName} in ${region}`;
  let stack: Awaited<ReturnType<typeof describe>>;
  try {
    stack = await describe(client, stackName);
  } catch (error) {
    // CloudFormation answers a missing stack with a generic ValidationError.
    // https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_DescribeStacks.html
    if (/does not exist/i.test(describeError(error))) {
      const others = await listServiceStacks(client);
      const hint =
        others.length > 0
          ? `backup-validator stacks in ${region}: ${others.join(", ")}`
          : `no backup-validator stack found in ${region}`;
      throw new EnvironmentError(
        `${from} does not exist (${hint}). Check --stage and --region; for a local emulator give --stack-outputs <file>.`,
        { cause: error },
      );
    }
    const explained = explainAwsError(error, `reading ${from}`);
    if (explained !== error) throw explained;
    throw new EnvironmentError(
      `reading ${from} failed: ${describeError(error)}. Against an emulator without CloudFormation, give --stack-outputs <file>.`,
      { cause: error },
    );
  }
  const values: Record<string, string> = {};
  for (const output of stack?.Outputs ?? []) {
    if (output.OutputKey && output.OutputValue !== undefined) {
      values[output.OutputKey] = output.OutputValue;
    }
  }
  return { from, values };
}

async function describe(client: CloudFormationClient, stackName: string) {
  const response = await client.send(new DescribeStacksCommand({ StackName: stackName }));
  return response.Stacks?.[0];
}

async function listServiceStacks(client: CloudFormationClient): Promise<string[]> {
  try {
    const response = await client.send(new ListStacksCommand({ StackStatusFilter: LIVE_STATUSES }));
    return (response.StackSummaries ?? [])
      .map((summary) => summary.StackName ?? "")
      .filter((name) => name.startsWith(`${SERVICE_NAME}-`))
      .sort();
  } catch {
    // Only a hint for the error message; lacking cloudformation:ListStacks must not hide it.
    return [];
  }
}

/**
 * Reads outputs from a JSON file, for emulators without CloudFormation. Accepted shapes:
 * `{ "ValidationDlqUrl": "...", ... }` (BucketPairs may be an object or its JSON string),
 * `[{ "OutputKey": ..., "OutputValue": ... }]`, or what `aws cloudformation describe-stacks`
 * prints (`{ "Stacks": [{ "Outputs": [...] }] }`).
 */
export async function readStackOutputsFile(path: string): Promise<StackOutputs> {
  const from = `file ${path}`;
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    throw new EnvironmentError(`cannot read stack outputs ${from}: ${describeError(error)}`, {
      cause: error,
    });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new EnvironmentError(`${from} is not JSON: ${describeError(error)}`, { cause: error });
  }
  return { from, values: outputValues(parsed, from) };
}

function outputValues(parsed: unknown, from: string): Record<string, string> {
  const stacks = (parsed as { Stacks?: unknown } | null)?.Stacks;
  if (Array.isArray(stacks))
    return outputValues((stacks[0] as { Outputs?: unknown })?.Outputs, from);
  if (Array.isArray(parsed)) {
    const values: Record<string, string> = {};
    for (const entry of parsed as { OutputKey?: unknown; OutputValue?: unknown }[]) {
      if (typeof entry?.OutputKey === "string" && typeof entry.OutputValue === "string") {
        values[entry.OutputKey] = entry.OutputValue;
      }
    }
    return values;
  }
  if (parsed !== null && typeof parsed === "object") {
    const values: Record<string, string> = {};
    for (const [name, value] of Object.entries(parsed)) {
      if (typeof value === "string") values[name] = value;
      else if (value !== null && typeof value === "object") values[name] = JSON.stringify(value);
    }
    return values;
  }
  throw new EnvironmentError(
    `${from} must hold a JSON object of stack outputs ({"ValidationDlqUrl": "...", ...})`,
  );
}
