/**
 * npm run package | deploy | remove | lint:iac | guard (entry point: scripts/infra.ts)
 *
 *   node scripts/infra.ts package  [--stage S] [--region R] [--param name=value ...] [--out DIR]
 *   node scripts/infra.ts deploy   --stage S [--region R] [--param name=value ...] [--aws-profile P]
 *   node scripts/infra.ts remove   --stage S [--region R] [--param name=value ...] [--aws-profile P] [--yes]
 *   node scripts/infra.ts lint     (package, then cfn-lint both templates)
 *   node scripts/infra.ts guard    (package, then cfn-guard with the Control Tower rules)
 *
 * Parameters (`--param`, or the params: block of serverless.yml): replicaRegion, categories,
 * alertEmails, pagerEndpoints, chatNotifications, heartbeatHours, bucketEncryption,
 * replicationTimeControl, permissionsBoundary (see resources/cloudformation/inputs.ts).
 */
import { execFileSync } from "node:child_process";
import { createInterface } from "node:readline/promises";
import { parseArgs } from "node:util";
import { settings } from "../../resources/settings.ts";
import { guardTemplates } from "./guard.ts";
import { deployStacks, packageStacks, removeStacks, type StackOptions } from "./stacks.ts";

/** What `remove` asks through; process.stdin/stderr by default, a test's buffers otherwise. */
export interface InfraIo {
  readonly stdin: NodeJS.ReadableStream & { readonly isTTY?: boolean };
  readonly stderr: { write(chunk: string): unknown };
}

const PROCESS_IO: InfraIo = { stdin: process.stdin, stderr: process.stderr };

/** Runs one infra command; returns the exit code. Throws on bad usage and failed commands. */
export async function infraMain(
  argv: readonly string[],
  io: InfraIo = PROCESS_IO,
): Promise<number> {
  const { positionals, values } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      stage: { type: "string" },
      region: { type: "string" },
      param: { type: "string", multiple: true },
      "aws-profile": { type: "string" },
      out: { type: "string" },
      yes: { type: "boolean", default: false },
    },
  });
  const options: StackOptions = {
    ...(values.stage === undefined ? {} : { stage: values.stage }),
    ...(values.region === undefined ? {} : { region: values.region }),
    ...(values["aws-profile"] === undefined ? {} : { awsProfile: values["aws-profile"] }),
    params: values.param ?? [],
  };
  // Default: .serverless/primary and .serverless/replica.
  const out = values.out;
  const command = positionals[0];
  switch (command) {
    case "package": {
      const templates = await packageStacks(out, options);
      console.log(`Templates:\n  ${templates.replica}\n  ${templates.primary}`);
      return 0;
    }
    case "deploy":
    case "remove":
      if (options.stage === undefined) throw new Error(`${command} needs --stage <stage>`);
      if (command === "remove" && !(await confirmRemoval(options.stage, values.yes, io))) {
        return 2;
      }
      await (command === "deploy" ? deployStacks(options) : removeStacks(options));
      return 0;
    case "lint": {
      const templates = await packageStacks(out, options, { quiet: true });
      // cfn-lint: AWS's template linter (pip install cfn-lint); exits non-zero on any finding.
      execFileSync("cfn-lint", [templates.replica, templates.primary], { stdio: "inherit" });
      console.log("cfn-lint: no findings in either template");
      return 0;
    }
    case "guard": {
      const templates = await packageStacks(out, options, { quiet: true });
      const params = Object.fromEntries(
        (options.params ?? []).map((param) => param.split("=", 2) as [string, string]),
      );
      const problems = await guardTemplates([templates.replica, templates.primary], params);
      for (const problem of problems) console.error(problem);
      if (problems.length > 0) return 1;
      console.log(
        "cfn-guard: both templates pass (suppressions: resources/guard-suppressions.json)",
      );
      return 0;
    }
    default:
      throw new Error(`usage: node scripts/infra.ts package|deploy|remove|lint|guard [options]`);
  }
}

/**
 * Removing a stage deletes its queues (with whatever waits in them), functions, alarms and keys:
 * every stage but the disposable ones (settings.json disposableStages: the local stack, dev)
 * asks first — type the stage's name — or needs --yes, and without a terminal to ask on,
 * refuses.
 */
async function confirmRemoval(stage: string, yes: boolean, io: InfraIo): Promise<boolean> {
  if (yes || settings.disposableStages.includes(stage)) return true;
  const what = `the stacks ${settings.service}-${stage} and ${settings.service}-replica-${stage} (data buckets are kept)`;
  if (!io.stdin.isTTY) {
    io.stderr.write(
      `Refusing to remove ${what} without --yes: stage "${stage}" is not one of ${settings.disposableStages.join(", ")}, and there is no terminal to ask on.\n`,
    );
    return false;
  }
  const prompt = createInterface({ input: io.stdin, output: io.stderr as NodeJS.WritableStream });
  try {
    const answer = await prompt.question(
      `This removes ${what}.\nType the stage name (${stage}) to go on: `,
    );
    if (answer.trim() === stage) return true;
    io.stderr.write("Not removed.\n");
    return false;
  } finally {
    prompt.close();
  }
}
