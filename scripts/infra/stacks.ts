/**
 * Runs osls for the two stacks: package (offline), deploy (replica first), remove (primary
 * first). Used by scripts/infra.ts (npm run package|deploy|remove|lint:iac) and the infra tests.
 */
import { spawn } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { ConfigurationError } from "../../shared/errors.ts";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export type Stack = "primary" | "replica";
/** osls wants a service file at the root of its working directory. */
const serviceDirs = (root: string): Record<Stack, string> => ({
  primary: root,
  replica: join(root, "resources/replica"),
});
export const TEMPLATE_FILE = "cloudformation-template-update-stack.json";

export interface StackOptions {
  readonly stage?: string;
  /** The primary region (the replica region is `--param replicaRegion=...`). */
  readonly region?: string;
  /** `name=value` pairs passed as `--param`. */
  readonly params?: readonly string[];
  readonly awsProfile?: string;
}

const OSLS = join(ROOT, "node_modules/osls/bin/serverless.js");

/** Runs osls with the current Node (24) in the stack's directory; rejects on a non-zero exit. */
export function runOsls(
  stack: Stack,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; quiet?: boolean; root?: string } = {},
): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [OSLS, ...args], {
      cwd: serviceDirs(options.root ?? ROOT)[stack],
      env: { ...process.env, ...options.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    const collect = (chunk: Buffer) => {
      output += chunk.toString();
      if (!options.quiet) process.stderr.write(chunk);
    };
    child.stdout.on("data", collect);
    child.stderr.on("data", collect);
    child.on("error", reject);
    child.on("close", (code) => {
      if (code === 0) resolvePromise(output);
      else
        reject(
          new Error(`serverless ${args.join(" ")} (${stack} stack) exited ${code}\n${output}`),
        );
    });
  });
}

/**
 * CLI arguments common to both stacks; the replica learns the primary region as a param.
 * `--param primaryRegion=X` counts as `--region X`, so that the primary stack is deployed to the
 * region its names are built for.
 */
export function stackArgs(stack: Stack, options: StackOptions): string[] {
  const args: string[] = [];
  if (options.stage !== undefined) args.push("--stage", options.stage);
  if (options.awsProfile !== undefined) args.push("--aws-profile", options.awsProfile);
  const PRIMARY_REGION_PARAM = "primaryRegion=";
  const params = (options.params ?? []).filter((param) => !param.startsWith(PRIMARY_REGION_PARAM));
  const fromParam = options.params
    ?.find((param) => param.startsWith(PRIMARY_REGION_PARAM))
    ?.slice(PRIMARY_REGION_PARAM.length);
  if (fromParam !== undefined && options.region !== undefined && fromParam !== options.region) {
    throw new ConfigurationError(
      "--param primaryRegion",
      `differs from --region ${options.region}`,
      fromParam,
    );
  }
  const region = options.region ?? fromParam;
  if (region !== undefined) {
    if (stack === "primary") args.push("--region", region);
    else params.push(`${PRIMARY_REGION_PARAM}${region}`);
  }
  for (const param of params) args.push(`--param=${param}`);
  return args;
}

/**
 * Packages both stacks without credentials or network: the primary stack uses placeholders
 * for the replica stack's outputs (`replicaLookup=offline`). Such a package is for linting and
 * tests only; `deploy` packages again with the real outputs.
 *
 * osls and serverless-esbuild write into the service directory (.serverless, .esbuild) before
 * copying to `--package`, so two packagings of one checkout at once would trample each other:
 * each packaging runs in its own temporary copy of the service files.
 */
export async function packageStacks(
  outDir: string = join(ROOT, ".serverless"),
  options: StackOptions = {},
  run: PackageRun = {},
): Promise<Record<Stack, string>> {
  const offline = run.lookup === undefined;
  const params = [...(options.params ?? []), ...(offline ? ["replicaLookup=offline"] : [])];
  const env = run.lookup?.env ?? {
    // Nothing here needs AWS; make sure nothing tries.
    AWS_ACCESS_KEY_ID: "",
    AWS_SECRET_ACCESS_KEY: "",
    AWS_SESSION_TOKEN: "",
    AWS_PROFILE: "",
    AWS_EC2_METADATA_DISABLED: "true",
  };
  const stacks: Stack[] = run.lookup === undefined ? ["replica", "primary"] : ["primary"];
  const dirs = { primary: join(outDir, "primary"), replica: join(outDir, "replica") };
  const workspace = createWorkspace(run.paramsBlock);
  try {
    await Promise.all(
      stacks.map((stack) =>
        runOsls(
          stack,
          ["package", ...stackArgs(stack, { ...options, params }), "--package", dirs[stack]],
          {
            env,
            quiet: run.quiet ?? false,
            root: workspace,
          },
        ),
      ),
    );
  } finally {
    rmSync(workspace, { recursive: true, force: true });
  }
  return {
    primary: join(dirs.primary, TEMPLATE_FILE),
    replica: join(dirs.replica, TEMPLATE_FILE),
  };
}

export interface PackageRun {
  readonly quiet?: boolean;
  /**
   * Package the primary stack only, reading the replica stack's outputs from CloudFormation
   * (as a deploy does) with this environment. Tests point it at a fake endpoint.
   */
  readonly lookup?: { readonly env: NodeJS.ProcessEnv };
  /**
   * The `params:` block of serverless.yml for this packaging (stage → name → value), in place of
   * the checked-in one: how the tests prove that the block is honoured.
   */
  readonly paramsBlock?: Readonly<Record<string, Readonly<Record<string, string>>>>;
}

const PARAMS_BLOCK = /^params:\n(?: {2}.*\n)+/m;

/** A temporary service directory: copies of the service files, links to the code. */
function createWorkspace(paramsBlock?: PackageRun["paramsBlock"]): string {
  const workspace = mkdtempSync(join(tmpdir(), "backup-validator-package-"));
  const serviceFile = readFileSync(join(ROOT, "serverless.yml"), "utf8");
  if (paramsBlock !== undefined && !PARAMS_BLOCK.test(serviceFile)) {
    throw new Error("serverless.yml has no params: block to replace");
  }
  writeFileSync(
    join(workspace, "serverless.yml"),
    // JSON is YAML: the block is written on one line.
    paramsBlock === undefined
      ? serviceFile
      : serviceFile.replace(PARAMS_BLOCK, `params: ${JSON.stringify(paramsBlock)}\n`),
  );
  cpSync(join(ROOT, "resources"), join(workspace, "resources"), {
    recursive: true,
    filter: (source) => basename(source) !== ".serverless",
  });
  for (const linked of ["package.json", "tsconfig.json", "node_modules", "functions", "shared"]) {
    symlinkSync(join(ROOT, linked), join(workspace, linked));
  }
  return workspace;
}

/** Replica stack first: the primary stack reads its outputs and replicates into its buckets. */
export async function deployStacks(options: StackOptions): Promise<void> {
  await runOsls("replica", ["deploy", ...stackArgs("replica", options)]);
  await runOsls("primary", ["deploy", ...stackArgs("primary", options)]);
}

/** Primary stack first (it replicates into the replica's buckets). Data buckets are retained. */
export async function removeStacks(options: StackOptions): Promise<void> {
  // Removing needs no replica outputs, and must work when the replica stack is already gone.
  const offline = { ...options, params: [...(options.params ?? []), "replicaLookup=offline"] };
  await runOsls("primary", ["remove", ...stackArgs("primary", offline)]);
  await runOsls("replica", ["remove", ...stackArgs("replica", offline)]);
}
