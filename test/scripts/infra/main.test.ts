/** `npm run package|deploy|remove|lint:iac|guard`: the command line of scripts/infra.ts. */
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { infraMain } from "../../../scripts/infra/main.ts";

describe("infra commands", () => {
  it("refuses an unknown command with the usage", async () => {
    await expect(infraMain(["launch"])).rejects.toThrow(
      "usage: node scripts/infra.ts package|deploy|remove|lint|guard [options]",
    );
  });

  it.each(["deploy", "remove"])("refuses %s without --stage", async (command) => {
    await expect(infraMain([command])).rejects.toThrow(`${command} needs --stage <stage>`);
  });

  it("refuses to remove a stage that is not disposable without --yes when it cannot ask", async () => {
    // Prepare: no terminal (a script, CI)
    const stderr: string[] = [];
    const io = {
      stdin: Object.assign(Readable.from([]), { isTTY: false }),
      stderr: { write: (chunk: string) => stderr.push(chunk) },
    };

    // Act
    const code = await infraMain(["remove", "--stage", "prod"], io);

    // Assess
    expect(code).toBe(2);
    expect(stderr.join("")).toContain(
      'Refusing to remove the stacks backup-validator-prod and backup-validator-replica-prod (data buckets are kept) without --yes: stage "prod" is not one of local, dev',
    );
  });

  it("asks on a terminal, and removes nothing unless the stage's name is typed", async () => {
    // Prepare
    const stderr: string[] = [];
    const io = {
      stdin: Object.assign(Readable.from(["yes\n"]), { isTTY: true }),
      stderr: { write: (chunk: string) => stderr.push(chunk) },
    };

    // Act
    const code = await infraMain(["remove", "--stage", "prod"], io);

    // Assess
    expect(code).toBe(2);
    expect(stderr.join("")).toContain("Type the stage name (prod) to go on: ");
    expect(stderr.join("")).toContain("Not removed.");
  });

  it("packages both stacks offline into --out", async () => {
    const out = await mkdtemp(join(tmpdir(), "bv-infra-main-"));
    try {
      expect(await infraMain(["package", "--stage", "ci", "--out", out])).toBe(0);
      for (const stack of ["primary", "replica"]) {
        const template = join(out, stack, "cloudformation-template-update-stack.json");
        expect((await stat(template)).size).toBeGreaterThan(0);
      }
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  }, 120_000);
});
