/**
 * Security scan: cfn-guard (shipped in @cdklabs/cdk-validator-cfnguard) with its AWS Control
 * Tower proactive-control rules, findings matched against resources/guard-suppressions.json.
 */
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { ROOT } from "./stacks.ts";

const PACKAGE_DIR = join(ROOT, "node_modules/@cdklabs/cdk-validator-cfnguard");
export const RULE_SETS = [
  "s3",
  "sqs",
  "lambda",
  "keymanagementservice",
  "identityandaccessmanagement",
  "cloudwatch",
  "dynamodb",
] as const;
export const SUPPRESSIONS_FILE = join(ROOT, "resources/guard-suppressions.json");

export interface Finding {
  /** cfn-guard rule name, e.g. s3_bucket_logging_enabled_check. */
  readonly rule: string;
  /** Logical ids of the resources the rule found non-compliant. */
  readonly resources: readonly string[];
}

export interface Suppression {
  readonly control: string;
  readonly resources: readonly string[];
  readonly reason: string;
  /** Only for packages built with these `--param` values. */
  readonly when?: Readonly<Record<string, string>>;
}

export type Suppressions = Readonly<Record<string, readonly Suppression[]>>;

export function guardBinary(): string {
  const os = { linux: "ubuntu", darwin: "macos" }[process.platform as string];
  const arch = { x64: "x86_64", arm64: "aarch64" }[process.arch as string];
  if (os === undefined || arch === undefined) {
    throw new Error(`cfn-guard is not shipped for ${process.platform}/${process.arch}`);
  }
  return join(PACKAGE_DIR, "bin", os, arch, "cfn-guard");
}

/** Runs every Control Tower rule of RULE_SETS on the template; returns the failures. */
export async function runGuard(templatePath: string): Promise<Finding[]> {
  const ruleArgs = RULE_SETS.flatMap((set) => [
    "-r",
    join(PACKAGE_DIR, "rules/control-tower/cfn-guard", set),
  ]);
  const args = ["validate", "-d", templatePath, ...ruleArgs];
  const { stdout } = await promisify(execFile)(
    guardBinary(),
    [...args, "--output-format", "json", "--structured", "--show-summary", "none"],
    { maxBuffer: 64 * 1024 * 1024 },
  ).catch((error: { code?: number; stdout?: string }) => {
    // cfn-guard exits 19 when a rule fails; its report is still on stdout.
    if (error.code === 19 && typeof error.stdout === "string") return { stdout: error.stdout };
    throw error;
  });
  const reports = JSON.parse(stdout) as { not_compliant: { Rule: { name: string } }[] }[];
  return reports.flatMap((report) =>
    report.not_compliant.map((failure) => ({
      rule: failure.Rule.name,
      // Every failed check carries the path of the property it looked at.
      resources: [...new Set(JSON.stringify(failure).match(/\/Resources\/[A-Za-z0-9]+/g) ?? [])]
        .map((path) => path.slice("/Resources/".length))
        .sort(),
    })),
  );
}

export function readSuppressions(): Suppressions {
  const { $comment: _comment, ...rules } = JSON.parse(readFileSync(SUPPRESSIONS_FILE, "utf8"));
  return rules as Suppressions;
}

const matches = (pattern: string, logicalId: string) =>
  pattern.endsWith("*") ? logicalId.startsWith(pattern.slice(0, -1)) : pattern === logicalId;

const key = (rule: string, pattern: string) => `${rule}:${pattern}`;
const appliesTo = (params: Readonly<Record<string, string>>) => (suppression: Suppression) =>
  Object.entries(suppression.when ?? {}).every(([name, value]) => params[name] === value);

/**
 * Splits one template's findings into those no suppression covers, and the suppression
 * patterns (`rule:pattern`) that matched something.
 */
export function applySuppressions(
  findings: readonly Finding[],
  suppressions: Suppressions,
  params: Readonly<Record<string, string>>,
): { unsuppressed: Finding[]; used: string[] } {
  const used = new Set<string>();
  const unsuppressed: Finding[] = [];
  for (const finding of findings) {
    const patterns = (suppressions[finding.rule] ?? [])
      .filter(appliesTo(params))
      .flatMap((entry) => entry.resources);
    const left = finding.resources.filter((logicalId) => {
      const hits = patterns.filter((pattern) => matches(pattern, logicalId));
      for (const pattern of hits) used.add(key(finding.rule, pattern));
      return hits.length === 0;
    });
    if (left.length > 0 || finding.resources.length === 0) {
      unsuppressed.push({ rule: finding.rule, resources: left });
    }
  }
  return { unsuppressed, used: [...used] };
}

/**
 * Suppression patterns that applied to a package (both templates) but matched no finding:
 * stale entries must be removed, not kept "just in case".
 */
export function unusedSuppressions(
  suppressions: Suppressions,
  params: Readonly<Record<string, string>>,
  used: Iterable<string>,
): string[] {
  const seen = new Set(used);
  return Object.entries(suppressions).flatMap(([rule, entries]) =>
    entries
      .filter(appliesTo(params))
      .flatMap((entry) => entry.resources.map((pattern) => key(rule, pattern)))
      .filter((entry) => !seen.has(entry)),
  );
}

/**
 * cfn-guard over packaged templates built with `params`: one line per finding no suppression
 * covers, and per suppression that matched nothing (stale entries must go). Empty: all pass.
 */
export async function guardTemplates(
  templatePaths: readonly string[],
  params: Readonly<Record<string, string>>,
): Promise<string[]> {
  const suppressions = readSuppressions();
  const withDefaults = {
    bucketEncryption: "SSE-S3",
    objectLockMode: "off",
    ...params,
    // The schedule is an expression; suppressions only ask whether there is one.
    auditSchedule: params.auditSchedule === "off" ? "off" : "on",
  };
  const problems: string[] = [];
  const used: string[] = [];
  for (const template of templatePaths) {
    const result = applySuppressions(await runGuard(template), suppressions, withDefaults);
    used.push(...result.used);
    for (const finding of result.unsuppressed) {
      problems.push(`${template}: ${finding.rule} fails for ${finding.resources.join(", ")}`);
    }
  }
  for (const entry of unusedSuppressions(suppressions, withDefaults, used)) {
    problems.push(`resources/guard-suppressions.json: ${entry} matches no finding; remove it`);
  }
  return problems;
}
