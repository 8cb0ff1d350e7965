/**
 * `npm run bench` stays runnable: each mode runs on a few objects and prints its figures. The
 * figures themselves are not judged here (they are for people, measured side by side).
 */
import { describe, expect, it } from "vitest";
import { benchMain } from "../../../scripts/bench/main.ts";

function capture() {
  const chunks: string[] = [];
  return { chunks, stdout: { write: (chunk: string) => chunks.push(chunk) } };
}

describe("npm run bench", () => {
  it("lists its modes with --help", async () => {
    const out = capture();
    expect(await benchMain(["--help"], out)).toBe(0);
    expect(out.chunks.join("")).toContain("validator (default)");
  });

  it("refuses an unknown mode with exit code 2", async () => {
    const out = capture();
    expect(await benchMain(["nonsense"], out)).toBe(2);
    expect(out.chunks.join("")).toContain('unknown bench mode "nonsense"');
  });

  it("validator mode checks every object and prints throughput, latency and memory", async () => {
    const out = capture();
    expect(await benchMain(["validator", "--objects", "20", "--concurrency", "2"], out)).toBe(0);
    const printed = out.chunks.join("");
    expect(printed).toMatch(/objects checked\s+20 \(2 batches/);
    expect(printed).toMatch(/failed records\s+0/);
    expect(printed).toMatch(/throughput\s+\d+ objects\/s/);
    expect(printed).toMatch(/peak RSS\s+\d+ MiB/);
  });

  it("init mode loads each packaged handler in fresh processes beside an empty module", async () => {
    const out = capture();
    expect(await benchMain(["init", "--runs", "1"], out)).toBe(0);
    const printed = out.chunks.join("");
    expect(printed).toMatch(/empty module \(floor\)\s+[\d.]+ ms/);
    expect(printed).toMatch(/checksum-validator\s+[\d.]+ ms .*bundle \d+ KiB/);
    expect(printed).toMatch(/failure-notifier\s+[\d.]+ ms .*bundle \d+ KiB/);
  }, 120_000);
});
