import { describe, expect, it } from "vitest";
import { DEPLOY_SCOPE_TAG } from "../../resources/cloudformation/storage.ts";
import {
  ACCOUNT,
  actionsOf,
  BOUNDARY_LOGICAL_ID,
  boundaryPolicy,
  deployRole,
  parameterValues,
  resolve,
  resourcesOf,
  type Statement,
  template,
  wildcardMatches,
} from "../helpers/deploy-role-template.ts";

// The one-time role template (resources/github-oidc-deploy-role.yml), read with its parameters'
// defaults (test/helpers/deploy-role-template.ts); statements are evaluated the way IAM matches
// ARNs (wildcards), to prove what the deploy role can and cannot touch.

const statements = deployRole().Policies.flatMap((policy) => policy.PolicyDocument.Statement);
const allowStatements = statements.filter((statement) => statement.Effect === "Allow");

/** Whether some Allow statement names this action on this ARN (conditions not evaluated). */
function allows(action: string, arn: string, overrides: Record<string, string> = {}): boolean {
  const parameters = parameterValues(overrides);
  return statements.some(
    (statement) =>
      statement.Effect === "Allow" &&
      actionsOf(statement).includes(action) &&
      resourcesOf(statement, parameters).some((pattern) => wildcardMatches(pattern, arn)),
  );
}

describe("trust policy", () => {
  const trust = deployRole().AssumeRolePolicyDocument.Statement;

  it("lets only the repository's jobs in the stage's GitHub environment assume the role", () => {
    // Prepare
    const [statement] = trust;
    const parameters = parameterValues({ GitHubEnvironment: "prod" });

    // Assess
    expect(trust).toHaveLength(1);
    expect(statement?.Action).toBe("sts:AssumeRoleWithWebIdentity");
    expect(Object.keys(statement?.Condition ?? {})).toEqual(["StringEquals"]);
    const condition = statement?.Condition?.StringEquals ?? {};
    expect(condition["token.actions.githubusercontent.com:aud"]).toBe("sts.amazonaws.com");
    expect(resolve(condition["token.actions.githubusercontent.com:sub"], parameters)).toBe(
      "repo:octo-org/backup-validator:environment:prod",
    );
  });

  it("trusts the GitHub OIDC provider, created here or already in the account", () => {
    // Prepare
    const principal = trust[0]?.Principal as { Federated: { "Fn::If": unknown[] } };
    const [, created, existing] = principal.Federated["Fn::If"];

    // Assess
    expect(created).toEqual({ Ref: "GitHubOidcProvider" });
    expect(resolve(existing, parameterValues())).toBe(
      `arn:aws:iam::${ACCOUNT}:oidc-provider/token.actions.githubusercontent.com`,
    );
    expect(template.Resources.GitHubOidcProvider?.Properties).toEqual({
      Url: "https://token.actions.githubusercontent.com",
      ClientIdList: ["sts.amazonaws.com"],
    });
  });
});

describe("permissions", () => {
  it("are Allow statements without wildcard actions, but for the denials (resource import, boundaries)", () => {
    // Assess
    expect(allowStatements.length).toBeGreaterThan(10);
    for (const statement of allowStatements) {
      for (const action of actionsOf(statement)) expect(action).toMatch(/^[a-z0-9-]+:[A-Za-z]+$/);
    }
    expect(statements.filter((statement) => statement.Effect !== "Allow")).toEqual([
      {
        Sid: "DenyResourceImport",
        Effect: "Deny",
        Action: "cloudformation:*",
        Resource: "*",
        Condition: { "ForAnyValue:StringLike": { "cloudformation:ImportResourceTypes": "*" } },
      },
      {
        Sid: "DenyRemovingBoundaries",
        Effect: "Deny",
        Action: "iam:DeleteRolePermissionsBoundary",
        Resource: "*",
      },
      {
        Sid: "DenyChangingTheBoundaryPolicy",
        Effect: "Deny",
        Action: [
          "iam:CreatePolicyVersion",
          "iam:DeletePolicyVersion",
          "iam:SetDefaultPolicyVersion",
          "iam:DeletePolicy",
        ],
        Resource: { Ref: BOUNDARY_LOGICAL_ID },
      },
    ]);
  });

  it('name "*" only for actions without resource-level permissions, narrowed by a condition', () => {
    // Prepare
    const unscoped = allowStatements.filter((statement) => statement.Resource === "*");

    // Assess
    expect(unscoped.flatMap(actionsOf).sort()).toEqual([
      "cloudformation:ListExports",
      "cloudformation:ValidateTemplate",
      "kms:CreateKey",
      "kms:ListAliases",
      "lambda:CreateEventSourceMapping",
      "logs:DescribeLogGroups",
    ]);
    for (const statement of unscoped) {
      const conditions = statement.Condition ?? {};
      const narrowed =
        conditions.StringEquals?.["aws:RequestedRegion"] !== undefined ||
        conditions.ArnLike?.["lambda:FunctionArn"] !== undefined;
      expect({ sid: statement.Sid, narrowed }).toEqual({ sid: statement.Sid, narrowed: true });
    }
  });

  it("let only the Serverless CLI's own calls run outside CloudFormation", () => {
    // Prepare
    const direct = allowStatements
      .filter(
        (statement) =>
          statement.Condition?.["ForAnyValue:StringEquals"]?.["aws:CalledVia"] !==
          "cloudformation.amazonaws.com",
      )
      .map((statement) => statement.Sid);

    // Assess
    expect(direct.sort()).toEqual([
      "CompareDeployedFunctions",
      "DeploymentBucketObjects",
      "PassStackRolesToServices",
      "TemplateValidationAndExports",
      "TheTwoStacks",
    ]);
  });

  it("pass roles only to Lambda, S3 (replication) and EventBridge Scheduler (the audit schedule)", () => {
    // Prepare
    const passRole = statements.filter((statement) =>
      actionsOf(statement).includes("iam:PassRole"),
    );

    // Assess
    expect(passRole).toHaveLength(1);
    expect(passRole[0]?.Condition).toEqual({
      StringEquals: {
        "iam:PassedToService": [
          "lambda.amazonaws.com",
          "s3.amazonaws.com",
          "scheduler.amazonaws.com",
        ],
      },
    });
  });

  it("manage the audit schedule of the stage only, through CloudFormation", () => {
    // Prepare
    const schedule = `arn:aws:scheduler:us-east-1:${ACCOUNT}:schedule/default/backup-validator-dev-audit`;

    // Assess
    for (const action of [
      "scheduler:CreateSchedule",
      "scheduler:GetSchedule",
      "scheduler:UpdateSchedule",
      "scheduler:DeleteSchedule",
    ]) {
      expect({ action, allowed: allows(action, schedule) }).toEqual({ action, allowed: true });
      expect(
        allows(action, schedule.replace("backup-validator-dev-", "backup-validator-prod-")),
      ).toBe(false);
    }
    expect(
      allows(
        "s3:PutInventoryConfiguration",
        `arn:aws:s3:::backup-validator-documents-dev-${ACCOUNT}-us-east-1`,
      ),
    ).toBe(true);
  });

  it("manage roles with inline policies only: no managed policies, users or groups", () => {
    // Prepare
    const iamActions = allowStatements
      .flatMap(actionsOf)
      .filter((action) => action.startsWith("iam:"));

    // Assess
    expect(iamActions.sort()).toEqual([
      "iam:CreateRole",
      "iam:DeleteRole",
      "iam:DeleteRolePolicy",
      "iam:GetRole",
      "iam:GetRolePolicy",
      "iam:ListAttachedRolePolicies",
      "iam:ListRolePolicies",
      "iam:ListRoleTags",
      "iam:PassRole",
      "iam:PutRolePermissionsBoundary",
      "iam:PutRolePolicy",
      "iam:TagRole",
      "iam:UntagRole",
      "iam:UpdateAssumeRolePolicy",
      "iam:UpdateRole",
      "iam:UpdateRoleDescription",
    ]);
  });
});

describe("permissions boundary: the stacks' roles can do no more than StackRolesBoundary", () => {
  const boundaryRef = { Ref: BOUNDARY_LOGICAL_ID };
  // Every action by which a principal can give a role permissions or lift its boundary.
  // https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html#access_policies_boundaries-delegate
  const granting = [
    "iam:CreateRole",
    "iam:PutRolePolicy",
    "iam:AttachRolePolicy",
    "iam:PutRolePermissionsBoundary",
  ];
  const grantingStatements = (action: string) =>
    allowStatements.filter((statement) =>
      actionsOf(statement).some((pattern) => wildcardMatches(pattern, action)),
    );

  it.each(granting)("%s: only with the boundary, when allowed at all", (action) => {
    // Assess
    for (const statement of grantingStatements(action)) {
      expect({ sid: statement.Sid, condition: statement.Condition?.StringEquals }).toEqual({
        sid: statement.Sid,
        condition: expect.objectContaining({ "iam:PermissionsBoundary": boundaryRef }),
      });
    }
  });

  it("lets CloudFormation create roles, write their inline policies and set the boundary, and attach nothing", () => {
    // Assess: the conditions above are not vacuous
    expect(grantingStatements("iam:CreateRole").map((statement) => statement.Sid)).toEqual([
      "StackRolesOnlyWithBoundary",
    ]);
    expect(grantingStatements("iam:PutRolePolicy")).toHaveLength(1);
    expect(grantingStatements("iam:PutRolePermissionsBoundary")).toHaveLength(1);
    expect(grantingStatements("iam:AttachRolePolicy")).toEqual([]);
    expect(
      allows(
        "iam:CreateRole",
        `arn:aws:iam::${ACCOUNT}:role/backup-validator-dev-ChecksumValidatorRole-AB12`,
      ),
    ).toBe(true);
  });

  it("never removes a boundary, and never changes or deletes the boundary policy", () => {
    // Prepare
    const denied = (action: string, resource: unknown) =>
      statements.some(
        (statement) =>
          statement.Effect === "Deny" &&
          statement.Condition === undefined &&
          actionsOf(statement).includes(action) &&
          JSON.stringify([statement.Resource].flat()).includes(JSON.stringify(resource)),
      );

    // Assess
    expect(denied("iam:DeleteRolePermissionsBoundary", "*")).toBe(true);
    for (const action of [
      "iam:CreatePolicyVersion",
      "iam:DeletePolicyVersion",
      "iam:SetDefaultPolicyVersion",
      "iam:DeletePolicy",
    ]) {
      expect({ action, denied: denied(action, boundaryRef) }).toEqual({ action, denied: true });
    }
    const policyActions = allowStatements
      .flatMap(actionsOf)
      .filter((action) => /^iam:.*Polic(y|ies)/.test(action) && !/Role/.test(action));
    expect(policyActions).toEqual([]);
  });

  it("is a managed policy named outside the stage's prefix, given as an output", () => {
    // Prepare
    const boundary = boundaryPolicy();
    const parameters = parameterValues({ Stage: "prod" });

    // Assess
    expect(boundary.Type).toBe("AWS::IAM::ManagedPolicy");
    expect(resolve(boundary.Properties.ManagedPolicyName, parameters)).toBe(
      "github-deploy-backup-validator-prod-boundary",
    );
    expect(template.Outputs.PermissionsBoundaryArn?.Value).toEqual(boundaryRef);
  });

  it("allows named actions only, on this stage's names in the two regions only", () => {
    // Prepare
    const boundaryStatements = boundaryPolicy().Properties.PolicyDocument.Statement;
    const parameters = parameterValues();
    const stageScoped = [
      // logs, sqs, sns, dynamodb: <service>-<stage>- in the primary region
      new RegExp(
        `^arn:aws:(logs|sqs|sns|dynamodb):us-east-1:${ACCOUNT}:(log-group:/aws/lambda/|table/)?backup-validator-dev-\\*`,
      ),
      // data buckets <service>-<category>-<stage>-<account>-<region>
      new RegExp(`^arn:aws:s3:::backup-validator-\\*-dev-${ACCOUNT}-(us-east-1|us-west-2)(/\\*)?$`),
      // keys: random ids, confined by kms:ViaService below
      new RegExp(`^arn:aws:kms:(us-east-1|us-west-2):${ACCOUNT}:key/\\*$`),
      // the audit: the stage's functions (invoked), roles (passed) and job reports
      new RegExp(`^arn:aws:lambda:us-east-1:${ACCOUNT}:function:backup-validator-dev-\\*$`),
      new RegExp(`^arn:aws:iam::${ACCOUNT}:role/backup-validator-dev-\\*$`),
      new RegExp(`^arn:aws:s3:::backup-validator-inventory-dev-${ACCOUNT}-us-east-1/reports/\\*$`),
    ];

    // Assess
    expect(boundaryStatements.length).toBeGreaterThan(0);
    // CreateJob names no resource ("*"): the boundary allows LambdaInvoke jobs only.
    const unscoped = boundaryStatements.filter((statement) => statement.Resource === "*");
    expect(unscoped.map((statement) => [actionsOf(statement), statement.Condition])).toEqual([
      [["s3:CreateJob"], { StringEquals: { "s3:RequestJobOperation": "LambdaInvoke" } }],
    ]);
    for (const statement of boundaryStatements.filter((each) => each.Resource !== "*")) {
      expect(statement.Effect).toBe("Allow");
      for (const action of actionsOf(statement)) expect(action).toMatch(/^[a-z0-9-]+:[A-Za-z]+$/);
      for (const resource of resourcesOf(statement, parameters)) {
        expect({
          sid: statement.Sid,
          resource,
          scoped: stageScoped.some((r) => r.test(resource)),
        }).toEqual({ sid: statement.Sid, resource, scoped: true });
      }
      if (actionsOf(statement).some((action) => action.startsWith("kms:"))) {
        const via = statement.Condition?.StringEquals?.["kms:ViaService"] as unknown[];
        expect(via.map((value) => resolve(value, parameters)).sort()).toEqual([
          "s3.us-east-1.amazonaws.com",
          "s3.us-west-2.amazonaws.com",
          "sns.us-east-1.amazonaws.com",
          "sqs.us-east-1.amazonaws.com",
        ]);
      }
    }
  });
});

describe("KMS keys: only the stage's, told apart by their deploy-scope tag", () => {
  const keyArn = (region: string) => `arn:aws:kms:${region}:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef`;
  // Whatever could weaken, lock out or destroy a key, or repoint an alias at it.
  const keyChanging = [
    "kms:PutKeyPolicy",
    "kms:ScheduleKeyDeletion",
    "kms:DisableKey",
    "kms:EnableKey",
    "kms:DisableKeyRotation",
    "kms:UpdateKeyDescription",
    "kms:UntagResource",
    "kms:CreateAlias",
    "kms:UpdateAlias",
    "kms:DeleteAlias",
  ];
  /** The tag value a statement requires (`aws:RequestTag/…` or `aws:ResourceTag/…`), if any. */
  const requiredTag = (statement: Statement, kind: "RequestTag" | "ResourceTag", stage: string) => {
    const value = statement.Condition?.StringEquals?.[`aws:${kind}/${DEPLOY_SCOPE_TAG}`];
    return value === undefined ? undefined : resolve(value, parameterValues({ Stage: stage }));
  };
  const allowingOnKeys = (action: string) =>
    allowStatements.filter(
      (statement) =>
        actionsOf(statement).includes(action) &&
        resourcesOf(statement, parameterValues()).some((pattern) =>
          wildcardMatches(pattern, keyArn("us-east-1")),
        ),
    );

  it("are created only with the tag deploy-scope=<service>-<stage> (the stacks' tag)", () => {
    // Prepare
    const create = allowStatements.filter((statement) =>
      actionsOf(statement).includes("kms:CreateKey"),
    );

    // Assess
    expect(create).toHaveLength(1);
    expect(requiredTag(create[0] as Statement, "RequestTag", "prod")).toBe("backup-validator-prod");
    expect(DEPLOY_SCOPE_TAG).toBe("deploy-scope");
  });

  it.each(keyChanging)("%s: only on keys tagged with the stage's scope", (action) => {
    // Prepare
    const granting = allowingOnKeys(action);

    // Assess
    expect(granting.length).toBeGreaterThan(0);
    for (const statement of granting) {
      expect({ sid: statement.Sid, tag: requiredTag(statement, "ResourceTag", "dev") }).toEqual({
        sid: statement.Sid,
        tag: "backup-validator-dev",
      });
    }
    expect(allows(action, keyArn("us-west-2"))).toBe(true);
    expect(allows(action, keyArn("eu-west-1"))).toBe(false);
  });

  it("kms:TagResource: on tagged keys, or adding the stage's own tag (tag on create)", () => {
    // Assess
    const tags = allowingOnKeys("kms:TagResource").map((statement) => ({
      resource: requiredTag(statement, "ResourceTag", "dev"),
      request: requiredTag(statement, "RequestTag", "dev"),
    }));
    expect(tags).toEqual(
      expect.arrayContaining([
        { resource: "backup-validator-dev", request: undefined },
        { resource: undefined, request: "backup-validator-dev" },
      ]),
    );
    expect(tags).toHaveLength(2);
  });

  it("without the tag, only what the key handler calls right after CreateKey", () => {
    // Prepare
    const untagged = allowStatements
      .filter((statement) => actionsOf(statement).some((action) => action.startsWith("kms:")))
      .filter(
        (statement) =>
          requiredTag(statement, "ResourceTag", "dev") === undefined &&
          requiredTag(statement, "RequestTag", "dev") === undefined &&
          statement.Resource !== "*",
      );

    // Assess: alias statements are scoped by the alias name instead
    expect(untagged.flatMap(actionsOf).sort()).toEqual([
      "kms:CreateAlias",
      "kms:DeleteAlias",
      "kms:DescribeKey",
      "kms:EnableKeyRotation",
      "kms:GetKeyPolicy",
      "kms:GetKeyRotationStatus",
      "kms:ListResourceTags",
      "kms:UpdateAlias",
    ]);
    for (const statement of untagged.filter((s) => actionsOf(s).includes("kms:CreateAlias"))) {
      expect(
        resourcesOf(statement, parameterValues()).every((arn) => arn.includes(":alias/")),
      ).toBe(true);
    }
  });
});

describe("scope: what the dev role may manage", () => {
  it.each([
    ["cloudformation:UpdateStack", "cloudformation:us-east-1", "stack/backup-validator-dev/1a2b"],
    [
      "cloudformation:ExecuteChangeSet",
      "cloudformation:us-west-2",
      "stack/backup-validator-replica-dev/1a2b",
    ],
    [
      "cloudformation:DescribeStacks",
      "cloudformation:us-west-2",
      "stack/backup-validator-replica-dev/1a2b",
    ],
  ])("%s on %s %s", (action, service, resource) => {
    // Assess
    const [prefix, region] = service.split(":");
    expect(allows(action, `arn:aws:${prefix}:${region}:${ACCOUNT}:${resource}`)).toBe(true);
  });

  it.each([
    ["s3:PutObject", "backup-validator-dev-serverlessdeploymentbucket-1x2y3z/serverless/a.zip"],
    ["s3:DeleteObjectVersion", "backup-validator-replica-dev-serverlessdeploymentbucket-9q/x.json"],
    ["s3:CreateBucket", `backup-validator-documents-dev-${ACCOUNT}-us-east-1`],
    ["s3:PutReplicationConfiguration", `backup-validator-media-dev-${ACCOUNT}-us-east-1`],
    ["s3:PutBucketPolicy", `backup-validator-databases-dev-${ACCOUNT}-us-west-2`],
    ["s3:PutBucketLogging", `backup-validator-logs-dev-${ACCOUNT}-us-west-2`],
    ["s3:PutBucketVersioning", "backup-validator-dev-serverlessdeploymentbucket-1x2y3z"],
  ])("%s on s3 %s", (action, resource) => {
    // Assess
    expect(allows(action, `arn:aws:s3:::${resource}`)).toBe(true);
  });

  it.each([
    ["sqs:CreateQueue", `arn:aws:sqs:us-east-1:${ACCOUNT}:backup-validator-dev-validation-dlq`],
    ["sns:Subscribe", `arn:aws:sns:us-east-1:${ACCOUNT}:backup-validator-dev-alerts`],
    ["sns:CreateTopic", `arn:aws:sns:us-east-1:${ACCOUNT}:backup-validator-dev-alarms`],
    [
      "dynamodb:UpdateTimeToLive",
      `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/backup-validator-dev-alerts-sent`,
    ],
    ["sns:Unsubscribe", `arn:aws:sns:us-east-1:${ACCOUNT}:backup-validator-dev-alerts:0f1e2d3c`],
    [
      "lambda:CreateFunction",
      `arn:aws:lambda:us-east-1:${ACCOUNT}:function:backup-validator-dev-checksum-validator`,
    ],
    [
      "lambda:GetFunction",
      `arn:aws:lambda:us-east-1:${ACCOUNT}:function:backup-validator-dev-failure-notifier`,
    ],
    [
      "logs:PutRetentionPolicy",
      `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:/aws/lambda/backup-validator-dev-checksum-validator`,
    ],
    ["kms:CreateAlias", `arn:aws:kms:us-east-1:${ACCOUNT}:alias/backup-validator-dev-queue`],
    [
      "kms:PutKeyPolicy",
      `arn:aws:kms:us-east-1:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`,
    ],
    [
      "events:PutTargets",
      `arn:aws:events:us-east-1:${ACCOUNT}:rule/backup-validator-dev-ObjectCreatedRule-AB12`,
    ],
    [
      "cloudwatch:PutMetricAlarm",
      `arn:aws:cloudwatch:us-east-1:${ACCOUNT}:alarm:backup-validator-dev-validation-dlq-not-empty`,
    ],
    ["cloudwatch:PutDashboard", `arn:aws:cloudwatch::${ACCOUNT}:dashboard/backup-validator-dev`],
    [
      "iam:PutRolePolicy",
      `arn:aws:iam::${ACCOUNT}:role/backup-validator-dev-ChecksumValidatorRole-AB12CD34`,
    ],
    ["iam:PassRole", `arn:aws:iam::${ACCOUNT}:role/backup-validator-dev-ReplicationRole-AB12CD34`],
  ])("%s on %s", (action, arn) => {
    // Assess
    expect(allows(action, arn)).toBe(true);
  });
});

describe("scope: what the dev role may not touch", () => {
  it.each([
    // Another stage's stacks and resources.
    [
      "cloudformation:DeleteStack",
      `arn:aws:cloudformation:us-east-1:${ACCOUNT}:stack/backup-validator-prod/1a2b`,
    ],
    [
      "cloudformation:DeleteStack",
      `arn:aws:cloudformation:us-west-2:${ACCOUNT}:stack/backup-validator-replica-prod/1a2b`,
    ],
    ["s3:DeleteBucket", `arn:aws:s3:::backup-validator-documents-prod-${ACCOUNT}-us-east-1`],
    ["sqs:DeleteQueue", `arn:aws:sqs:us-east-1:${ACCOUNT}:backup-validator-prod-validation`],
    ["sqs:DeleteQueue", `arn:aws:sqs:us-east-1:${ACCOUNT}:backup-validator-dev2-validation`],
    [
      "dynamodb:DeleteTable",
      `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/backup-validator-prod-alerts-sent`,
    ],
    [
      "lambda:UpdateFunctionCode",
      `arn:aws:lambda:us-east-1:${ACCOUNT}:function:backup-validator-prod-checksum-validator`,
    ],
    [
      "iam:PutRolePolicy",
      `arn:aws:iam::${ACCOUNT}:role/backup-validator-prod-ChecksumValidatorRole-AB12`,
    ],
    // The stacks in a region they do not live in.
    [
      "cloudformation:UpdateStack",
      `arn:aws:cloudformation:eu-west-1:${ACCOUNT}:stack/backup-validator-dev/1a2b`,
    ],
    ["sqs:CreateQueue", `arn:aws:sqs:eu-west-1:${ACCOUNT}:backup-validator-dev-validation`],
    // The backups themselves: deploying never reads or writes objects in the data buckets.
    ["s3:GetObject", `arn:aws:s3:::backup-validator-documents-dev-${ACCOUNT}-us-east-1/report.pdf`],
    ["s3:PutObject", `arn:aws:s3:::backup-validator-documents-dev-${ACCOUNT}-us-west-2/report.pdf`],
    [
      "s3:DeleteObjectVersion",
      `arn:aws:s3:::backup-validator-media-dev-${ACCOUNT}-us-east-1/a.mov`,
    ],
    // Another account's buckets, unrelated resources.
    ["s3:CreateBucket", "arn:aws:s3:::backup-validator-documents-dev-999999999999-us-east-1"],
    ["s3:DeleteBucket", "arn:aws:s3:::company-finance"],
    ["iam:CreateRole", `arn:aws:iam::${ACCOUNT}:role/admin`],
    // Itself: it can neither rewrite its own policy nor pass itself on.
    ["iam:PutRolePolicy", `arn:aws:iam::${ACCOUNT}:role/github-deploy-backup-validator-dev`],
    [
      "iam:UpdateAssumeRolePolicy",
      `arn:aws:iam::${ACCOUNT}:role/github-deploy-backup-validator-dev`,
    ],
    ["iam:PassRole", `arn:aws:iam::${ACCOUNT}:role/github-deploy-backup-validator-dev`],
  ])("%s on %s", (action, arn) => {
    // Assess
    expect(allows(action, arn)).toBe(false);
  });

  it.each([
    ["dev", true],
    ["prod2", true],
    ["replica", false],
    ["Prod", false],
    ["dev-1", false],
    ["abcdefghijk", false],
  ])("accepts %j as a Stage: %s", (stage, accepted) => {
    // Prepare: CloudFormation AllowedPattern must match the whole value.
    const pattern = new RegExp(template.Parameters.Stage?.AllowedPattern ?? "^$");

    // Assess
    expect(pattern.test(stage)).toBe(accepted);
  });

  it("names itself outside the service prefix, so no stage's statements can match it", () => {
    // Assess
    expect(resolve(deployRole().RoleName, parameterValues({ Stage: "prod" }))).toBe(
      "github-deploy-backup-validator-prod",
    );
  });
});
