/**
 * A short soak in every test run: the real functions of the local stack with a fifth of their
 * AWS calls failing (every kind of fault in turn). Every object must end validated, reported or
 * dead-lettered; none lost. The long runs quoted in the README are `npm run soak`.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { renderSoak, runSoak, soakMain } from "../../../scripts/local/soak.ts";

const directories: string[] = [];
afterAll(async () => {
  for (const directory of directories) await rm(directory, { recursive: true, force: true });
});

it("loses nothing with a fifth of the functions' AWS calls failing", async () => {
  // Prepare
  const directory = await mkdtemp(join(tmpdir(), "bv-soak-"));
  directories.push(directory);
  const options = {
    objects: 40,
    faultRate: 0.2,
    seed: 7,
    corruptEvery: 8,
    outboxDirectory: join(directory, "outbox"),
    stackOutputsFile: join(directory, "outputs.json"),
    timeoutMs: 120_000,
    log: () => {},
  };

  // Act
  const account = await runSoak(options);

  // Assess
  expect(account.settled).toBe(true);
  expect(account.lost).toEqual([]);
  expect(account.validated + account.reported + account.deadLettered).toBe(account.sent);
  expect(account.reported + account.deadLettered).toBeGreaterThanOrEqual(5);
  const injected = Object.values(account.faults).reduce((sum, count) => sum + count, 0);
  expect(injected).toBeGreaterThan(10);
  expect(Object.values(account.faults).every((count) => count > 0)).toBe(true);
  expect(renderSoak(options, account)).toContain("result            OK");
}, 180_000);

it("explains itself and refuses a fault rate outside 0..1", async () => {
  const written: string[] = [];
  const io = { stdout: { write: (chunk: string) => written.push(chunk) } };
  expect(await soakMain(["--help"], io)).toBe(0);
  expect(written.join("")).toMatch(/^Usage: npm run soak -- /);
  await expect(soakMain(["--fault-rate", "2"], io)).rejects.toThrow(
    '--fault-rate must be a number from 0 to 1 (got "2")',
  );
});
