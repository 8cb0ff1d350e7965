/**
 * `.ci/run`, what CI runs on a fresh clone, stops at once with a plain message when moto_server
 * (the second S3 emulator the tests start) is not installed, before installing anything.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { repositoryRoot } from "./workflow-files.ts";

// A PATH with only what the script's first lines use: no moto_server, and no npm, so that a
// missing check would fail differently (command not found) instead of installing anything.
const bin = mkdtempSync(join(tmpdir(), "ci-run-path-"));
for (const tool of ["bash", "dirname"]) {
  const found = spawnSync("bash", ["-c", `command -v ${tool}`], { encoding: "utf8" }).stdout;
  symlinkSync(found.trim(), join(bin, tool));
}

afterAll(() => {
  rmSync(bin, { recursive: true, force: true });
});

it("fails clearly, installing nothing, when moto_server is not installed", () => {
  // Act
  const run = spawnSync(join(bin, "bash"), [join(repositoryRoot, ".ci", "run")], {
    env: { PATH: bin },
    encoding: "utf8",
  });

  // Assess
  expect(run.status).toBe(1);
  expect(run.stderr).toContain("moto_server is not installed");
  expect(run.stderr).toContain("pip install 'moto[server]==5.2.1'");
});
