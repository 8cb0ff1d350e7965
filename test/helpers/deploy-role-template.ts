/**
 * Reads the one-time deploy-role template (resources/github-oidc-deploy-role.yml) and evaluates
 * its statements the way IAM matches them (wildcards in actions and ARNs). The template is
 * written with long-form intrinsics (Fn::Sub, Ref) so that a plain YAML parser reads it; Fn::Sub
 * strings are resolved with the parameters' defaults.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";

export const ACCOUNT = "123456789012";

export type Statement = {
  Sid: string;
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
  Principal?: unknown;
};

export type Template = {
  Parameters: Record<string, { Default?: string; AllowedPattern?: string }>;
  Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
  Outputs: Record<string, { Value: unknown }>;
};

export const template = parse(
  readFileSync(
    join(import.meta.dirname, "..", "..", "resources", "github-oidc-deploy-role.yml"),
    "utf8",
  ),
) as Template;

export function parameterValues(overrides: Record<string, string> = {}): Record<string, string> {
  const values: Record<string, string> = {
    "AWS::Partition": "aws",
    "AWS::AccountId": ACCOUNT,
    GitHubRepository: "octo-org/backup-validator",
  };
  for (const [name, parameter] of Object.entries(template.Parameters)) {
    if (parameter.Default !== undefined) values[name] = parameter.Default;
  }
  return { ...values, ...overrides };
}

/** Resolves `{ "Fn::Sub": "..." }`, `{ Ref }` (of a parameter) or a plain string. */
export function resolve(value: unknown, parameters: Record<string, string>): string {
  if (typeof value === "string") return value;
  const record = value as Record<string, unknown>;
  if (typeof record.Ref === "string") {
    const resolved = parameters[record.Ref];
    if (resolved === undefined) throw new Error(`unknown Ref ${record.Ref}`);
    return resolved;
  }
  if (typeof record["Fn::Sub"] === "string") {
    return record["Fn::Sub"].replace(/\$\{([\w:]+)\}/g, (_match, name: string) => {
      const resolved = parameters[name];
      if (resolved === undefined) throw new Error(`unknown Sub variable ${name}`);
      return resolved;
    });
  }
  throw new Error(`cannot resolve ${JSON.stringify(value)}`);
}

export function actionsOf(statement: Statement): string[] {
  return Array.isArray(statement.Action) ? statement.Action : [statement.Action];
}

export function resourcesOf(statement: Statement, parameters: Record<string, string>): string[] {
  const resources = Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource];
  return resources.map((resource) => resolve(resource, parameters));
}

/** IAM's matching of `*` and `?` in ARNs and action names. */
export function wildcardMatches(pattern: string, value: string): boolean {
  const expression = pattern
    .split("")
    .map((character) => {
      if (character === "*") return ".*";
      if (character === "?") return ".";
      return character.replace(/[.+^${}()|[\]\\/]/g, "\\$&");
    })
    .join("");
  return new RegExp(`^${expression}$`).test(value);
}

export function deployRole() {
  const role = template.Resources.DeployRole;
  if (role === undefined) throw new Error("no DeployRole");
  return role.Properties as {
    RoleName: unknown;
    AssumeRolePolicyDocument: { Statement: Statement[] };
    Policies: { PolicyDocument: { Statement: Statement[] } }[];
  };
}

export const BOUNDARY_LOGICAL_ID = "StackRolesBoundary";

/** The managed policy the stacks' roles get as permissions boundary. */
export function boundaryPolicy() {
  const policy = template.Resources[BOUNDARY_LOGICAL_ID];
  if (policy === undefined) throw new Error(`no ${BOUNDARY_LOGICAL_ID} in the role template`);
  return policy as {
    Type: string;
    Properties: { ManagedPolicyName: unknown; PolicyDocument: { Statement: Statement[] } };
  };
}
