import { execFile, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it, onTestFinished, vi } from "vitest";
import { eventBridgeObjectCreated } from "../helpers/events.ts";
import {
  type OncallStack,
  PRIMARY,
  sendAll,
  startOncallStack,
  visibleCount,
} from "../helpers/oncall-stack.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));
const run = promisify(execFile);

/** Runs `node scripts/<name>.ts ...` as npm would: the real entry point, in its own process. */
async function script(name: string, args: string[], env: Record<string, string> = {}) {
  try {
    const { stdout, stderr } = await run(process.execPath, [`scripts/${name}.ts`, ...args], {
      cwd: root,
      env: { ...process.env, ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

let stack: OncallStack;

beforeAll(async () => {
  stack = await startOncallStack();
});
afterAll(async () => {
  await stack.stop();
});

describe("the scripts behind npm run dlq / redrive / verify / status / audit and the bin", () => {
  it("backup-validator --version (the package's bin) prints the version", async () => {
    const { code, stdout, stderr } = await script("backup-validator", ["--version"]);

    expect(code).toBe(0);
    expect(stdout).toMatch(/^backup-validator \d+\.\d+\.\d+\n$/);
    expect(stderr).toBe("");
  });

  it.each(["dlq", "redrive", "verify", "status", "audit"])(
    "node scripts/%s.ts --help prints usage and nothing on stderr (no warnings)",
    async (name) => {
      const { code, stdout, stderr } = await script(name, ["--help"]);

      expect(code).toBe(0);
      expect(stdout).toMatch(new RegExp(`^Usage: npm run ${name} -- `));
      expect(stdout).toContain("Exit codes:");
      expect(stderr).toBe("");
    },
  );

  it("run end to end against the emulator: inspect, a refused redrive, then a redrive", async () => {
    // Prepare
    const env = { AWS_ACCESS_KEY_ID: "test", AWS_SECRET_ACCESS_KEY: "test" };
    await sendAll(stack.emulator, stack.outputs.ValidationDlqUrl, [
      { body: JSON.stringify(eventBridgeObjectCreated({ bucket: PRIMARY, key: "reports/x.pdf" })) },
    ]);

    // Act + Assess: stdin is not a terminal here, so moving needs --yes.
    const inspected = await script("dlq", ["inspect", ...stack.args], env);
    expect(inspected.code).toBe(0);
    expect(inspected.stdout).toContain("reports/x.pdf");

    const refused = await script("redrive", stack.args, env);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("refusing to move messages without --yes");

    const moved = await script("redrive", ["--yes", ...stack.args], env);
    expect(moved.code).toBe(0);
    expect(moved.stdout).toContain("Moved 1 from the validation DLQ to the validation queue");
    expect(await visibleCount(stack.emulator, stack.outputs.ValidationQueueUrl)).toBe(1);
  });
});

describe("npm start -- --keep, stopped by a signal to the npm process", () => {
  it.each(["SIGINT", "SIGTERM"] as const)(
    "%s stops the stack and frees its port",
    async (signal) => {
      // Prepare: npm itself, as a person runs it (npm passes the signal on to the stack)
      const outbox = await mkdtemp(join(tmpdir(), "bv-keep-"));
      const args = ["--keep", "--port", "0", "--outbox", outbox];
      // Its own outputs file: the default one belongs to other tests and to a person's stack.
      args.push("--stack-outputs", join(outbox, "stack-outputs.json"));
      const npm = spawn("npm", ["start", "--", ...args], {
        cwd: root,
        stdio: ["ignore", "pipe", "pipe"],
        // Its own process group, so a failed test can end the stack it leaves behind.
        detached: true,
      });
      let output = "";
      npm.stdout.on("data", (chunk) => {
        output += String(chunk);
      });
      npm.stderr.on("data", (chunk) => {
        output += String(chunk);
      });
      let running = true;
      const exited = new Promise<number | null>((resolve) =>
        npm.on("close", (code) => {
          running = false;
          resolve(code);
        }),
      );
      onTestFinished(() => {
        if (running && npm.pid !== undefined) process.kill(-npm.pid, "SIGKILL");
      });
      await vi.waitFor(() => expect(output).toMatch(/is running at http:\/\/127\.0\.0\.1:\d+/), {
        timeout: 30_000,
        interval: 100,
      });
      const port = Number(/running at http:\/\/127\.0\.0\.1:(\d+)/.exec(output)?.[1]);
      expect(await portIsOpen(port)).toBe(true);

      // Act
      npm.kill(signal);
      const code = await Promise.race([
        exited,
        new Promise((resolve) => setTimeout(() => resolve("still running"), 15_000)),
      ]);

      // Assess
      expect(output).toContain("stopping…");
      expect(code).toBe(0);
      expect(await portIsOpen(port)).toBe(false);
      await rm(outbox, { recursive: true, force: true });
    },
    60_000,
  );
});

function portIsOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}
