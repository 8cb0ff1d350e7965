/**
 * cfn-guard with the AWS Control Tower rules for S3, SQS, Lambda, KMS, IAM and CloudWatch on
 * both packaged templates, in both encryption modes. Only the findings listed, with a reason,
 * in resources/guard-suppressions.json may remain.
 */
import { beforeAll, describe, expect, it } from "vitest";
import {
  applySuppressions,
  type Finding,
  guardTemplates,
  readSuppressions,
  type Suppressions,
  unusedSuppressions,
} from "../../../scripts/infra/guard.ts";
import { KMS_VARIANT, type Packaged, packaged, paramsOf } from "../../helpers/packaged.ts";

const VARIANTS: Record<"SSE-S3" | "SSE-KMS", readonly string[]> = {
  "SSE-S3": [],
  "SSE-KMS": KMS_VARIANT,
};

const suppressions = readSuppressions();
const packages: Partial<Record<keyof typeof VARIANTS, Packaged>> = {};

beforeAll(async () => {
  for (const [variant, params] of Object.entries(VARIANTS)) {
    packages[variant as keyof typeof VARIANTS] = await packaged(params);
  }
}, 180_000);

describe.each(Object.keys(VARIANTS) as (keyof typeof VARIANTS)[])("cfn-guard, %s", (variant) => {
  it("passes both templates but for the written suppressions, and no suppression is stale", async () => {
    // Prepare
    const pkg = packages[variant];
    if (pkg === undefined) throw new Error("not packaged");
    const params = paramsOf(VARIANTS[variant]);

    // Act
    const problems = await guardTemplates([pkg.paths.replica, pkg.paths.primary], params);

    // Assess
    expect(problems).toEqual([]);
  });

  it("names an unsuppressed finding and a stale suppression", async () => {
    // Prepare: the replica template alone leaves the primary stack's suppressions unused.
    const pkg = packages[variant];
    if (pkg === undefined) throw new Error("not packaged");

    // Act
    const problems = await guardTemplates([pkg.paths.replica], paramsOf(VARIANTS[variant]));

    // Assess
    expect(problems.length).toBeGreaterThan(0);
    expect(problems.every((line) => /matches no finding; remove it$/.test(line))).toBe(true);
  });
});

describe("resources/guard-suppressions.json", () => {
  it("gives a control id, resources and a real reason for every suppression", () => {
    for (const [rule, entries] of Object.entries(suppressions)) {
      for (const entry of entries) {
        expect(entry.control, rule).toMatch(/^CT\.[A-Z0-9]+\.PR\.\d+$/);
        expect(entry.resources.length, rule).toBeGreaterThan(0);
        expect(entry.reason.length, rule).toBeGreaterThan(60);
      }
    }
  });
});

describe("applySuppressions", () => {
  const table: Suppressions = {
    rule_a: [
      { control: "CT.X.PR.1", resources: ["Bucket*"], reason: "r" },
      {
        control: "CT.X.PR.1",
        resources: ["Key"],
        reason: "r",
        when: { bucketEncryption: "SSE-S3" },
      },
    ],
  };

  it("keeps findings on resources no applicable suppression names", () => {
    // Prepare
    const findings: Finding[] = [
      { rule: "rule_a", resources: ["BucketOne", "Key", "Queue"] },
      { rule: "rule_b", resources: ["BucketOne"] },
    ];

    // Act
    const kms = applySuppressions(findings, table, { bucketEncryption: "SSE-KMS" });
    const s3 = applySuppressions(findings, table, { bucketEncryption: "SSE-S3" });

    // Assess
    expect(kms.unsuppressed).toEqual([
      { rule: "rule_a", resources: ["Key", "Queue"] },
      { rule: "rule_b", resources: ["BucketOne"] },
    ]);
    expect(s3.unsuppressed).toEqual([
      { rule: "rule_a", resources: ["Queue"] },
      { rule: "rule_b", resources: ["BucketOne"] },
    ]);
    expect(s3.used.sort()).toEqual(["rule_a:Bucket*", "rule_a:Key"]);
  });

  it("reports a finding that names no resource", () => {
    expect(applySuppressions([{ rule: "rule_a", resources: [] }], table, {}).unsuppressed).toEqual([
      { rule: "rule_a", resources: [] },
    ]);
  });

  it("lists applicable suppressions that matched nothing", () => {
    expect(unusedSuppressions(table, { bucketEncryption: "SSE-S3" }, ["rule_a:Bucket*"])).toEqual([
      "rule_a:Key",
    ]);
    expect(unusedSuppressions(table, { bucketEncryption: "SSE-KMS" }, ["rule_a:Bucket*"])).toEqual(
      [],
    );
  });
});
