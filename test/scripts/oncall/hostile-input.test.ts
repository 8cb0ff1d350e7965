/**
 * The on-call scans over a dead-letter queue full of hostile bodies (test/helpers/
 * hostile-bodies.ts, both corpora): `dlq inspect` lists every one and `redrive --dry-run` scans
 * every one; neither stops on a body, and nothing is consumed.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { dlqMain } from "../../../scripts/oncall/dlq-command.ts";
import { redriveMain } from "../../../scripts/oncall/redrive-command.ts";
import { notifierCorpus, validatorCorpus } from "../../helpers/hostile-bodies.ts";
import {
  type OncallStack,
  PRIMARY,
  sendAll,
  startOncallStack,
  testIo,
  visibleCount,
} from "../../helpers/oncall-stack.ts";

let stack: OncallStack;
// What an SQS queue holds: bodies over its 256 KiB limit never reach a dead-letter queue.
const bodies = [...validatorCorpus(PRIMARY, "ok.txt"), ...notifierCorpus()]
  .map((item) => item.body)
  .filter((body) => Buffer.byteLength(body) < 250 * 1024 && body !== "");

beforeAll(async () => {
  stack = await startOncallStack();
  await sendAll(
    stack.emulator,
    stack.outputs.ValidationDlqUrl,
    bodies.map((body) => ({ body })),
  );
}, 60_000);

afterAll(async () => {
  await stack.stop();
});

it("dlq inspect lists every hostile message and leaves them all in place", async () => {
  // Act
  const { io, stdout, stderr } = testIo();
  const code = await dlqMain(["inspect", "--max", "500", "--json", ...stack.args], io);

  // Assess
  expect(stderr()).toBe("");
  expect(code).toBe(0);
  const result = JSON.parse(stdout()) as { messages: { note: string }[] };
  expect(result.messages).toHaveLength(bodies.length);
  expect(result.messages.every((message) => message.note.length > 0)).toBe(true);
  expect(await visibleCount(stack.emulator, stack.outputs.ValidationDlqUrl)).toBe(bodies.length);
}, 60_000);

it("redrive --dry-run scans every hostile message, moves none, and filters without crashing", async () => {
  // Act
  const all = testIo();
  const allCode = await redriveMain(["--dry-run", "--json", ...stack.args], all.io);
  const filtered = testIo();
  const filteredCode = await redriveMain(
    ["--dry-run", "--json", "--filter", PRIMARY, ...stack.args],
    filtered.io,
  );

  // Assess
  expect(allCode).toBe(0);
  expect(JSON.parse(all.stdout())).toMatchObject({ scanned: bodies.length, moved: 0 });
  expect(filteredCode).toBe(0);
  const result = JSON.parse(filtered.stdout()) as { scanned: number; skipped: number };
  expect(result.scanned).toBe(bodies.length);
  expect(result.skipped).toBeGreaterThan(0);
  expect(await visibleCount(stack.emulator, stack.outputs.ValidationDlqUrl)).toBe(bodies.length);
}, 60_000);
