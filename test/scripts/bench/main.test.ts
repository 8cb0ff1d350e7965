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
    expect(out.chunks.join("")).toContain("deep ");
    expect(out.chunks.join("")).toContain("latency ");
    expect(out.chunks.join("")).toContain("audit ");
  });

  it("refuses an option that is not a whole number", async () => {
    await expect(benchMain(["latency", "--objects", "many"], capture())).rejects.toThrow(
      '--objects must be a whole number of at least 1 (got "many")',
    );
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

  it("audit-worker mode answers one Batch Operations invocation per object beside the raw HEADs", async () => {
    // Act
    const out = capture();
    const code = await benchMain(
      ["audit-worker", "--objects", "5", "--primary-ms", "0", "--replica-ms", "1"],
      out,
    );

    // Assess
    const printed = out.chunks.join("");
    expect(code).toBe(0);
    expect(printed).toContain("verdicts                 MATCH 5");
    expect(printed).toMatch(/raw HEADs of an object\s+[\d.]+ ms/);
    expect(printed).toMatch(
      /worker per object\s+[\d.]+ ms median, [\d.]+ ms p95 = [\d.]+× the raw HEADs/,
    );
    expect(printed).toMatch(/Lambda per million\s+[\d.]+ k GB-s at 512 MB/);
  });

  it("init mode loads each packaged handler in fresh processes beside an empty module", async () => {
    const out = capture();
    expect(await benchMain(["init", "--runs", "1"], out)).toBe(0);
    const printed = out.chunks.join("");
    expect(printed).toMatch(/empty module \(floor\)\s+[\d.]+ ms/);
    expect(printed).toMatch(/checksum-validator\s+[\d.]+ ms .*bundle \d+ KiB/);
    expect(printed).toMatch(/failure-notifier\s+[\d.]+ ms .*bundle \d+ KiB/);
    expect(printed).toMatch(/audit-starter\s+[\d.]+ ms .*bundle \d+ KiB/);
    expect(printed).toMatch(/audit-worker\s+[\d.]+ ms .*bundle \d+ KiB/);
  }, 120_000);
  it("deep mode reads a small and a large object raw and deep, and measures fresh processes' memory", {
    timeout: 120_000,
  }, async () => {
    // Prepare
    const out = capture();

    // Act
    const code = await benchMain(
      ["deep", "--small-mib", "1", "--big-mib", "9", "--chunk-mib", "1", "--concurrency", "4"],
      out,
    );

    // Assess
    expect(code).toBe(0);
    const printed = out.chunks.join("");
    expect(printed).toMatch(/object\s+9 MiB in 2 parts, 4 ranged GETs of 1 MiB in flight/);
    expect(printed).toMatch(/raw ranged GETs\s+\d+ MiB\/s, \d+ MiB\/s, \d+ MiB\/s/);
    expect(printed).toMatch(/deep, multipart ETag\s+\d+ MiB\/s = \d+\.\d\d× raw/);
    expect(printed).toMatch(/deep, CRC64NVME\s+\d+ MiB\/s = \d+\.\d\d× raw/);
    expect(printed).toMatch(/peak RSS, 2 +MiB\s+\d+ MiB\n/);
    expect(printed).toMatch(/peak RSS, 9 +MiB\s+\d+ MiB = \d+\.\d\d× the small object's/);
  });

  it("latency mode sets the handler's batches against the raw HEADs under added round trips", {
    timeout: 60_000,
  }, async () => {
    // Prepare
    const out = capture();

    // Act
    const code = await benchMain(
      ["latency", "--objects", "20", "--primary-ms", "2", "--replica-ms", "5"],
      out,
    );

    // Assess
    expect(code).toBe(0);
    const printed = out.chunks.join("");
    expect(printed).toMatch(/batches measured\s+2 of ≤10 objects/);
    expect(printed).toMatch(/failed records\s+0/);
    expect(printed).toMatch(/handler, version known\s+\d+\.\d ms = \d+\.\d\d× the raw HEADs/);
    expect(printed).toMatch(/handler, no version\s+\d+\.\d ms = \d+\.\d\d×/);
  });

  it("audit mode audits a pair beside the listing floor and rclone check, in fresh processes", {
    timeout: 120_000,
  }, async () => {
    // Prepare
    const out = capture();

    // Act
    const code = await benchMain(["audit", "--sizes", "200,400", "--concurrency", "4"], out);

    // Assess: figures are for people; that each is measured and printed is checked here.
    expect(code).toBe(0);
    const printed = out.chunks.join("");
    expect(printed).toMatch(
      /200 objects per bucket\n\s+floor: list both\s+[\d.]+ s, [\d,]+ objects\/s/,
    );
    expect(printed).toMatch(
      /400 objects per bucket[\s\S]+npm run audit\s+[\d.]+ s, [\d,]+ objects\/s, peak RSS \d+ MiB; [\d.]+x the floor/,
    );
    expect(printed).toMatch(/audit, 96 MiB heap\s+[\d.]+ s/);
    // rclone where installed (Debian package), a note where not; never a failure.
    expect(printed).toMatch(/rclone check\s+([\d.]+ s, [\d,]+ objects\/s|skipped: )/);
    expect(printed).toMatch(/peak RSS at 400 \/ at 200 objects \(goal <= 1\.2\): audit [\d.]+/);
  });

  it("refuses an emulator it does not know", async () => {
    await expect(benchMain(["audit", "--emulator", "minio"], capture())).rejects.toThrow(
      '--emulator must be fauxqs or moto (got "minio")',
    );
  });
});
