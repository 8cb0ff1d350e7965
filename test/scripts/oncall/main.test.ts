/** `backup-validator <command>`: one name for the on-call commands, with --version and did-you-mean. */
import { describe, expect, it } from "vitest";
import packageJson from "../../../package.json" with { type: "json" };
import { backupValidatorMain } from "../../../scripts/oncall/main.ts";
import { testIo } from "../../helpers/oncall-stack.ts";

describe("backup-validator", () => {
  it("prints its version", async () => {
    const { io, stdout } = testIo();
    expect(await backupValidatorMain(["--version"], io)).toBe(0);
    expect(stdout()).toBe(`backup-validator ${packageJson.version}\n`);
  });

  it("lists its commands, and is the package's bin", async () => {
    const { io, stdout } = testIo();
    expect(await backupValidatorMain(["--help"], io)).toBe(0);
    for (const command of ["status", "dlq", "redrive", "verify", "audit"]) {
      expect(stdout()).toMatch(new RegExp(`^ {2}${command} `, "m"));
    }
    expect(packageJson.bin).toEqual({ "backup-validator": "scripts/backup-validator.ts" });
  });

  it("runs a command with its own options", async () => {
    const { io, stdout } = testIo();
    expect(await backupValidatorMain(["status", "--help"], io)).toBe(0);
    expect(stdout()).toMatch(/^Usage: npm run status -- /);
  });

  it.each([
    ["stauts", "status"],
    ["verfy", "verify"],
    ["redirve", "redrive"],
  ])("suggests %s → %s for a mistyped command (exit 2)", async (typed, meant) => {
    const { io, stderr } = testIo();
    expect(await backupValidatorMain([typed], io)).toBe(2);
    expect(stderr()).toContain(`unknown command "${typed}" (did you mean ${meant}?)`);
  });

  it("suggests nothing for a word that is nothing like a command", async () => {
    const { io, stderr } = testIo();
    expect(await backupValidatorMain(["deploy-everything"], io)).toBe(2);
    expect(stderr()).not.toContain("did you mean");
  });

  it("says how to use it when called without a command (exit 2)", async () => {
    const { io, stdout } = testIo();
    expect(await backupValidatorMain([], io)).toBe(2);
    expect(stdout()).toMatch(/^Usage: backup-validator <command>/);
  });
});
