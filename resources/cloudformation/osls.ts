/**
 * Entry points for `${file(./resources/cloudformation/osls.cjs):<name>}` in the two service
 * files. osls calls each with the CLI options and a variable resolver.
 */
import type { FunctionKey } from "../settings.ts";
import { type CliOptions, namesFor, readInputs, resolveParams } from "./inputs.ts";
import { functionEnvironment, primaryStack, readReplicaFacts } from "./primary/index.ts";
import { replicaStack } from "./replica.ts";

export interface ResolverArguments {
  readonly options: CliOptions;
  readonly resolveVariable: (variable: string) => Promise<unknown>;
}

/** The stack's inputs, with `params:` of serverless.yml honoured (CLI `--param` wins). */
async function inputsOf(
  { options, resolveVariable }: ResolverArguments,
  stack: "primary" | "replica",
) {
  return readInputs(options, stack, await resolveParams(options, resolveVariable));
}

export async function primaryResources(args: ResolverArguments) {
  const { resolveVariable } = args;
  const inputs = await inputsOf(args, "primary");
  const { replicaStack: stackName } = namesFor(inputs);
  const replica = await readReplicaFacts(inputs, async (output) => {
    // Resolved by osls at deploy time (DescribeStacks in the replica region); a missing stack
    // or output resolves to null.
    const value = await resolveVariable(`cf(${inputs.replicaRegion}):${stackName}.${output}, null`);
    return typeof value === "string" ? value : null;
  });
  return primaryStack(inputs, replica);
}

export async function replicaResources(args: ResolverArguments) {
  return replicaStack(await inputsOf(args, "replica"));
}

/** The replica stack's region (`--param replicaRegion=...`, default from settings.json). */
export async function replicaRegion(args: ResolverArguments) {
  return (await inputsOf(args, "replica")).replicaRegion;
}

const environment = (fn: FunctionKey) => async (args: ResolverArguments) =>
  functionEnvironment(await inputsOf(args, "primary"), fn);

export const checksumValidatorEnvironment = environment("checksum-validator");
export const failureNotifierEnvironment = environment("failure-notifier");
export const auditStarterEnvironment = environment("audit-starter");
export const auditWorkerEnvironment = environment("audit-worker");
