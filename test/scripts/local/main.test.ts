/** `npm start`'s command line, run in-process: help, option errors, and a --keep stack's life. */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { localStackMain } from "../../../scripts/local/main.ts";
import { dlqMain } from "../../../scripts/oncall/dlq-command.ts";
import { verifyMain } from "../../../scripts/oncall/verify-command.ts";
import { testIo } from "../../helpers/oncall-stack.ts";

let directory: string;
beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), "bv-local-main-"));
});
afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

function capture() {
  const chunks: string[] = [];
  return { chunks, stdout: { write: (chunk: string) => chunks.push(chunk) } };
}

describe("npm start", () => {
  it("prints its usage with --help", async () => {
    const out = capture();
    const code = await localStackMain(["--help"], { ...out, untilStopped: async () => {} });
    expect(code).toBe(0);
    expect(out.chunks.join("")).toMatch(/^Usage: npm start \[-- options\]/);
  });

  it("refuses an option value that is not a whole number, naming the option", async () => {
    const out = capture();
    await expect(
      localStackMain(["--objects", "many"], { ...out, untilStopped: async () => {} }),
    ).rejects.toThrow('--objects must be a whole number (got "many")');
  });

  it("--keep starts the stack, prints how to reach it, and stops it when asked", async () => {
    // Prepare
    const out = capture();
    const outbox = join(directory, "outbox");

    // Act
    const code = await localStackMain(["--keep", "--port", "0", "--outbox", outbox], {
      ...out,
      untilStopped: async () => {},
    });

    // Assess
    const printed = out.chunks.join("");
    expect(code).toBe(0);
    expect(printed).toMatch(/local stack \(stage local\) is running at http:\/\/127\.0\.0\.1:\d+/);
    expect(printed).toContain("export AWS_ENDPOINT_URL=http://127.0.0.1:");
    expect(printed).toContain("stopping…");
    expect(printed).toContain("npm run audit -- --stage local --all");
    const outputs = JSON.parse(await readFile(".local/stack-outputs.json", "utf8"));
    expect(outputs.Stage).toBe("local");
  });
});

describe("npm start -- --keep shows its work", () => {
  it("prints each object's verdict, dead-letters outage/ keys, and the printed commands run as pasted", async () => {
    // Prepare: handlers load their configuration once, as at a cold start; this is a new stack
    vi.resetModules();
    const out = capture();
    const printed = () => out.chunks.join("");
    const ran: Record<string, { code: number; stdout: string; stderr: string }> = {};

    // Act: a person's session while the stack runs
    const code = await localStackMain(
      ["--keep", "--port", "0", "--outbox", join(directory, "keep-outbox")],
      {
        ...out,
        untilStopped: async () => {
          const endpoint = /running at (http:\/\/127\.0\.0\.1:\d+)/.exec(printed())?.[1] ?? "";
          const bucket = /s3:\/\/(\S+)\/corrupt\/readme\.md/.exec(printed())?.[1] ?? "";
          const s3 = new S3Client({
            endpoint,
            region: "us-east-1",
            forcePathStyle: true,
            credentials: { accessKeyId: "test", secretAccessKey: "test" },
          });
          for (const key of ["keep/fine.txt", "corrupt/readme.md", "outage/readme.md"]) {
            await s3.send(
              new PutObjectCommand({ Bucket: bucket, Key: key, Body: `bytes of ${key}` }),
            );
          }
          s3.destroy();
          await vi.waitFor(
            () => {
              expect(printed()).toMatch(/✓ MATCH +keep\/fine\.txt {2}\(.+, \d+ s after upload\)/);
              expect(printed()).toMatch(/✗ MISMATCH +corrupt\/readme\.md {2}\(/);
              expect(printed()).toContain("☠ outage/readme.md dead-lettered after 3 failed checks");
            },
            { timeout: 30_000, interval: 200 },
          );
          // The commands the banner and the alert print, exactly: --stage local and nothing else
          for (const [name, run, argv] of [
            ["verify", verifyMain, [`s3://${bucket}/corrupt/readme.md`, "--stage", "local"]],
            ["dlq", dlqMain, ["inspect", "--stage", "local"]],
          ] as const) {
            const { io, stdout, stderr } = testIo();
            ran[name] = { code: await run([...argv], io), stdout: stdout(), stderr: stderr() };
          }
        },
      },
    );

    // Assess
    expect(code).toBe(0);
    expect(ran.verify).toMatchObject({ code: 1, stderr: "" });
    expect(ran.verify?.stdout).toMatch(/^MISMATCH {2}s3:\/\/.+\/corrupt\/readme\.md/);
    expect(ran.dlq).toMatchObject({ code: 0, stderr: "" });
    expect(ran.dlq?.stdout).toContain("outage/readme.md");
    expect(printed()).toContain("npm run verify -- s3://");
  }, 60_000);
});
