import { describe, expect, it } from "vitest";
import { lintWorkflow, readWorkflowText, workflowFileNames } from "./workflow-files.ts";

describe("actionlint", () => {
  it("lints at least the three workflows of this repository", () => {
    // Assess
    expect(workflowFileNames()).toEqual(
      expect.arrayContaining(["ci.yml", "deploy.yml", "destroy.yml"]),
    );
  });

  it.each(workflowFileNames())("reports nothing for %s", async (fileName) => {
    // Act
    const findings = await lintWorkflow(
      readWorkflowText(fileName),
      `.github/workflows/${fileName}`,
    );

    // Assess
    expect(findings).toEqual([]);
  });

  it("reports a broken workflow: unknown job in needs, bad permission, script injection", async () => {
    // Prepare
    const broken = [
      "name: broken",
      "on: pull_request",
      "jobs:",
      "  build:",
      "    runs-on: ubuntu-24.04",
      "    needs: missing-job",
      "    permissions:",
      "      id-token: writ",
      "    steps:",
      `      - run: echo "\${{ github.event.pull_request.title }}"`,
      "",
    ].join("\n");

    // Act
    const findings = await lintWorkflow(broken, ".github/workflows/broken.yml");

    // Assess
    expect(findings.map((finding) => finding.kind).sort()).toEqual([
      "expression",
      "job-needs",
      "permissions",
    ]);
    expect(findings.find((finding) => finding.kind === "expression")?.message).toContain(
      "potentially untrusted",
    );
  });

  it("reports YAML that is not a workflow", async () => {
    // Act
    const findings = await lintWorkflow("on: [push\njobs: {", ".github/workflows/not-yaml.yml");

    // Assess
    expect(findings.length).toBeGreaterThan(0);
  });
});
