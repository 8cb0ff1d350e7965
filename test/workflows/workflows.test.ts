import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import {
  job,
  readWorkflow,
  readWorkflowText,
  repositoryRoot,
  runCommands,
  runStepScript,
  type Step,
  stepNamed,
  stepUsing,
  workflowFileNames,
} from "./workflow-files.ts";

const CONFIRMATION = "destroy all resources";
const DEPLOY_CHECK = "Check the branch, the stage name and the role variables";
const BOUNDARY = "arn:aws:iam::123456789012:policy/github-deploy-backup-validator-prod-boundary";

/** The GitHub environment variables that carry a stage's deploy parameters. */
const DEPLOY_VARIABLES = [
  "PRIMARY_REGION",
  "REPLICA_REGION",
  "CATEGORIES",
  "ALERT_EMAILS",
  "BUCKET_ENCRYPTION",
  "REPLICATION_TIME_CONTROL",
  "OBJECT_LOCK_MODE",
  "OBJECT_LOCK_RETENTION_DAYS",
  "BREAK_GLASS_ROLE_ARN",
];
/** Set for the whole deploy job (its first step requires it); optional for destroy. */
const BOUNDARY_VARIABLE = "PERMISSIONS_BOUNDARY_ARN";

/** The arguments `npm run <script> -- <args>` hands to npm. */
const npmRun = (script: string, ...args: string[]) => ["run", script, "--", ...args];

/**
 * Runs a step's script with a stub `npm` first on PATH that records its arguments (one per
 * line) and exits with `exitCode`; every variable of DEPLOY_VARIABLES not given is empty, as an
 * unset `vars.X` is on GitHub.
 */
function runWithStubNpm(step: Step, env: Record<string, string>, exitCode = 0) {
  const dir = mkdtempSync(join(tmpdir(), "stub-npm-"));
  try {
    const record = join(dir, "npm-arguments");
    writeFileSync(
      join(dir, "npm"),
      `#!/usr/bin/env bash\nprintf '%s\\n' "$@" > '${record}'\nexit ${exitCode}\n`,
      { mode: 0o755 },
    );
    const blanks = Object.fromEntries(
      [...DEPLOY_VARIABLES, BOUNDARY_VARIABLE].map((name) => [name, ""]),
    );
    const { status } = runStepScript(step.run ?? "", {
      ...blanks,
      ...env,
      PATH: `${dir}:${process.env.PATH ?? "/usr/bin:/bin"}`,
    });
    const npm = existsSync(record) ? readFileSync(record, "utf8").split("\n").slice(0, -1) : [];
    return { status, npm };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("third-party actions", () => {
  const usesLines = workflowFileNames().flatMap((fileName) =>
    readWorkflowText(fileName)
      .split("\n")
      .filter((line) => /^\s*(-\s+)?uses:/.test(line))
      .map((line) => ({ fileName, line: line.trim() })),
  );

  it("are used at all (the checks below are not vacuous)", () => {
    // Assess
    expect(usesLines.length).toBeGreaterThanOrEqual(10);
  });

  it.each(usesLines)(
    "$fileName: $line is pinned to a full commit SHA with a version comment",
    ({ line }) => {
      // Prepare
      const reference = line.replace(/^(-\s+)?uses:\s*/, "");

      // Assess: local reusable workflows are part of this commit; everything else is pinned.
      if (reference.startsWith("./")) return;
      expect(reference).toMatch(/^[\w.-]+\/[\w./-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$/);
    },
  );

  it("use one SHA per action across all workflows", () => {
    // Prepare
    const shasByAction = new Map<string, Set<string>>();
    for (const { line } of usesLines) {
      const match = /uses:\s*([^@\s]+)@([0-9a-f]{40})/.exec(line);
      if (match?.[1] === undefined || match[2] === undefined) continue;
      const shas = shasByAction.get(match[1]) ?? new Set<string>();
      shas.add(match[2]);
      shasByAction.set(match[1], shas);
    }

    // Assess
    expect(shasByAction.size).toBeGreaterThanOrEqual(5);
    for (const [action, shas] of shasByAction) {
      expect({ action, shas: [...shas] }).toEqual({ action, shas: [expect.any(String)] });
    }
  });
});

describe("permissions", () => {
  it.each(workflowFileNames())("%s grants nothing at the top level", (fileName) => {
    // Assess
    expect(readWorkflow(fileName).permissions).toEqual({});
  });

  it.each(workflowFileNames())("%s declares permissions on every job", (fileName) => {
    // Prepare
    const workflow = readWorkflow(fileName);

    // Assess
    for (const [id, definition] of Object.entries(workflow.jobs)) {
      expect({ id, permissions: definition.permissions }).toEqual({
        id,
        permissions: expect.any(Object),
      });
    }
  });

  it("writes nothing but an OIDC token, and only in the deploy and destroy jobs", () => {
    // Prepare
    const writes = workflowFileNames().flatMap((fileName) =>
      Object.entries(readWorkflow(fileName).jobs).flatMap(([id, definition]) =>
        Object.entries(definition.permissions ?? {})
          .filter(([, level]) => level === "write")
          .map(([scope]) => `${fileName}:${id}:${scope}`),
      ),
    );

    // Assess
    expect(writes.sort()).toEqual(["deploy.yml:deploy:id-token", "destroy.yml:destroy:id-token"]);
  });

  it("never reads AWS keys from secrets", () => {
    // Assess
    for (const fileName of workflowFileNames()) {
      const text = readWorkflowText(fileName);
      expect(text).not.toMatch(/aws-access-key-id|aws-secret-access-key|secrets\./);
    }
  });
});

describe("ci.yml", () => {
  const ci = readWorkflow("ci.yml");
  const checks = job(ci, "checks");

  it("runs on pull requests, pushes and as a reusable workflow", () => {
    // Assess
    expect(Object.keys(ci.on).sort()).toEqual(["pull_request", "push", "workflow_call"]);
  });

  it("installs moto and installs from the lockfile with Node from .nvmrc, then lints, typechecks, tests, packages and runs cfn-lint", () => {
    // Prepare
    const commands = runCommands(checks);

    // Assess
    expect(stepUsing(checks, "actions/setup-node").with).toMatchObject({
      "node-version-file": ".nvmrc",
    });
    expect(commands).toEqual(
      expect.arrayContaining([
        "python -m pip install --disable-pip-version-check cfn-lint==1.51.0",
        'python -m pip install --disable-pip-version-check "moto[server]==5.2.1"',
        "npm ci --no-audit --no-fund",
        "npm run lint",
        "npm run typecheck",
        "npm test",
        "npm run package",
        "npm run lint:iac",
        "cfn-lint resources/github-oidc-deploy-role.yml",
      ]),
    );
    const order = ["npm ci", "npm run lint", "npm test", "npm run package", "npm run lint:iac"].map(
      (command) => commands.findIndex((run) => run.startsWith(command)),
    );
    expect(order).toEqual([...order].sort((a, b) => a - b));
  });

  it("uploads the packaged templates, hidden .serverless folders included", () => {
    // Assess
    expect(stepUsing(checks, "actions/upload-artifact").with).toMatchObject({
      name: "cloudformation-templates",
      "include-hidden-files": true,
      "if-no-files-found": "error",
    });
  });

  it("summarises template changes into the job summary on pull requests only", () => {
    // Prepare
    const summary = job(ci, "template-changes");

    // Assess
    expect(summary.if).toBe("github.event_name == 'pull_request'");
    expect(summary.needs).toBe("checks");
    expect(stepUsing(summary, "actions/download-artifact").with).toMatchObject({
      name: "cloudformation-templates",
    });
    expect(stepNamed(summary, "Write the template summary").run).toContain(
      'node scripts/infra/template-summary.ts .head-templates --base .base >> "$GITHUB_STEP_SUMMARY"',
    );
  });
});

describe("deploy.yml", () => {
  const deploy = readWorkflow("deploy.yml");
  const deployJob = job(deploy, "deploy");
  const deployStep = stepNamed(deployJob, "Deploy the replica stack, then the primary stack");

  it("runs on pushes to main and by hand with a stage", () => {
    // Assess
    expect(deploy.on).toEqual({
      push: { branches: ["main"] },
      workflow_dispatch: {
        inputs: { stage: expect.objectContaining({ type: "string", required: true }) },
      },
    });
  });

  it("deploys only after the checks of ci.yml pass", () => {
    // Assess
    expect(job(deploy, "checks").uses).toBe("./.github/workflows/ci.yml");
    expect(deployJob.needs).toBe("checks");
  });

  it("runs in the stage's environment, one deploy per stage at a time, never cancelled", () => {
    // Assess
    expect(deployJob.environment).toBe(`\${{ inputs.stage || 'dev' }}`);
    expect(deployJob.concurrency).toEqual({
      group: `backup-validator-\${{ inputs.stage || 'dev' }}`,
      "cancel-in-progress": false,
    });
  });

  it("assumes the role named by the environment's variable through OIDC, then deploys the stage", () => {
    // Prepare
    const credentials = stepUsing(deployJob, "aws-actions/configure-aws-credentials");
    const steps = deployJob.steps ?? [];

    // Assess
    expect(deployJob.permissions).toEqual({ contents: "read", "id-token": "write" });
    expect(credentials.with?.["role-to-assume"]).toBe(`\${{ vars.AWS_DEPLOY_ROLE_ARN }}`);
    expect(credentials.with?.["aws-region"]).toBe(`\${{ vars.PRIMARY_REGION || 'us-east-1' }}`);
    expect(steps.indexOf(deployStep)).toBeGreaterThan(steps.indexOf(credentials));
    expect(deployJob.env?.STAGE).toBe(`\${{ inputs.stage || 'dev' }}`);
  });

  describe("deploy step", () => {
    it("reads every deploy parameter from the environment's variables", () => {
      // Assess
      expect(deployStep.env).toEqual(
        Object.fromEntries(DEPLOY_VARIABLES.map((name) => [name, `\${{ vars.${name} }}`])),
      );
    });

    it("deploys the stage with the defaults when no variable is set", () => {
      // Act
      const result = runWithStubNpm(deployStep, { STAGE: "dev" });

      // Assess
      expect(result).toEqual({ status: 0, npm: npmRun("deploy", "--stage", "dev") });
    });

    it("passes each variable that is set, quoted, as --region or --param=name=value", () => {
      // Act
      const result = runWithStubNpm(deployStep, {
        STAGE: "prod",
        PRIMARY_REGION: "eu-west-1",
        REPLICA_REGION: "eu-central-1",
        CATEGORIES: "documents,media",
        ALERT_EMAILS: "ops@example.com, on call@example.org",
        BUCKET_ENCRYPTION: "SSE-KMS",
        REPLICATION_TIME_CONTROL: "false",
        OBJECT_LOCK_MODE: "GOVERNANCE",
        OBJECT_LOCK_RETENTION_DAYS: "90",
        BREAK_GLASS_ROLE_ARN: "arn:aws:iam::123456789012:role/break-glass",
        PERMISSIONS_BOUNDARY_ARN: BOUNDARY,
      });

      // Assess: one argument each, spaces kept inside it
      expect(result).toEqual({
        status: 0,
        npm: npmRun(
          "deploy",
          "--stage",
          "prod",
          "--region",
          "eu-west-1",
          "--param=replicaRegion=eu-central-1",
          "--param=categories=documents,media",
          "--param=alertEmails=ops@example.com, on call@example.org",
          "--param=bucketEncryption=SSE-KMS",
          "--param=replicationTimeControl=false",
          "--param=objectLockMode=GOVERNANCE",
          "--param=objectLockRetentionDays=90",
          "--param=breakGlassRoleArn=arn:aws:iam::123456789012:role/break-glass",
          `--param=permissionsBoundary=${BOUNDARY}`,
        ),
      });
    });

    it("passes the permissions boundary the deploy role requires from the environment's variable", () => {
      // Act
      const result = runWithStubNpm(deployStep, {
        STAGE: "prod",
        PERMISSIONS_BOUNDARY_ARN: BOUNDARY,
      });

      // Assess: set for the whole job, so the first step can require it
      expect(deployJob.env?.[BOUNDARY_VARIABLE]).toBe(`\${{ vars.${BOUNDARY_VARIABLE} }}`);
      expect(result.npm).toEqual(
        npmRun("deploy", "--stage", "prod", `--param=permissionsBoundary=${BOUNDARY}`),
      );
    });

    it("passes only the variables that are set", () => {
      // Act
      const result = runWithStubNpm(deployStep, {
        STAGE: "dev",
        ALERT_EMAILS: "ops@example.com",
        BUCKET_ENCRYPTION: "",
      });

      // Assess
      expect(result.npm).toEqual(
        npmRun("deploy", "--stage", "dev", "--param=alertEmails=ops@example.com"),
      );
    });

    it("fails when the deploy fails", () => {
      // Act
      const result = runWithStubNpm(deployStep, { STAGE: "dev" }, 3);

      // Assess
      expect(result.status).toBe(3);
    });
  });

  it("does not restore a dependency cache in the job that holds AWS credentials", () => {
    // Assess
    expect(stepUsing(deployJob, "actions/setup-node").with).toMatchObject({
      "package-manager-cache": false,
    });
  });

  describe("branch and stage check", () => {
    const checkStep = stepNamed(deployJob, DEPLOY_CHECK);
    const script = checkStep.run ?? "";
    const role = "arn:aws:iam::123456789012:role/github-deploy-backup-validator-dev";
    const fromMain = { REF: "refs/heads/main", DEFAULT_BRANCH: "main" };
    const variables = { AWS_DEPLOY_ROLE_ARN: role, PERMISSIONS_BOUNDARY_ARN: BOUNDARY };

    it("is the first step, fed with the triggering ref and the default branch", () => {
      // Assess
      expect(deployJob.steps?.[0]).toBe(checkStep);
      expect(checkStep.env).toEqual({
        REF: `\${{ github.ref }}`,
        DEFAULT_BRANCH: `\${{ github.event.repository.default_branch }}`,
      });
    });

    it.each(["refs/heads/feature", "refs/heads/main-old", "refs/tags/v1.0.0", "refs/pull/7/merge"])(
      "refuses a run from %s",
      (ref) => {
        // Act
        const result = runStepScript(script, {
          STAGE: "prod",
          ...variables,
          REF: ref,
          DEFAULT_BRANCH: "main",
        });

        // Assess
        expect(result.status).toBe(1);
        expect(result.output).toContain(`Deploy from the default branch (main), not ${ref}.`);
      },
    );

    it.each(["dev", "prod", "staging2"])("accepts the stage %s", (stage) => {
      // Act
      const result = runStepScript(script, {
        ...fromMain,
        STAGE: stage,
        ...variables,
      });

      // Assess
      expect(result).toEqual({ status: 0, output: "" });
    });

    it.each(["", "Dev", "prod; rm -rf /", "a-very-long-stage"])("refuses the stage %j", (stage) => {
      // Act
      const result = runStepScript(script, {
        ...fromMain,
        STAGE: stage,
        ...variables,
      });

      // Assess
      expect(result.status).toBe(1);
      expect(result.output).toContain("is not a valid stage name");
    });

    it("refuses to run without the role variable", () => {
      // Act
      const result = runStepScript(script, { ...fromMain, STAGE: "dev", AWS_DEPLOY_ROLE_ARN: "" });

      // Assess
      expect(result.status).toBe(1);
      expect(result.output).toContain("Set the variable AWS_DEPLOY_ROLE_ARN");
    });

    it("refuses to run without the permissions boundary variable", () => {
      // Act
      const result = runStepScript(script, {
        ...fromMain,
        STAGE: "dev",
        AWS_DEPLOY_ROLE_ARN: role,
        PERMISSIONS_BOUNDARY_ARN: "",
      });

      // Assess
      expect(result.status).toBe(1);
      expect(result.output).toContain("Set the variable PERMISSIONS_BOUNDARY_ARN");
    });
  });
});

describe("destroy.yml", () => {
  const destroy = readWorkflow("destroy.yml");
  const guard = job(destroy, "guard");
  const destroyJob = job(destroy, "destroy");
  const guardStep = stepNamed(guard, "Check the stage and the confirmation");
  const removeStep = stepNamed(
    destroyJob,
    "Remove the primary stack, then the replica stack (data buckets are retained)",
  );

  function runGuard(inputs: { stage: string; confirmation: string; ref?: string }) {
    return runStepScript(guardStep.run ?? "", {
      STAGE: inputs.stage,
      CONFIRMATION: inputs.confirmation,
      REF: inputs.ref ?? "refs/heads/main",
      DEFAULT_BRANCH: "main",
    });
  }

  it("runs only by hand, with a stage (no default) and a confirmation", () => {
    // Assess
    expect(destroy.on).toEqual({
      workflow_dispatch: {
        inputs: {
          stage: { description: expect.any(String), type: "string", required: true },
          confirmation: { description: expect.any(String), type: "string", required: true },
        },
      },
    });
  });

  it("feeds the guard from the inputs and the triggering ref", () => {
    // Assess
    expect(guardStep.env).toEqual({
      STAGE: `\${{ inputs.stage }}`,
      CONFIRMATION: `\${{ inputs.confirmation }}`,
      REF: `\${{ github.ref }}`,
      DEFAULT_BRANCH: `\${{ github.event.repository.default_branch }}`,
    });
    expect(guard.permissions).toEqual({});
  });

  it("passes the exact confirmation for a named stage from the default branch", () => {
    // Act
    const result = runGuard({ stage: "prod", confirmation: CONFIRMATION });

    // Assess
    expect(result.status).toBe(0);
    expect(result.output).toContain("Confirmed: removing stage 'prod'.");
  });

  it.each([
    "",
    "destroy",
    "Destroy all resources",
    "DESTROY ALL RESOURCES",
    "destroy all resources ",
    " destroy all resources",
    "destroy  all resources",
    "destroy all resources\n",
  ])("refuses the confirmation %j", (confirmation) => {
    // Act
    const result = runGuard({ stage: "prod", confirmation });

    // Assess
    expect(result.status).toBe(1);
    expect(result.output).toContain("the confirmation must be exactly 'destroy all resources'");
  });

  it("refuses when no stage is named", () => {
    // Act
    const result = runGuard({ stage: "", confirmation: CONFIRMATION });

    // Assess
    expect(result.status).toBe(1);
    expect(result.output).toContain("Name the stage to destroy.");
  });

  it.each(["PROD", "prod dev", "$(id)", "../prod"])("refuses the stage %j", (stage) => {
    // Act
    const result = runGuard({ stage, confirmation: CONFIRMATION });

    // Assess
    expect(result.status).toBe(1);
    expect(result.output).toContain("is not a valid stage name");
  });

  it("refuses a run from another branch", () => {
    // Act
    const result = runGuard({
      stage: "prod",
      confirmation: CONFIRMATION,
      ref: "refs/heads/feature",
    });

    // Assess
    expect(result.status).toBe(1);
    expect(result.output).toContain("Run destroy from the default branch");
  });

  it("removes only after the guard passed, in the stage's environment, never beside a deploy", () => {
    // Prepare
    const deployJob = job(readWorkflow("deploy.yml"), "deploy");

    // Assess
    expect(destroyJob.needs).toBe("guard");
    expect(destroyJob.environment).toBe(`\${{ inputs.stage }}`);
    expect(destroyJob.concurrency).toEqual({
      group: `backup-validator-\${{ inputs.stage }}`,
      "cancel-in-progress": false,
    });
    // Same concurrency group as a deploy of the same stage.
    expect(deployJob.concurrency?.group?.replace(" || 'dev'", "")).toBe(
      destroyJob.concurrency?.group,
    );
  });

  it("assumes the stage's role and removes the primary then the replica stack", () => {
    // Prepare
    const steps = destroyJob.steps ?? [];
    const credentials = stepUsing(destroyJob, "aws-actions/configure-aws-credentials");

    // Assess
    expect(destroyJob.permissions).toEqual({ contents: "read", "id-token": "write" });
    expect(credentials.with?.["role-to-assume"]).toBe(`\${{ vars.AWS_DEPLOY_ROLE_ARN }}`);
    expect(destroyJob.env).toEqual({ STAGE: `\${{ inputs.stage }}` });
    expect(steps.indexOf(removeStep)).toBeGreaterThan(steps.indexOf(credentials));
  });

  it("finds the stacks in the regions of the environment's variables and passes its boundary, as deploy.yml does", () => {
    // Act
    const defaults = runWithStubNpm(removeStep, { STAGE: "prod" });
    const regions = runWithStubNpm(removeStep, {
      STAGE: "prod",
      PRIMARY_REGION: "eu-west-1",
      REPLICA_REGION: "eu-central-1",
    });
    const bounded = runWithStubNpm(removeStep, {
      STAGE: "prod",
      PERMISSIONS_BOUNDARY_ARN: BOUNDARY,
    });

    // Assess
    expect(removeStep.env).toEqual({
      PRIMARY_REGION: `\${{ vars.PRIMARY_REGION }}`,
      REPLICA_REGION: `\${{ vars.REPLICA_REGION }}`,
      PERMISSIONS_BOUNDARY_ARN: `\${{ vars.PERMISSIONS_BOUNDARY_ARN }}`,
    });
    expect(bounded.npm).toEqual(
      npmRun("remove", "--stage", "prod", "--yes", `--param=permissionsBoundary=${BOUNDARY}`),
    );
    // --yes: the workflow's confirmation input and the environment's reviewers asked already.
    expect(defaults).toEqual({ status: 0, npm: npmRun("remove", "--stage", "prod", "--yes") });
    expect(regions.npm).toEqual(
      npmRun(
        "remove",
        "--stage",
        "prod",
        "--yes",
        "--region",
        "eu-west-1",
        "--param=replicaRegion=eu-central-1",
      ),
    );
  });

  it("uses the same stage rule as deploy.yml", () => {
    // Prepare
    const stagePattern = /grep -Eq '([^']+)'/;
    const deployScript =
      stepNamed(job(readWorkflow("deploy.yml"), "deploy"), DEPLOY_CHECK).run ?? "";

    // Assess
    expect(stagePattern.exec(guardStep.run ?? "")?.[1]).toBe("^[a-z][a-z0-9]{0,9}$");
    expect(stagePattern.exec(deployScript)?.[1]).toBe("^[a-z][a-z0-9]{0,9}$");
  });
});

describe("dependabot.yml", () => {
  const config = parse(readFileSync(join(repositoryRoot, ".github", "dependabot.yml"), "utf8")) as {
    version: number;
    updates: { "package-ecosystem": string; directory: string }[];
  };

  it("updates npm packages and GitHub Actions", () => {
    // Assess
    expect(config.version).toBe(2);
    expect(
      config.updates.map((update) => `${update["package-ecosystem"]} ${update.directory}`).sort(),
    ).toEqual(["github-actions /", "npm /"]);
  });
});
