/**
 * The local stack (scripts/local/stack.ts) for a test file: the real handlers on the emulator,
 * with what its stand-ins say kept, so that a wait that times out shows what happened.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { vi } from "vitest";
import { type LocalStack, startLocalStack } from "../../scripts/local/stack.ts";

export async function startTestStack() {
  const directory = await mkdtemp(join(tmpdir(), "bv-local-"));
  const lines: string[] = [];
  const stack: LocalStack = await startLocalStack({
    timings: { replicationLagMs: 100 },
    outboxDirectory: join(directory, "outbox"),
    stackOutputsFile: join(directory, "stack-outputs.json"),
    log: (line) => lines.push(line),
    onInvoke: (invocation) =>
      lines.push(
        `λ ${invocation.functionName}: ${invocation.records} record(s), ${invocation.failed} failed${invocation.error ? ` (${String(invocation.error)})` : ""}`,
      ),
    onEmail: (email) => lines.push(`✉ ${email.subject}`),
  });
  return {
    stack,
    lines,
    /** Stand-in failures ("! ... failed"); none is expected. */
    failures: () => lines.filter((line) => line.startsWith("!")),
    /** vi.waitFor, failing with what the stack did meanwhile. */
    async waitFor(check: () => void, timeout = 20_000): Promise<void> {
      try {
        await vi.waitFor(check, { timeout, interval: 100 });
      } catch (error) {
        throw new Error(`${(error as Error).message}\nThe local stack said:\n${lines.join("\n")}`);
      }
    },
    async stop() {
      await stack.stop();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
