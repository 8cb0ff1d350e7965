/**
 * Packages the two stacks (offline, as `npm run package` does) once per set of inputs and
 * shares the result between test files: the output is cached under the OS temp directory,
 * keyed by a hash of every file that shapes it, and built by one worker at a time.
 */
import { createHash } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import {
  type PackageRun,
  packageStacks,
  ROOT,
  type Stack,
  TEMPLATE_FILE,
} from "../../scripts/infra/stacks.ts";

export interface Template {
  readonly Resources: Record<string, TemplateResource>;
  readonly Outputs: Record<string, { Value: unknown; Description?: string }>;
}
export interface TemplateResource {
  readonly Type: string;
  readonly Properties: Record<string, any>;
  readonly DependsOn?: string | string[];
  readonly DeletionPolicy?: string;
  readonly UpdateReplacePolicy?: string;
  readonly Metadata?: Record<string, any>;
}
export type Packaged = Record<Stack, Template> & { readonly paths: Record<Stack, string> };

/** Inputs that shape the package: the service files, the generator, the bundled code. */
const INPUTS = [
  "serverless.yml",
  "resources",
  "shared",
  "functions",
  "scripts/infra",
  "package-lock.json",
];
const CACHE = join(tmpdir(), "backup-validator-infra-packages");
const LOCK_STALE_MS = 180_000;

const memo = new Map<string, Promise<Packaged>>();

/** The packaged templates for these `--param` values (memoised per worker, cached on disk). */
export function packaged(
  params: readonly string[] = [],
  options: { stage?: string; paramsBlock?: PackageRun["paramsBlock"] } = {},
): Promise<Packaged> {
  const key = JSON.stringify([params, options]);
  let result = memo.get(key);
  if (result === undefined) {
    result = build(params, options);
    memo.set(key, result);
  }
  return result;
}

async function build(
  params: readonly string[],
  options: { stage?: string; paramsBlock?: PackageRun["paramsBlock"] },
): Promise<Packaged> {
  const dir = join(CACHE, inputHash(JSON.stringify([params, options])));
  const lock = `${dir}.lock`;
  mkdirSync(CACHE, { recursive: true });
  while (!existsSync(dir)) {
    if (takeLock(lock)) {
      try {
        const work = `${dir}.tmp-${process.pid}`;
        rmSync(work, { recursive: true, force: true });
        await packageStacks(
          work,
          { params, ...(options.stage === undefined ? {} : { stage: options.stage }) },
          { quiet: true, ...(options.paramsBlock ? { paramsBlock: options.paramsBlock } : {}) },
        );
        renameSync(work, dir);
      } finally {
        rmSync(lock, { recursive: true, force: true });
      }
    } else {
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  const paths = {
    primary: join(dir, "primary", TEMPLATE_FILE),
    replica: join(dir, "replica", TEMPLATE_FILE),
  };
  return {
    paths,
    primary: JSON.parse(readFileSync(paths.primary, "utf8")),
    replica: JSON.parse(readFileSync(paths.replica, "utf8")),
  };
}

function takeLock(lock: string): boolean {
  try {
    mkdirSync(lock);
    return true;
  } catch {
    // A worker that died while packaging leaves its lock behind.
    const since = statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now();
    if (Date.now() - since > LOCK_STALE_MS) {
      rmSync(lock, { recursive: true, force: true });
    }
    return false;
  }
}

function inputHash(variant: string): string {
  const hash = createHash("sha256").update(variant);
  for (const input of INPUTS) {
    for (const file of listFiles(join(ROOT, input))) {
      hash.update(relative(ROOT, file)).update(readFileSync(file));
    }
  }
  return hash.digest("hex").slice(0, 16);
}

function listFiles(path: string): string[] {
  const stats = statSync(path, { throwIfNoEntry: false });
  if (stats === undefined) return [];
  if (stats.isFile()) return [path];
  return readdirSync(path)
    .filter((name) => name !== "node_modules" && name !== ".serverless")
    .sort()
    .flatMap((name) => listFiles(join(path, name)));
}

// ---------------------------------------------------------------------------------------------
// Reading templates

export const ACCOUNT_ID = "123456789012";

/** The second package the tests use: every non-default parameter at once. */
export const KMS_VARIANT = [
  "bucketEncryption=SSE-KMS",
  "alertEmails=ops@example.com,oncall@example.org",
  "replicationTimeControl=false",
  "categories=documents,media,databases,ledgers",
  "objectLockMode=GOVERNANCE",
  "objectLockRetentionDays=90",
  "breakGlassRoleArn=arn:aws:iam::123456789012:role/backup-break-glass",
] as const;

/** The `--param` values a package was built with, as name → value. */
export function paramsOf(params: readonly string[]): Record<string, string> {
  return Object.fromEntries(
    params.map((param) => [
      param.slice(0, param.indexOf("=")),
      param.slice(param.indexOf("=") + 1),
    ]),
  );
}

export function resourcesOfType(template: Template, type: string): [string, TemplateResource][] {
  return Object.entries(template.Resources).filter(([, resource]) => resource.Type === type);
}

export function resource(template: Template, logicalId: string): TemplateResource {
  const found = template.Resources[logicalId];
  if (found === undefined) throw new Error(`no resource ${logicalId} in the template`);
  return found;
}

/** Evaluates an `Fn::Sub` string (or returns a plain string) as CloudFormation would. */
export function resolveSub(value: unknown, region: string): string {
  const text =
    typeof value === "string" ? value : (value as { "Fn::Sub"?: unknown } | null)?.["Fn::Sub"];
  if (typeof text !== "string")
    throw new Error(`not a string or Fn::Sub: ${JSON.stringify(value)}`);
  return text
    .replaceAll(`\${AWS::AccountId}`, ACCOUNT_ID)
    .replaceAll(`\${AWS::Partition}`, "aws")
    .replaceAll(`\${AWS::Region}`, region);
}

/** Every IAM action string anywhere in a policy document or list of them. */
export function actionsOf(document: unknown): string[] {
  const statements = (document as { Statement: { Action: string | string[] }[] }).Statement;
  return statements.flatMap((statement) => [statement.Action].flat());
}
