/**
 * `npm run audit` against a stage: the deployed stack's buckets and queues on fauxqs (built by
 * the local stack's own topology code), the pairs read from the stack outputs, --enqueue feeding
 * the real checksum-validator Lambda, and what it prints. fauxqs has no versioning: an overwrite
 * of a replica there shows as the bytes differing.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AUDIT_HELP, auditMain, parseBucketUri } from "../../../scripts/oncall/audit-command.ts";
import { backupValidatorMain } from "../../../scripts/oncall/main.ts";
import { CHECK_MESSAGE_TYPE, parseCheckMessage } from "../../../shared/contracts/check-message.ts";
import type { FailureReport } from "../../../shared/contracts/failure-report.ts";
import { sqsEvent, sqsRecord } from "../../helpers/events.ts";
import { lambdaContext } from "../../helpers/lambda-context.ts";
import {
  type OncallStack,
  PRIMARIES,
  PRIMARY,
  REPLICA,
  startOncallStack,
  testIo,
} from "../../helpers/oncall-stack.ts";
import { loadValidatorHandler, validatorEnvironment } from "../../helpers/validator-handler.ts";

let stack: OncallStack;

beforeAll(async () => {
  stack = await startOncallStack();
  const { emulator } = stack;
  // Each replica is written before its source: CRR gives a replica its source's creation time,
  // which an emulator's copy written later would not have (a later one reads as an overwrite).
  for (const key of ["docs/a.txt", "docs/b.txt", "img/c.txt"]) {
    await emulator.put(REPLICA, key, `bytes of ${key}`);
    await emulator.put(PRIMARY, key, `bytes of ${key}`);
  }
  await emulator.put(PRIMARY, "docs/corrupt.txt", "original bytes!");
  await emulator.put(REPLICA, "docs/corrupt.txt", "corrupted bytes");
  await emulator.put(REPLICA, "old/gone.txt", "deleted on the primary");
});

afterAll(async () => {
  await stack.stop();
});

async function audit(args: readonly string[]) {
  const { io, stdout, stderr } = testIo();
  const exitCode = await auditMain(args, io);
  return { exitCode, stdout: stdout(), stderr: stderr() };
}

describe("npm run audit --help", () => {
  it("documents every option, with examples", async () => {
    const { io, stdout } = testIo();

    expect(await auditMain(["--help"], io)).toBe(0);

    const help = stdout();
    for (const option of [
      "--category",
      "--all",
      "--replica",
      "--replica-region",
      "--replication-deadline",
      "--all-versions",
      "--start-after",
      "--deep",
      "--deep-max-bytes",
      "--concurrency",
      "--enqueue",
      "--rate",
      "--report",
      "--report-all",
      "--json",
      "--stage",
      "--region",
      "--endpoint-url",
      "--profile",
      "--stack-outputs",
    ]) {
      expect(help, option).toContain(option);
    }
    expect(help).toContain("Examples:");
    expect(help).toBe(AUDIT_HELP);
  });

  it("is a command of backup-validator", async () => {
    const { io, stdout } = testIo();

    expect(await backupValidatorMain(["--help"], io)).toBe(0);

    expect(stdout()).toMatch(/^ {2}audit {4}/m);
  });
});

describe("auditing a stage", () => {
  it("audits the pair of a category, finds the corrupt replica, and warns that no metric was published", async () => {
    // Act
    const result = await audit(["--category", "documents", ...stack.args]);

    // Assess
    expect(result.exitCode, result.stderr).toBe(1);
    expect(result.stdout).toMatch(/^MATCH\s+3\s/m);
    expect(result.stdout).toMatch(/^MISMATCH\s+1\s+problem/m);
    expect(result.stdout).toMatch(/^REPLICA_ONLY\s+1\s/m);
    expect(result.stdout).toContain("audit: 5 objects, found: MISMATCH 1");
    // The stack on the emulator has no CloudWatch: the result is not published, said plainly.
    expect(result.stderr).toContain("warning: the audit's result was not published to CloudWatch");
  });

  it("audits the keys under a prefix of a primary bucket named as s3://", async () => {
    const result = await audit([`s3://${PRIMARY}/img/`, "--json", ...stack.args]);

    expect(result.exitCode, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ audited: 1, verdicts: { MATCH: 1 } });
  });

  it("audits every pair with --all, one after the other", async () => {
    const result = await audit(["--all", "--json", ...stack.args]);

    expect(result.exitCode).toBe(1);
    const summary = JSON.parse(result.stdout);
    expect(summary.pairs.map((pair: { primary: string }) => pair.primary)).toEqual(PRIMARIES);
    expect(summary.problems).toBe(1);
  });

  it.each([
    [["--category", "nonsense"], 'no pair of category "nonsense"'],
    [[`s3://${REPLICA}`], `${REPLICA} is the replica of ${PRIMARY}`],
    [[], "name what to audit"],
    [["--category", "documents", "--all"], "name what to audit"],
    [["--category", "documents", "--replica-region", "eu-west-1"], "go with --replica"],
  ])("refuses %j with exit code 2", async (args, message) => {
    const result = await audit([...args, ...stack.args]);

    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(message);
  });
});

describe("npm run audit --enqueue", () => {
  it("sends exactly one check message per primary object, which the validator audits and reports", async () => {
    // Act
    const result = await audit([
      "--category",
      "documents",
      "--enqueue",
      "--rate",
      "1000",
      ...stack.args,
    ]);
    const messages = await stack.emulator.drain(stack.outputs.ValidationQueueUrl);

    // Assess: one per object of the primary, none for the replica-only key.
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toContain("4 check messages sent to the validation queue");
    const checks = messages.map((message) => {
      const parsed = parseCheckMessage(JSON.parse(message.Body ?? "{}"));
      if ("problem" in parsed) throw new Error(parsed.problem);
      return parsed.message;
    });
    expect(checks.map((check) => check.object.key).sort()).toEqual([
      "docs%2Fa.txt",
      "docs%2Fb.txt",
      "docs%2Fcorrupt.txt",
      "img%2Fc.txt",
    ]);
    const runIds = new Set(checks.map((check) => check.audit?.runId));
    expect(runIds.size).toBe(1);
    expect(
      messages.every(
        (message) => message.MessageAttributes?.type?.StringValue === CHECK_MESSAGE_TYPE,
      ),
    ).toBe(true);

    // And the real validator Lambda audits them: the corrupt one is reported, naming the run.
    const handler = await loadValidatorHandler(
      validatorEnvironment({
        ...stack.emulator.environment(),
        BUCKET_PAIRS: stack.outputs.BucketPairs,
        REPLICA_REGION: stack.outputs.ReplicaRegion,
        VALIDATION_QUEUE_URL: stack.outputs.ValidationQueueUrl,
        FAILURE_QUEUE_URL: stack.outputs.FailureQueueUrl,
      }),
    );
    const response = await handler(
      sqsEvent(...messages.map((message) => sqsRecord(JSON.parse(message.Body ?? "{}")))),
      lambdaContext("checksum-validator"),
    );
    const reports = (await stack.emulator.drain(stack.outputs.FailureQueueUrl)).map(
      (message) => JSON.parse(message.Body ?? "") as FailureReport,
    );
    expect(response.batchItemFailures).toEqual([]);
    expect(reports.map((report) => [report.verdict, report.object?.key])).toEqual([
      ["MISMATCH", "docs/corrupt.txt"],
    ]);
    expect(reports[0]?.detectedBy).toMatchObject({
      kind: "audit",
      runId: [...runIds][0],
      via: "enqueue",
    });
  });
});

describe("pieces", () => {
  it("reads s3:// URIs with and without a prefix", () => {
    expect(parseBucketUri("s3://my-bucket", "x")).toEqual({ bucket: "my-bucket", prefix: "" });
    expect(parseBucketUri("s3://my-bucket/a/b c/", "x")).toEqual({
      bucket: "my-bucket",
      prefix: "a/b c/",
    });
    expect(() => parseBucketUri("my-bucket", "--replica")).toThrow("--replica must be s3://");
  });
});
