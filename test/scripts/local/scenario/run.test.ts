/**
 * `npm start`'s scenario, headless: the whole pipeline on the emulator with the real handlers,
 * and an accounting of every object and message at the end.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { runScenario, type ScenarioResult } from "../../../../scripts/local/scenario/run.ts";
import { renderSummary } from "../../../../scripts/local/scenario/summary.ts";

let directory: string;
let result: ScenarioResult;
const lines: string[] = [];

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), "bv-scenario-"));
  result = await runScenario({
    objects: 6,
    timings: { replicationLagMs: 200, replicationDeadlineSeconds: 3 },
    outboxDirectory: join(directory, "outbox"),
    stackOutputsFile: join(directory, "stack-outputs.json"),
    timeoutMs: 40_000,
    log: (line) => lines.push(line),
  });
}, 90_000);

afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

it("accounts for every upload: validated, reported once, or dead-lettered then redriven", () => {
  expect(result.problems).toEqual([]);
  expect(result.ok).toBe(true);
  expect(
    result.objects.map((object) => [
      object.plan,
      object.pipelineVerdict,
      object.finalVerdict,
      object.alerts.length,
      object.deadLettered,
      object.events,
    ]),
  ).toEqual([
    ["multipart", "MATCH", "MATCH", 0, false, 1],
    ["corrupt", "MISMATCH", "MISMATCH", 1, false, 1],
    ["drop", "REPLICATION_OVERDUE", "REPLICATION_OVERDUE", 1, false, 1],
    ["outage", "MATCH", "MATCH", 0, true, 1],
    ["multipart", "MATCH", "MATCH", 0, false, 1],
    ["replicate", "MATCH", "MATCH", 0, false, 1],
  ]);
  expect(result.verdictCounts).toEqual({
    MALFORMED_EVENT: 1,
    MATCH: 4,
    MISMATCH: 1,
    REPLICATION_OVERDUE: 1,
  });
  expect(result.queueDepths).toEqual({
    validation: 0,
    validationDlq: 0,
    failure: 0,
    failureDlq: 0,
  });
  expect(result.redriveExitCode).toBe(0);
});

it("writes each alert as an RFC 5322 email an operator can open", async () => {
  expect(result.alertFiles).toHaveLength(3);
  const emails = await Promise.all(result.alertFiles.map((file) => readFile(file, "utf8")));
  // Long headers are folded (a line break, then white space): unfold to read them.
  const headersOf = (email: string) =>
    email.slice(0, email.indexOf("\r\n\r\n")).replace(/\r\n[ \t]+/g, " ");
  const subjects = emails.map((email) => /^Subject: (.*)$/m.exec(headersOf(email))?.[1]).sort();
  expect(subjects).toEqual([
    "[backup-validator local] MALFORMED_EVENT: a message on the validation... read: the body is not JSON",
    "[backup-validator local] MISMATCH media: corrupt/scenario-002.bin",
    "[backup-validator local] REPLICATION_OVERDUE databases: drop/scenario-003.bin",
  ]);
  for (const email of emails) {
    expect(headersOf(email)).toMatch(/^X-Sns-Attribute-Verdict: /im);
    expect(email).toContain("Content-Transfer-Encoding: quoted-printable");
    // CRLF line ends only, and no line past 78 characters (RFC 5322 allows 998).
    expect(email.replace(/\r\n/g, "")).not.toContain("\n");
    expect(Math.max(...email.split("\r\n").map((line) => line.length))).toBeLessThanOrEqual(78);
  }
});

it("shows its progress: the outage, the real redrive command and the summary's inputs", () => {
  const output = lines.join("\n");
  expect(output).toContain("replica-region outage begins");
  expect(output).toMatch(
    /\$ npm run redrive -- --stage local --queue validation --yes --endpoint http:\/\/127\.0\.0\.1:\d+/,
  );
  expect(output).toMatch(/Moved 1 from the validation DLQ to the validation queue/);
});

it("ends with a summary of objects, verdicts, alerts, queues and time", () => {
  const summary = renderSummary(result);
  expect(summary).toMatch(/objects uploaded\s+6\n/);
  expect(summary).toMatch(
    /verdicts\s+MALFORMED_EVENT 1, MATCH 4, MISMATCH 1, REPLICATION_OVERDUE 1/,
  );
  expect(summary).toMatch(/messages left\s+validation 0, validationDlq 0, failure 0, failureDlq 0/);
  expect(summary).toContain("OK: every object reached its expected outcome; no message was lost");
});

it("damages two proven replicas behind the pipeline's back, and the real audit finds them", () => {
  // Prepare: on the emulator (no replication status, no versions) an overwrite is a MISMATCH and
  // a deleted replica past the deadline REPLICATION_OVERDUE (plan.ts says what AWS would show).
  const damaged = result.objects.filter((object) => object.damage);

  // Assess
  expect(damaged.map((object) => [object.plan, object.damage, object.auditVerdict])).toEqual([
    ["multipart", "overwrite", "MISMATCH"],
    ["multipart", "delete", "REPLICATION_OVERDUE"],
  ]);
  expect(result.audit?.exitCode).toBe(1);
  expect(result.audit?.line).toBe("audit: 6 objects, found: MISMATCH 2, REPLICATION_OVERDUE 2");
  expect(result.audit?.reported.map((line) => line.replace(/ s3:\/\/[^/]+\//, " ")).sort()).toEqual(
    [
      "MISMATCH corrupt/scenario-002.bin",
      "MISMATCH scenario/documents/001 large export.bin",
      "REPLICATION_OVERDUE drop/scenario-003.bin",
      "REPLICATION_OVERDUE scenario/media/005 large export.bin",
    ],
  );
  const output = lines.join("\n");
  expect(output).toMatch(
    /\$ npm run audit -- --stage local --all --report \S+audit-report\.ndjson/,
  );
  expect(renderSummary(result)).toMatch(
    /audit, 2 replicas damaged\s+6 objects, found: MISMATCH 2, REPLICATION_OVERDUE 2/,
  );
});
