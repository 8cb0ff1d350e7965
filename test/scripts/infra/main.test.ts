/** `npm run package|deploy|remove|lint:iac|guard`: the command line of scripts/infra.ts. */
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
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
