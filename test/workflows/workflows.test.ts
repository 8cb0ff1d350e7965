import { readFileSync } from "node:fs";
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
  stepNamed,
  stepUsing,
  workflowFileNames,
} from "./workflow-files.ts";

const CONFIRMATION = "destroy all resources";

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

  it("installs from the lockfile with Node from .nvmrc, then lints, typechecks, tests, packages and runs cfn-lint", () => {
    // Prepare
    const commands = runCommands(checks);

    // Assess
    expect(stepUsing(checks, "actions/setup-node").with).toMatchObject({
      "node-version-file": ".nvmrc",
    });
    expect(commands).toEqual(
      expect.arrayContaining([
        "python -m pip install --disable-pip-version-check cfn-lint==1.51.0",
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
      'node scripts/template-summary.ts .head-templates --base .base >> "$GITHUB_STEP_SUMMARY"',
    );
  });
});

describe("deploy.yml", () => {
  const deploy = readWorkflow("deploy.yml");
  const deployJob = job(deploy, "deploy");

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
    const deployStep = steps.findIndex((step) => step.run === 'npm run deploy -- --stage "$STAGE"');
    expect(deployStep).toBeGreaterThan(steps.indexOf(credentials));
    expect(deployJob.env?.STAGE).toBe(`\${{ inputs.stage || 'dev' }}`);
  });

  it("does not restore a dependency cache in the job that holds AWS credentials", () => {
    // Assess
    expect(stepUsing(deployJob, "actions/setup-node").with).toMatchObject({
      "package-manager-cache": false,
    });
  });

  describe("stage check", () => {
    const script = stepNamed(deployJob, "Check the stage name and the role variable").run ?? "";
    const role = "arn:aws:iam::123456789012:role/github-deploy-backup-validator-dev";

    it.each(["dev", "prod", "staging2"])("accepts the stage %s", (stage) => {
      // Act
      const result = runStepScript(script, { STAGE: stage, AWS_DEPLOY_ROLE_ARN: role });

      // Assess
      expect(result).toEqual({ status: 0, output: "" });
    });

    it.each(["", "Dev", "prod; rm -rf /", "a-very-long-stage"])("refuses the stage %j", (stage) => {
      // Act
      const result = runStepScript(script, { STAGE: stage, AWS_DEPLOY_ROLE_ARN: role });

      // Assess
      expect(result.status).toBe(1);
      expect(result.output).toContain("is not a valid stage name");
    });

    it("refuses to run without the role variable", () => {
      // Act
      const result = runStepScript(script, { STAGE: "dev", AWS_DEPLOY_ROLE_ARN: "" });

      // Assess
      expect(result.status).toBe(1);
      expect(result.output).toContain("Set the variable AWS_DEPLOY_ROLE_ARN");
    });
  });
});

describe("destroy.yml", () => {
  const destroy = readWorkflow("destroy.yml");
  const guard = job(destroy, "guard");
  const destroyJob = job(destroy, "destroy");
  const guardStep = stepNamed(guard, "Check the stage and the confirmation");

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
    const remove = steps.findIndex((step) => step.run === 'npm run remove -- --stage "$STAGE"');
    expect(remove).toBeGreaterThan(steps.indexOf(credentials));
  });

  it("uses the same stage rule as deploy.yml", () => {
    // Prepare
    const stagePattern = /grep -Eq '([^']+)'/;
    const deployScript =
      stepNamed(
        job(readWorkflow("deploy.yml"), "deploy"),
        "Check the stage name and the role variable",
      ).run ?? "";

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
