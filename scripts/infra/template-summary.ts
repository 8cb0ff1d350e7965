// Markdown summary of the packaged CloudFormation templates for a pull request's job summary
// ($GITHUB_STEP_SUMMARY): per template, the resources by logical ID and type, and, when the base
// branch's templates are given, what was added, removed, retyped or modified.
//
//   node scripts/infra/template-summary.ts <head-dir> [--base <base-dir>]
//
// Templates are found by name (Serverless writes `cloudformation-template-update-stack.json` into
// each stack's `.serverless/` folder) and matched between head and base by their path relative to
// the directory given. Only node built-ins are used, so CI can run it without `npm ci`.
import { readdir, readFile } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import { parseArgs } from "node:util";

export const TEMPLATE_FILE_NAME = "cloudformation-template-update-stack.json";

const SKIPPED_DIRECTORIES = new Set(["node_modules", ".git"]);

export type ResourceChangeKind = "added" | "removed" | "type changed" | "modified" | "unchanged";

export type ResourceChange = {
  logicalId: string;
  type: string;
  change: ResourceChangeKind;
  previousType?: string;
};

export type TemplateComparison = {
  /** Path of the template relative to the directory searched, with "/" separators. */
  path: string;
  head?: unknown;
  base?: unknown;
};

type Resource = { Type?: unknown; Properties?: unknown; [key: string]: unknown };

function resourcesOf(template: unknown): Record<string, Resource> {
  if (typeof template !== "object" || template === null) return {};
  const resources = (template as { Resources?: unknown }).Resources;
  if (typeof resources !== "object" || resources === null) return {};
  return resources as Record<string, Resource>;
}

function typeOf(resource: Resource | undefined): string {
  return typeof resource?.Type === "string" ? resource.Type : "(no type)";
}

// Serverless gives each deployment's code a new S3 key (a timestamped folder), so comparing a
// function's `Code` would mark every function as modified on every pull request. Code changes
// still show: the function's `AWS::Lambda::Version` gets a new logical ID (a hash of the code).
function comparable(resource: Resource): unknown {
  if (resource.Type !== "AWS::Lambda::Function") return resource;
  const properties = resource.Properties;
  if (typeof properties !== "object" || properties === null) return resource;
  const { Code: _code, ...rest } = properties as Record<string, unknown>;
  return { ...resource, Properties: rest };
}

function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) => {
    if (typeof inner !== "object" || inner === null || Array.isArray(inner)) return inner;
    return Object.fromEntries(
      Object.entries(inner as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)),
    );
  });
}

/** Resources of `head` (and those only in `base`), each with how it changed, by logical ID. */
export function compareResources(head: unknown, base?: unknown): ResourceChange[] {
  const headResources = resourcesOf(head);
  const baseResources = base === undefined ? undefined : resourcesOf(base);
  const changes: ResourceChange[] = [];

  for (const [logicalId, resource] of Object.entries(headResources)) {
    const type = typeOf(resource);
    const previous = baseResources?.[logicalId];
    if (baseResources === undefined) {
      changes.push({ logicalId, type, change: "unchanged" });
    } else if (previous === undefined) {
      changes.push({ logicalId, type, change: "added" });
    } else if (typeOf(previous) !== type) {
      changes.push({ logicalId, type, change: "type changed", previousType: typeOf(previous) });
    } else if (canonicalJson(comparable(previous)) !== canonicalJson(comparable(resource))) {
      changes.push({ logicalId, type, change: "modified" });
    } else {
      changes.push({ logicalId, type, change: "unchanged" });
    }
  }
  for (const [logicalId, resource] of Object.entries(baseResources ?? {})) {
    if (!(logicalId in headResources)) {
      changes.push({ logicalId, type: typeOf(resource), change: "removed" });
    }
  }
  return changes.sort((a, b) => a.logicalId.localeCompare(b.logicalId));
}

function cell(text: string): string {
  return text.replaceAll("\\", "\\\\").replaceAll("|", "\\|").replaceAll("\n", " ");
}

function table(rows: ResourceChange[], withChange: boolean): string[] {
  const lines = withChange
    ? ["| Change | Logical ID | Type |", "| --- | --- | --- |"]
    : ["| Logical ID | Type |", "| --- | --- |"];
  for (const row of rows) {
    const type =
      row.previousType === undefined
        ? `\`${cell(row.type)}\``
        : `\`${cell(row.previousType)}\` → \`${cell(row.type)}\``;
    lines.push(
      withChange
        ? `| ${row.change} | \`${cell(row.logicalId)}\` | ${type} |`
        : `| \`${cell(row.logicalId)}\` | ${type} |`,
    );
  }
  return lines;
}

function countBy(changes: ResourceChange[], kind: ResourceChangeKind): number {
  return changes.filter((change) => change.change === kind).length;
}

function renderTemplate(comparison: TemplateComparison, compared: boolean): string[] {
  const lines = [`### \`${cell(comparison.path)}\``, ""];
  if (comparison.head === undefined) {
    const removed = compareResources({}, comparison.base);
    lines.push(`Template removed (the base branch had ${removed.length} resources).`, "");
    return lines;
  }
  const changes = compareResources(comparison.head, comparison.base);
  const current = changes.filter((change) => change.change !== "removed");
  if (!compared || comparison.base === undefined) {
    const note = compared ? "new template (not in the base branch)" : "no base to compare with";
    lines.push(`${current.length} resources, ${note}.`, "", ...table(current, false), "");
    return lines;
  }
  const kinds: ResourceChangeKind[] = ["added", "removed", "type changed", "modified"];
  const counts = kinds.map((kind) => `${countBy(changes, kind)} ${kind}`).join(", ");
  lines.push(`${current.length} resources: ${counts}.`, "");
  const changed = changes.filter((change) => change.change !== "unchanged");
  if (changed.length > 0) lines.push(...table(changed, true), "");
  lines.push(
    "<details><summary>All resources</summary>",
    "",
    ...table(current, false),
    "",
    "</details>",
    "",
  );
  return lines;
}

/** The whole Markdown summary; `compared` says whether base templates were looked for. */
export function renderSummary(comparisons: TemplateComparison[], compared: boolean): string {
  const lines = ["## CloudFormation template changes", ""];
  if (comparisons.length === 0) {
    lines.push("No packaged templates found.", "");
  }
  const sorted = [...comparisons].sort((a, b) => a.path.localeCompare(b.path));
  for (const comparison of sorted) lines.push(...renderTemplate(comparison, compared));
  return lines.join("\n");
}

/** Packaged templates under `root` (node_modules and .git skipped), keyed by relative path. */
export async function findTemplates(root: string): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  async function walk(directory: string): Promise<void> {
    const entries = await readdir(directory, { withFileTypes: true });
    for (const entry of entries) {
      const path = join(directory, entry.name);
      if (entry.isDirectory() && !SKIPPED_DIRECTORIES.has(entry.name)) {
        await walk(path);
      } else if (entry.isFile() && entry.name === TEMPLATE_FILE_NAME) {
        found.set(relative(root, path).split(sep).join("/"), path);
      }
    }
  }
  await walk(root);
  return found;
}

async function readTemplates(root: string): Promise<Map<string, unknown>> {
  const templates = new Map<string, unknown>();
  for (const [path, file] of await findTemplates(root)) {
    templates.set(path, JSON.parse(await readFile(file, "utf8")));
  }
  return templates;
}

/** Reads the templates under `headRoot` (and `baseRoot`) and returns the Markdown summary. */
export async function summarizeDirectories(headRoot: string, baseRoot?: string): Promise<string> {
  const head = await readTemplates(headRoot);
  if (head.size === 0) {
    throw new Error(`No ${TEMPLATE_FILE_NAME} under ${headRoot}: run \`npm run package\` first.`);
  }
  const base = baseRoot === undefined ? new Map<string, unknown>() : await readTemplates(baseRoot);
  const paths = new Set([...head.keys(), ...base.keys()]);
  const comparisons = [...paths].map((path) => ({
    path,
    head: head.get(path),
    base: base.get(path),
  }));
  return renderSummary(comparisons, baseRoot !== undefined);
}

export async function main(argv: string[]): Promise<number> {
  const usage = "usage: node scripts/infra/template-summary.ts <head-dir> [--base <base-dir>]\n";
  let parsed: { values: { base?: string | undefined }; positionals: string[] };
  try {
    parsed = parseArgs({
      args: argv,
      options: { base: { type: "string" } },
      allowPositionals: true,
    });
  } catch {
    process.stderr.write(usage);
    return 2;
  }
  const [headRoot] = parsed.positionals;
  if (headRoot === undefined || parsed.positionals.length > 1) {
    process.stderr.write(usage);
    return 2;
  }
  const { values } = parsed;
  try {
    process.stdout.write(`${await summarizeDirectories(headRoot, values.base)}\n`);
    return 0;
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}

if (import.meta.main) {
  process.exitCode = await main(process.argv.slice(2));
}
