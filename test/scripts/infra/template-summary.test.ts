import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  compareResources,
  findTemplates,
  renderSummary,
  summarizeDirectories,
  TEMPLATE_FILE_NAME,
} from "../../../scripts/infra/template-summary.ts";
import { repositoryRoot } from "../../workflows/workflow-files.ts";

const PRIMARY = `.serverless/${TEMPLATE_FILE_NAME}`;
const REPLICA = `resources/replica/.serverless/${TEMPLATE_FILE_NAME}`;

function template(resources: Record<string, unknown>): unknown {
  return { AWSTemplateFormatVersion: "2010-09-09", Resources: resources };
}

function queue(visibilityTimeout: number): unknown {
  return { Type: "AWS::SQS::Queue", Properties: { VisibilityTimeout: visibilityTimeout } };
}

function lambdaFunction(s3Key: string, memorySize: number): unknown {
  return {
    Type: "AWS::Lambda::Function",
    Properties: { Code: { S3Bucket: { Ref: "Bucket" }, S3Key: s3Key }, MemorySize: memorySize },
  };
}

describe("compareResources", () => {
  it("lists every resource as unchanged when there is no base", () => {
    // Act
    const changes = compareResources(
      template({ ValidationQueue: queue(370), AlertTopic: { Type: "AWS::SNS::Topic" } }),
    );

    // Assess
    expect(changes).toEqual([
      { logicalId: "AlertTopic", type: "AWS::SNS::Topic", change: "unchanged" },
      { logicalId: "ValidationQueue", type: "AWS::SQS::Queue", change: "unchanged" },
    ]);
  });

  it("tells added, removed, retyped, modified and unchanged resources apart", () => {
    // Prepare
    const base = template({
      Kept: queue(370),
      Changed: queue(300),
      Retyped: { Type: "AWS::SNS::Topic" },
      Dropped: { Type: "AWS::Events::Rule" },
    });
    const head = template({
      Kept: queue(370),
      Changed: queue(370),
      Retyped: { Type: "AWS::SQS::Queue" },
      Added: { Type: "AWS::KMS::Key" },
    });

    // Act
    const changes = compareResources(head, base);

    // Assess
    expect(changes).toEqual([
      { logicalId: "Added", type: "AWS::KMS::Key", change: "added" },
      { logicalId: "Changed", type: "AWS::SQS::Queue", change: "modified" },
      { logicalId: "Dropped", type: "AWS::Events::Rule", change: "removed" },
      { logicalId: "Kept", type: "AWS::SQS::Queue", change: "unchanged" },
      {
        logicalId: "Retyped",
        type: "AWS::SQS::Queue",
        change: "type changed",
        previousType: "AWS::SNS::Topic",
      },
    ]);
  });

  it("ignores the per-deployment S3 key of function code but not other function changes", () => {
    // Prepare
    const base = template({
      SameFunction: lambdaFunction("serverless/backup-validator/dev/1700000000000/a.zip", 256),
      BiggerFunction: lambdaFunction("serverless/backup-validator/dev/1700000000000/b.zip", 256),
    });
    const head = template({
      SameFunction: lambdaFunction("serverless/backup-validator/dev/1800000000000/a.zip", 256),
      BiggerFunction: lambdaFunction("serverless/backup-validator/dev/1800000000000/b.zip", 512),
    });

    // Act
    const changes = compareResources(head, base);

    // Assess
    expect(changes.map(({ logicalId, change }) => `${logicalId} ${change}`)).toEqual([
      "BiggerFunction modified",
      "SameFunction unchanged",
    ]);
  });

  it("does not see a change in the order of keys", () => {
    // Prepare
    const base = template({
      Q: { Type: "AWS::SQS::Queue", Properties: { A: 1, B: { C: 2, D: 3 } } },
    });
    const head = template({
      Q: { Properties: { B: { D: 3, C: 2 }, A: 1 }, Type: "AWS::SQS::Queue" },
    });

    // Act
    const changes = compareResources(head, base);

    // Assess
    expect(changes).toEqual([{ logicalId: "Q", type: "AWS::SQS::Queue", change: "unchanged" }]);
  });

  it("treats a template without resources as empty", () => {
    // Assess
    expect(compareResources({ Outputs: {} }, "not a template")).toEqual([]);
  });
});

describe("renderSummary", () => {
  it("shows the changed resources and, folded, all resources of a compared template", () => {
    // Prepare
    const comparisons = [
      {
        path: PRIMARY,
        head: template({ ValidationQueue: queue(370), AlertKey: { Type: "AWS::KMS::Key" } }),
        base: template({ ValidationQueue: queue(300) }),
      },
    ];

    // Act
    const markdown = renderSummary(comparisons, true);

    // Assess
    expect(markdown).toBe(
      [
        "## CloudFormation template changes",
        "",
        `### \`${PRIMARY}\``,
        "",
        "2 resources: 1 added, 0 removed, 0 type changed, 1 modified.",
        "",
        "| Change | Logical ID | Type |",
        "| --- | --- | --- |",
        "| added | `AlertKey` | `AWS::KMS::Key` |",
        "| modified | `ValidationQueue` | `AWS::SQS::Queue` |",
        "",
        "<details><summary>All resources</summary>",
        "",
        "| Logical ID | Type |",
        "| --- | --- |",
        "| `AlertKey` | `AWS::KMS::Key` |",
        "| `ValidationQueue` | `AWS::SQS::Queue` |",
        "",
        "</details>",
        "",
      ].join("\n"),
    );
  });

  it("lists resources without a comparison when no base was given", () => {
    // Act
    const markdown = renderSummary([{ path: REPLICA, head: template({ B: queue(1) }) }], false);

    // Assess
    expect(markdown).toContain("1 resources, no base to compare with.");
    expect(markdown).toContain("| `B` | `AWS::SQS::Queue` |");
    expect(markdown).not.toContain("| Change |");
  });

  it("marks templates that are new or gone compared with the base", () => {
    // Act
    const markdown = renderSummary(
      [
        { path: REPLICA, head: template({ B: queue(1) }) },
        { path: PRIMARY, base: template({ A: queue(1), C: queue(2) }) },
      ],
      true,
    );

    // Assess
    expect(markdown.indexOf(PRIMARY)).toBeLessThan(markdown.indexOf(REPLICA));
    expect(markdown).toContain("Template removed (the base branch had 2 resources).");
    expect(markdown).toContain("1 resources, new template (not in the base branch).");
  });

  it("escapes table separators in names", () => {
    // Act
    const markdown = renderSummary([{ path: "a|b", head: template({ "X|Y": queue(1) }) }], false);

    // Assess
    expect(markdown).toContain("### `a\\|b`");
    expect(markdown).toContain("| `X\\|Y` | `AWS::SQS::Queue` |");
  });

  it("says so when there is nothing to summarise", () => {
    // Assess
    expect(renderSummary([], true)).toContain("No packaged templates found.");
  });
});

describe("on directories", () => {
  let root: string;

  function write(path: string, content: unknown): void {
    const file = join(root, path);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify(content));
  }

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), "template-summary-"));
  });

  afterEach(() => {
    rmSync(root, { recursive: true, force: true });
  });

  it("finds the packaged templates by name, skipping node_modules", async () => {
    // Prepare
    write(`head/${PRIMARY}`, template({}));
    write(`head/${REPLICA}`, template({}));
    write("head/.serverless/cloudformation-template-create-stack.json", template({}));
    write(`head/node_modules/some-package/${PRIMARY}`, template({}));

    // Act
    const found = await findTemplates(join(root, "head"));

    // Assess
    expect([...found.keys()].sort()).toEqual([PRIMARY, REPLICA]);
    expect(found.get(REPLICA)).toBe(join(root, "head", REPLICA));
  });

  it("matches head and base templates by path", async () => {
    // Prepare
    write(`head/${PRIMARY}`, template({ ValidationQueue: queue(370) }));
    write(`base/${PRIMARY}`, template({ ValidationQueue: queue(300) }));

    // Act
    const markdown = await summarizeDirectories(join(root, "head"), join(root, "base"));

    // Assess
    expect(markdown).toContain("| modified | `ValidationQueue` | `AWS::SQS::Queue` |");
  });

  it("fails when the head has no packaged template", async () => {
    // Prepare
    mkdirSync(join(root, "head"));

    // Act + Assess
    await expect(summarizeDirectories(join(root, "head"))).rejects.toThrow(
      "run `npm run package` first",
    );
  });

  describe("as a command (the way ci.yml runs it)", () => {
    function run(...args: string[]) {
      return spawnSync(process.execPath, ["scripts/infra/template-summary.ts", ...args], {
        cwd: repositoryRoot,
        encoding: "utf8",
      });
    }

    it("prints the summary for a head and a base directory", () => {
      // Prepare
      write(`head/${PRIMARY}`, template({ AlertTopic: { Type: "AWS::SNS::Topic" } }));
      write(`base/${PRIMARY}`, template({}));

      // Act
      const result = run(join(root, "head"), "--base", join(root, "base"));

      // Assess
      expect(result.status).toBe(0);
      expect(result.stdout).toContain("| added | `AlertTopic` | `AWS::SNS::Topic` |");
    });

    it("exits 1 with the reason when there is no template", () => {
      // Prepare
      mkdirSync(join(root, "head"));

      // Act
      const result = run(join(root, "head"));

      // Assess
      expect(result.status).toBe(1);
      expect(result.stderr).toContain("run `npm run package` first");
    });

    it.each([[[]], [["a", "b"]], [["a", "--unknown"]]])("exits 2 with usage for %j", (args) => {
      // Act
      const result = run(...args);

      // Assess
      expect(result.status).toBe(2);
      expect(result.stderr).toContain("usage: node scripts/infra/template-summary.ts");
    });
  });
});
