/**
 * The permissions boundary of the stacks' roles, on the packaged templates: set on every role
 * when `--param permissionsBoundary=<ARN>` is given (CI deploys, whose deploy role requires it),
 * on none otherwise; and the boundary policy of resources/github-oidc-deploy-role.yml allows
 * every permission those roles are given, computed from the packaged roles so the two cannot
 * drift apart (a boundary that misses one breaks the function or replication in production).
 */
import { beforeAll, describe, expect, it } from "vitest";
import {
  boundaryPolicy,
  parameterValues,
  resolve,
  resourcesOf,
  actionsOf as statementActions,
  wildcardMatches,
} from "../helpers/deploy-role-template.ts";
import {
  ACCOUNT_ID,
  KMS_VARIANT,
  type Packaged,
  packaged,
  resolveSub,
  resourcesOfType,
  type Template,
} from "../helpers/packaged.ts";

const REGION = "us-east-1";
const BOUNDARY = `arn:aws:iam::${ACCOUNT_ID}:policy/github-deploy-backup-validator-dev-boundary`;
const WITH_BOUNDARY = [`permissionsBoundary=${BOUNDARY}`];

const STACK_ROLES = [
  "ChecksumValidatorRole",
  "FailureNotifierRole",
  "ReplicationRole",
  "AuditStarterRole",
  "AuditWorkerRole",
  "AuditJobRole",
  "AuditSchedulerRole",
];

let plain: Packaged[];
let bounded: Packaged[];

beforeAll(async () => {
  const [sseS3, sseKms, boundedS3, boundedKms] = await Promise.all([
    packaged(),
    packaged(KMS_VARIANT),
    packaged(WITH_BOUNDARY),
    packaged([...KMS_VARIANT, ...WITH_BOUNDARY]),
  ]);
  plain = [sseS3, sseKms];
  bounded = [boundedS3, boundedKms];
}, 240_000);

const templatesOf = (packages: Packaged[]): Template[] =>
  packages.flatMap((pkg) => [pkg.primary, pkg.replica]);
const rolesOf = (packages: Packaged[]) =>
  templatesOf(packages).flatMap((template) => resourcesOfType(template, "AWS::IAM::Role"));

describe("--param permissionsBoundary", () => {
  it("sets the boundary on every IAM role of both stacks, in both encryption modes", () => {
    // Prepare
    const roles = rolesOf(bounded);

    // Assess: the roles (validator, notifier, replication, the audit's four) of each package
    expect(roles.map(([id]) => id).sort()).toEqual([...STACK_ROLES, ...STACK_ROLES].sort());
    for (const [id, role] of roles) {
      expect({ id, boundary: role.Properties.PermissionsBoundary }).toEqual({
        id,
        boundary: BOUNDARY,
      });
    }
  });

  it("leaves every role without a boundary when not given (manual deploys)", () => {
    // Prepare
    const roles = rolesOf(plain);

    // Assess
    expect(roles.length).toBeGreaterThan(0);
    for (const [id, role] of roles) {
      expect({ id, boundary: role.Properties.PermissionsBoundary }).toEqual({
        id,
        boundary: undefined,
      });
    }
  });
});

// ---------------------------------------------------------------------------------------------
// What the roles are given, and what the boundary allows

/**
 * One permission a role is given: an action on a resource, the kms:ViaService it needs, and the
 * other conditions it carries.
 */
interface Grant {
  readonly role: string;
  readonly action: string;
  readonly resource: string;
  readonly viaService?: string;
  readonly condition?: Record<string, Record<string, unknown>>;
}

type PolicyStatement = {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Principal?: { AWS?: unknown };
  Condition?: Record<string, Record<string, unknown>>;
};

/**
 * An ARN: GetAtt of a role of the template stands for the name CloudFormation gives it
 * (<stack>-<logical id>-<suffix>), GetAtt of a key for a key in the primary region.
 */
function resolveArn(value: unknown, roleIds: readonly string[]): string {
  const getAtt = (value as { "Fn::GetAtt"?: [string, string] } | null)?.["Fn::GetAtt"];
  if (getAtt !== undefined && roleIds.includes(getAtt[0])) {
    return `arn:aws:iam::${ACCOUNT_ID}:role/backup-validator-dev-${getAtt[0]}-A1B2C3D4E5F6`;
  }
  if (getAtt !== undefined) return `arn:aws:kms:${REGION}:${ACCOUNT_ID}:key/${getAtt[0]}`;
  return resolveSub(value, REGION);
}

function viaServiceOf(statement: PolicyStatement): string | undefined {
  const via = statement.Condition?.StringEquals?.["kms:ViaService"];
  return via === undefined ? undefined : resolveSub(via, REGION);
}

/** Grants of the roles' inline policies, and of key policies that name a role as principal. */
function grantsOf(template: Template): Grant[] {
  const grants: Grant[] = [];
  const roleIds = resourcesOfType(template, "AWS::IAM::Role").map(([id]) => id);
  for (const [role, resource] of resourcesOfType(template, "AWS::IAM::Role")) {
    const policies = resource.Properties.Policies as { PolicyDocument: unknown }[];
    for (const { PolicyDocument } of policies) {
      for (const statement of (PolicyDocument as { Statement: PolicyStatement[] }).Statement) {
        expect(statement.Effect).toBe("Allow");
        for (const action of [statement.Action].flat()) {
          for (const arn of [statement.Resource].flat()) {
            const viaService = viaServiceOf(statement);
            grants.push({
              role,
              action,
              resource: resolveArn(arn, roleIds),
              ...(viaService === undefined ? {} : { viaService }),
              ...(statement.Condition === undefined ? {} : { condition: statement.Condition }),
            });
          }
        }
      }
    }
  }
  // Boundaries also cap what a resource policy grants to a role (the principal of the request
  // is the role session): the key policies' grants to the roles must be inside the boundary too.
  // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
  for (const [key, resource] of resourcesOfType(template, "AWS::KMS::Key")) {
    const keyPolicy = resource.Properties.KeyPolicy as { Statement: PolicyStatement[] };
    for (const statement of keyPolicy.Statement) {
      const principal = (statement.Principal?.AWS as { "Fn::GetAtt"?: [string, string] })?.[
        "Fn::GetAtt"
      ]?.[0];
      if (statement.Effect !== "Allow" || principal === undefined) continue;
      expect(roleIds).toContain(principal);
      for (const action of [statement.Action].flat()) {
        const viaService = viaServiceOf(statement);
        grants.push({
          role: principal,
          action,
          resource: `arn:aws:kms:${REGION}:${ACCOUNT_ID}:key/${key}`,
          ...(viaService === undefined ? {} : { viaService }),
        });
      }
    }
  }
  return grants;
}

const boundaryStatements = () => {
  const parameters = parameterValues();
  return boundaryPolicy().Properties.PolicyDocument.Statement.map((statement) => ({
    sid: statement.Sid,
    effect: statement.Effect,
    actions: statementActions(statement),
    resources: resourcesOf(statement, parameters),
    conditions: Object.entries(statement.Condition ?? {}).flatMap(([operator, keys]) =>
      Object.entries(keys)
        .filter(([key]) => key !== "kms:ViaService")
        .map(([key, value]) => ({ operator, key, value })),
    ),
    viaServices: [statement.Condition?.StringEquals?.["kms:ViaService"] ?? []]
      .flat()
      .map((value) => resolve(value, parameters)),
  }));
};

/**
 * Whether a boundary statement allows the grant. A granted action with a wildcard (the topic
 * key policy's `kms:GenerateDataKey*`, as the SNS guide words it) counts when the boundary
 * allows an action it matches: SNS publishes with kms:GenerateDataKey. A boundary condition
 * (other than kms:ViaService, compared apart) allows the grant only when the grant carries the
 * same condition, so that every request the role may make meets it.
 */
function boundaryAllows(grant: Grant): boolean {
  return boundaryStatements().some(
    (statement) =>
      statement.effect === "Allow" &&
      statement.actions.some(
        (action) => wildcardMatches(action, grant.action) || wildcardMatches(grant.action, action),
      ) &&
      statement.resources.some((pattern) => wildcardMatches(pattern, grant.resource)) &&
      statement.conditions.every(
        ({ operator, key, value }) =>
          JSON.stringify(grant.condition?.[operator]?.[key]) === JSON.stringify(value),
      ) &&
      (statement.viaServices.length === 0 ||
        (grant.viaService !== undefined && statement.viaServices.includes(grant.viaService))),
  );
}

describe("the boundary policy of the deploy-role template", () => {
  it("allows every permission the stacks give their roles, in both encryption modes", () => {
    // Prepare
    const grants = templatesOf(bounded).flatMap(grantsOf);

    // Assess: not vacuous (S3, SQS, SNS, logs, KMS, Lambda and IAM grants of every role) …
    expect(new Set(grants.map((grant) => grant.role))).toEqual(new Set(STACK_ROLES));
    expect(new Set(grants.map((grant) => grant.action.split(":")[0]))).toEqual(
      new Set(["logs", "s3", "sqs", "sns", "kms", "dynamodb", "lambda", "iam"]),
    );
    // … and every grant is inside the boundary
    expect(grants.filter((grant) => !boundaryAllows(grant))).toEqual([]);
  });

  it("allows no action that no role of the stacks is given", () => {
    // Prepare
    const used = [
      ...new Set(
        templatesOf(bounded)
          .flatMap(grantsOf)
          .map((grant) => grant.action),
      ),
    ];

    // Assess
    const unused = boundaryStatements()
      .flatMap((statement) => statement.actions)
      .filter((action) => !used.some((pattern) => wildcardMatches(pattern, action)));
    expect(unused).toEqual([]);
  });
});
