/** `npm start`'s command line, run in-process: help, option errors, and a --keep stack's life. */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { localStackMain } from "../../../scripts/local/main.ts";

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
    const outputs = JSON.parse(await readFile(".local/stack-outputs.json", "utf8"));
    expect(outputs.Stage).toBe("local");
  });
});
