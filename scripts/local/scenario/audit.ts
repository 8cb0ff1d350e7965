/**
 * The scenario's last act: two replicas the pipeline proved are damaged behind its back (one
 * written over with other bytes, one deleted), as a person or a script with access to the
 * replica bucket might; then the real `npm run audit` runs over every pair and must find
 * exactly those and the pipeline's own damage, and `npm run status` must show that audit.
 */
import { readFile } from "node:fs/promises";
import { DeleteObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { auditMain } from "../../oncall/audit-command.ts";
import { type CliIo, openDeployment } from "../../oncall/cli.ts";
import { readStatus } from "../../oncall/status-command.ts";
import { deterministicBytes } from "../multipart.ts";
import { LOCAL_STAGE, type LocalStack } from "../stack.ts";
import { lastLoggedVerdict } from "./observe.ts";
import type { PlannedObject } from "./plan.ts";

export interface ScenarioAudit {
  readonly exitCode: number;
  /** The audit's one-line result: `audit: 12 objects, found: MISMATCH 2, ...`. */
  readonly line: string;
  /** Problem objects the report names, as `verdict s3://bucket/key`. */
  readonly reported: readonly string[];
}

/** Damages the planned replicas, once the validator has logged their MATCH. */
export async function damageReplicas(
  stack: LocalStack,
  planned: readonly PlannedObject[],
  log: (line: string) => void,
): Promise<string[]> {
  const problems: string[] = [];
  for (const object of planned) {
    if (!object.damage) continue;
    const pair = stack.bucketPairs.get(object.bucket);
    if (!pair) continue;
    const verdict = lastLoggedVerdict(stack, object);
    if (verdict !== "MATCH") {
      problems.push(
        `s3://${object.bucket}/${object.key} was to be damaged after its MATCH, but the validator said ${verdict ?? "nothing"}`,
      );
      continue;
    }
    const replica = { Bucket: pair.replicaBucket, Key: object.key };
    if (object.damage === "overwrite") {
      // Other bytes of the same size, written in one request: nothing about its size gives it away.
      const body = deterministicBytes(object.size, object.key.length + 1);
      await stack.clients.s3.send(new PutObjectCommand({ ...replica, Body: body }));
      log(`  ✎ s3://${pair.replicaBucket}/${object.key} written over with other bytes`);
    } else {
      await stack.clients.s3.send(new DeleteObjectCommand(replica));
      log(`  ✗ s3://${pair.replicaBucket}/${object.key} deleted`);
    }
  }
  return problems;
}

/**
 * Runs the real audit over every pair, then checks that its report names exactly the objects the
 * plan expects a problem for, with those verdicts, and that `npm run status` shows the audit.
 */
export async function auditEveryPair(
  stack: LocalStack,
  planned: readonly PlannedObject[],
  reportFile: string,
  io: CliIo,
  log: (line: string) => void,
): Promise<{ readonly audit: ScenarioAudit; readonly problems: string[] }> {
  const argv = ["--stage", LOCAL_STAGE, "--all", "--report", reportFile];
  log(`  $ npm run audit -- ${argv.join(" ")}`);
  let output = "";
  const exitCode = await auditMain(argv, {
    ...io,
    stdout: {
      write: (chunk: string) => {
        output += chunk;
        return io.stdout.write(chunk);
      },
    },
  });
  const line = /^(audit: .*?) in [\d.]+ (?:s|min|h) \(/m.exec(output)?.[1] ?? "";
  const reported = (await readFile(reportFile, "utf8"))
    .split("\n")
    .filter(Boolean)
    .map((text) => JSON.parse(text) as { verdict?: string; bucket?: string; key?: string })
    .map((entry) => `${entry.verdict} s3://${entry.bucket}/${entry.key}`)
    .sort();
  const expected = planned
    .filter((object) => object.auditVerdict !== "MATCH")
    .map((object) => `${object.auditVerdict} s3://${object.bucket}/${object.key}`)
    .sort();
  const problems: string[] = [];
  if (exitCode !== 1) problems.push(`the audit exited with ${exitCode}, not 1 (problems found)`);
  if (reported.join("\n") !== expected.join("\n")) {
    problems.push(`the audit reported [${reported.join("; ")}], expected [${expected.join("; ")}]`);
  }
  const status = await readStatusOf(stack, io);
  const audited = Number(/audit: ([\d,]+) objects/.exec(line)?.[1]?.replace(/,/g, "") ?? NaN);
  if (status !== audited) {
    problems.push(
      `npm run status shows ${status ?? "no"} audited objects, the audit said ${audited}`,
    );
  }
  return { audit: { exitCode, line, reported }, problems };
}

/** What `npm run status -- --stage local` reads as the last audit's object count. */
async function readStatusOf(stack: LocalStack, io: CliIo): Promise<number | undefined> {
  const deployment = await openDeployment(
    { stage: LOCAL_STAGE, "stack-outputs": stack.stackOutputsFile },
    io,
  );
  try {
    const status = await readStatus(deployment, { hours: 1, now: new Date() });
    return status.audit && "objectsChecked" in status.audit
      ? status.audit.objectsChecked
      : undefined;
  } finally {
    deployment.clients.destroy();
  }
}
