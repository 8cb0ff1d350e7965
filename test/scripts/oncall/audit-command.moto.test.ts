/**
 * `npm run audit` over HTTP against moto_server, auditing a pair given with --replica (no
 * stack): versioned buckets, replicas written by the test as CRR would (the source's version id
 * and creation status kept: crrStandIn), and damage done the way others would do it: a replica
 * deleted, written over, or never replicated. Expected verdicts follow AWS's documented
 * behaviour; test/helpers/moto.ts lists the moto answers worked around.
 */
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DeleteObjectCommand, ListObjectVersionsCommand, type S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { startFaultProxy } from "../../../scripts/local/fault-proxy.ts";
import { auditMain } from "../../../scripts/oncall/audit-command.ts";
import { type ClientSettings, createAwsClients } from "../../../scripts/oncall/cli.ts";
import {
  type CrrStandIn,
  crrStandIn,
  type MotoS3,
  PRIMARY_REGION,
  putReplicated,
  REPLICA_REGION,
  startMotoS3,
} from "../../helpers/moto.ts";
import { testIo } from "../../helpers/oncall-stack.ts";
import { content, MIN_PART_SIZE, multipartUpload } from "../../helpers/uploads.ts";

let moto: MotoS3;
let crr: CrrStandIn;
/** moto's S3 clients of the test, writing both sides; none sends a checksum unless asked. */
let plainPrimary: S3Client;
let plainReplica: S3Client;

beforeAll(async () => {
  // The command's own SDK clients read credentials from the environment; moto takes any.
  vi.stubEnv("AWS_ACCESS_KEY_ID", "test");
  vi.stubEnv("AWS_SECRET_ACCESS_KEY", "test");
  moto = await startMotoS3();
  crr = crrStandIn();
  plainPrimary = moto.client(PRIMARY_REGION, { requestChecksumCalculation: "WHEN_REQUIRED" });
  plainReplica = moto.client(REPLICA_REGION, { requestChecksumCalculation: "WHEN_REQUIRED" });
  crr.attachPrimary(moto.primary);
  crr.attachReplica(moto.replica);
}, 60_000);

afterAll(async () => {
  vi.unstubAllEnvs();
  plainPrimary?.destroy();
  plainReplica?.destroy();
  await moto?.stop();
});

let pairNumber = 0;

/** A fresh versioned pair for one test. */
async function freshPair(): Promise<{ primary: string; replica: string }> {
  pairNumber += 1;
  const pair = { primary: `audit-${pairNumber}-primary`, replica: `audit-${pairNumber}-replica` };
  await moto.createBuckets(pair);
  return pair;
}

/** The primary and its replica as CRR writes them (same bytes, kept version id, statuses). */
function replicated(
  pair: { primary: string; replica: string },
  key: string,
  body: string | Uint8Array,
  replicaBody?: string,
): Promise<string | undefined> {
  return putReplicated(moto, crr, pair, key, body, replicaBody);
}

/** The audit's own clients, with the CRR stand-in on each side. */
function auditClients(endpoint?: string) {
  return (settings: ClientSettings) => {
    const clients = createAwsClients(endpoint ? { ...settings, endpoint } : settings);
    return {
      ...clients,
      s3(region: string) {
        const client = clients.s3(region);
        if (region === REPLICA_REGION) crr.attachReplica(client);
        else crr.attachPrimary(client);
        return client;
      },
    };
  };
}

function pairArgs(pair: { primary: string; replica: string }, endpoint = moto.server.endpoint) {
  return [
    `s3://${pair.primary}`,
    "--replica",
    `s3://${pair.replica}`,
    "--region",
    PRIMARY_REGION,
    "--replica-region",
    REPLICA_REGION,
    "--endpoint-url",
    endpoint,
  ];
}

async function audit(args: readonly string[], options: Parameters<typeof testIo>[0] = {}) {
  const { io, stdout, stderr } = testIo({
    env: { AWS_ACCESS_KEY_ID: "test", AWS_SECRET_ACCESS_KEY: "test" },
    createClients: auditClients(),
    ...options,
  });
  const exitCode = await auditMain(args, io);
  return { exitCode, stdout: stdout(), stderr: stderr() };
}

async function reportLines(file: string): Promise<Record<string, unknown>[]> {
  const text = await readFile(file, "utf8");
  return text
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

function reportFile(name: string): string {
  return join(tmpdir(), `audit-${process.pid}-${name}.ndjson`);
}

describe("npm run audit on a pair with damage", () => {
  it("exits 1 and its report names exactly the missing, different, overwritten and unverifiable objects", async () => {
    // Prepare
    const pair = await freshPair();
    for (const name of ["a", "b", "c", "d", "e"]) {
      await replicated(pair, `healthy/${name}.txt`, `healthy ${name}`);
    }
    // Deleted from the replica bucket's history for good (its version too): REPLICA_MISSING.
    await replicated(pair, "damage/missing.txt", "will be missing");
    await removeAllVersions(pair.replica, "damage/missing.txt");
    // The replicated version itself holds other bytes of the same size: MISMATCH.
    await replicated(pair, "damage/different.txt", "the right bytes", "the wrong bytes");
    // Written over in the replica bucket after replication: REPLICA_OVERWRITTEN.
    await replicated(pair, "damage/overwritten.txt", "original");
    await moto.put(moto.replica, {
      Bucket: pair.replica,
      Key: "damage/overwritten.txt",
      Body: "someone else's",
    });
    // The same bytes, multipart on the primary and in one request on the replica, no checksum
    // and no byte reads: nothing recorded decides. UNVERIFIABLE.
    const bytes = content(MIN_PART_SIZE + 1024);
    const multipart = await multipartUpload(
      plainPrimary,
      pair.primary,
      "damage/unverifiable.bin",
      bytes,
      [MIN_PART_SIZE, 1024],
      { checksumAlgorithm: undefined },
    );
    const single = await moto.put(plainReplica, {
      Bucket: pair.replica,
      Key: "damage/unverifiable.bin",
      Body: bytes,
    });
    if (multipart && single) crr.replicated(multipart, single);
    // Not problems: not replicated yet (PENDING), and a key only the replica has.
    await moto.put(moto.primary, { Bucket: pair.primary, Key: "new/pending.txt", Body: "soon" });
    await moto.put(moto.replica, { Bucket: pair.replica, Key: "old/only.txt", Body: "left" });
    const report = reportFile("damage");

    // Act
    const result = await audit([...pairArgs(pair), "--report", report, "--deep-max-bytes", "0"]);

    // Assess
    expect(result.exitCode, result.stderr).toBe(1);
    const lines = await reportLines(report);
    expect(
      lines
        .map((line) => [line.key, line.verdict])
        .sort(([a], [b]) => String(a).localeCompare(String(b))),
    ).toEqual([
      ["damage/different.txt", "MISMATCH"],
      ["damage/missing.txt", "REPLICA_MISSING"],
      ["damage/overwritten.txt", "REPLICA_OVERWRITTEN"],
      ["damage/unverifiable.bin", "UNVERIFIABLE"],
    ]);
    const unverifiable = lines.find((line) => line.verdict === "UNVERIFIABLE");
    expect(JSON.stringify(unverifiable)).toContain("deep verification is turned off");
    expect(result.stdout).toMatch(/MATCH\s+5\s/);
    expect(result.stdout).toMatch(/PENDING\s+1\s/);
    expect(result.stdout).toMatch(/REPLICA_ONLY\s+1\s/);
    expect(result.stdout).toContain(
      "audit: 11 objects, found: MISMATCH 1, UNVERIFIABLE 1, REPLICA_MISSING 1, REPLICA_OVERWRITTEN 1",
    );
  });

  it("exits 0 for a healthy pair, deciding from the listings where they prove equality", async () => {
    // Prepare
    const pair = await freshPair();
    for (let index = 0; index < 12; index += 1) {
      await replicated(pair, `dir${index % 3}/file-${index}.txt`, `content ${index}`);
    }

    // Act
    const result = await audit([...pairArgs(pair), "--json"]);

    // Assess
    expect(result.exitCode, result.stderr).toBe(0);
    const summary = JSON.parse(result.stdout);
    expect(summary).toMatchObject({ audited: 12, problems: 0, verdicts: { MATCH: 12 } });
    expect(summary.pairs[0].fromListing + summary.pairs[0].headed).toBe(12);
    expect(summary.pairs[0].listed).toEqual({ primary: 12, replica: 12 });
  });
});

/** Deletes every version and delete marker of a key (a replica lost for good). */
async function removeAllVersions(bucket: string, key: string): Promise<void> {
  const listed = await plainReplica.send(
    new ListObjectVersionsCommand({ Bucket: bucket, Prefix: key }),
  );
  for (const entry of [...(listed.Versions ?? []), ...(listed.DeleteMarkers ?? [])]) {
    await plainReplica.send(
      new DeleteObjectCommand({ Bucket: bucket, Key: key, VersionId: entry.VersionId }),
    );
  }
}

describe("what to audit", () => {
  it("writes a line for every object with --report-all", async () => {
    // Prepare
    const pair = await freshPair();
    await replicated(pair, "x/1.txt", "one");
    await replicated(pair, "x/2.txt", "two");
    const report = reportFile("all");

    // Act
    const result = await audit([...pairArgs(pair), "--report", report, "--report-all"]);

    // Assess
    expect(result.exitCode).toBe(0);
    const lines = await reportLines(report);
    expect(lines.map((line) => [line.key, line.verdict])).toEqual(
      expect.arrayContaining([
        ["x/1.txt", "MATCH"],
        ["x/2.txt", "MATCH"],
      ]),
    );
    expect(lines).toHaveLength(2);
  });

  it("audits only the keys after --start-after", async () => {
    // Prepare
    const pair = await freshPair();
    for (const key of ["a/1", "a/2", "b/1", "c/1", "c/2"]) await replicated(pair, key, key);
    const report = reportFile("start-after");

    // Act
    const result = await audit([
      ...pairArgs(pair),
      "--start-after",
      "b/1",
      "--report",
      report,
      "--report-all",
    ]);

    // Assess
    expect(result.exitCode).toBe(0);
    expect((await reportLines(report)).map((line) => line.key).sort()).toEqual(["c/1", "c/2"]);
  });

  it("audits every version with --all-versions: a version the replica lacks, and one written over", async () => {
    // Prepare: moto answers a KeyMarker that is not a key by dropping the first key after it
    // (AWS lists every key after it), so one range: --concurrency 1 lists without markers.
    const pair = await freshPair();
    const first = await replicated(pair, "doc.txt", "version 1");
    await replicated(pair, "doc.txt", "version 2");
    const lost = await replicated(pair, "img.bin", "image 1");
    await replicated(pair, "img.bin", "image 2");
    // The stand-in maps the source's version id to the copy's.
    await moto.replica.send(
      new DeleteObjectCommand({ Bucket: pair.replica, Key: "img.bin", VersionId: lost }),
    );
    // Written over on the replica after replication: its version there is only the replica's.
    const overwritten = await putReplicated(moto, crr, pair, "over.txt", "the original");
    await moto.put(moto.replica, { Bucket: pair.replica, Key: "over.txt", Body: "someone else" });
    const report = reportFile("versions");

    // Act
    const result = await audit([
      ...pairArgs(pair),
      "--all-versions",
      "--concurrency",
      "1",
      "--report",
      report,
      "--report-all",
    ]);

    // Assess
    expect(result.exitCode, result.stderr).toBe(1);
    const lines = await reportLines(report);
    // One line per primary version; the version on top of over.txt is the overwrite's finding,
    // not also REPLICA_ONLY.
    expect(lines).toHaveLength(5);
    expect(lines.find((line) => line.versionId === lost)?.verdict).toBe("REPLICA_MISSING");
    expect(lines.find((line) => line.versionId === first)?.verdict).toBe("MATCH");
    expect(lines.find((line) => line.key === "over.txt")).toMatchObject({
      versionId: overwritten,
      verdict: "REPLICA_OVERWRITTEN",
    });
  });
});

describe("an interrupted audit", () => {
  it("prints the last key finished and the exact command that resumes after it", async () => {
    // Prepare: replicas written a second after their sources, so that each object is HEADed
    // (a replica newer than its source), and the interrupt comes after some HEADs.
    const pair = await freshPair();
    const keys = Array.from({ length: 24 }, (_, index) => `k/${String(index).padStart(2, "0")}`);
    const sources = [];
    for (const key of keys) {
      sources.push(await moto.put(moto.primary, { Bucket: pair.primary, Key: key, Body: key }));
    }
    await new Promise((resolve) => setTimeout(resolve, 1100));
    for (const [index, key] of keys.entries()) {
      const copy = await moto.put(moto.replica, { Bucket: pair.replica, Key: key, Body: key });
      const source = sources[index];
      if (source && copy) crr.replicated(source, copy);
    }
    const controller = new AbortController();
    let heads = 0;
    const interrupting = (settings: ClientSettings) => {
      const clients = auditClients()(settings);
      return {
        ...clients,
        s3(region: string) {
          const client = clients.s3(region);
          client.middlewareStack.add(
            (next, context) => async (args) => {
              if (context.commandName === "HeadObjectCommand") heads += 1;
              if (heads === 12) controller.abort();
              return next(args);
            },
            { step: "initialize", name: "interruptAfterSomeHeads", override: true },
          );
          return client;
        },
      };
    };
    const first = reportFile("interrupted");
    const second = reportFile("resumed");

    // Act
    const interrupted = await audit(
      [...pairArgs(pair), "--concurrency", "2", "--report", first, "--report-all"],
      { signal: controller.signal, createClients: interrupting },
    );
    const command = /npm run audit -- (.*)$/m.exec(interrupted.stdout)?.[1] ?? "";
    const resumeArgs = [...command.matchAll(/'([^']*)'|(\S+)/g)].map(
      (match) => match[1] ?? match[2] ?? "",
    );
    const resumed = await audit(
      resumeArgs.map((argument) => (argument === first ? second : argument)),
    );

    // Assess
    expect(interrupted.exitCode).toBe(130);
    expect(interrupted.stdout).toMatch(/Interrupted\. Every key up to "k\/\d\d" is audited/);
    expect(resumeArgs).toContain("--start-after");
    expect(resumed.exitCode, resumed.stderr).toBe(0);
    const audited = [...(await reportLines(first)), ...(await reportLines(second))].map(
      (line) => line.key,
    );
    expect(new Set(audited)).toEqual(new Set(keys));
    expect((await reportLines(second)).length).toBeLessThan(keys.length);
  });
});

describe("S3 answering SlowDown", () => {
  it("lowers its concurrency, retries, and still audits every object", async () => {
    // Prepare: a burst of S3 requests through the proxy is answered 503 SlowDown (the SDK's
    // own back-off after a throttle is half a second and more: a burst keeps the test short).
    const pair = await freshPair();
    for (let index = 0; index < 8; index += 1) {
      await replicated(pair, `t${index % 4}/f-${index}`, `throttled ${index}`);
    }
    const proxy = await startFaultProxy(moto.server.endpoint);
    let requests = 0;
    proxy.setPolicy((request) => {
      if (request.service !== "s3") return undefined;
      requests += 1;
      return requests >= 3 && requests <= 6 ? "slow-down" : undefined;
    });

    // The SDK's adaptive mode rate-limits a client that was throttled from what it has measured,
    // which for a client with a handful of requests is near nothing (seconds per request):
    // standard retries keep the test short; the audit's own adaptation is what is tested.
    const standardRetries = (settings: ClientSettings) => {
      const clients = auditClients()(settings);
      const made = new Map<string, S3Client>();
      return {
        ...clients,
        s3(region: string) {
          let client = made.get(region);
          if (!client) {
            client = moto.client(region, { endpoint: proxy.endpoint, retryMode: "standard" });
            if (region === REPLICA_REGION) crr.attachReplica(client);
            else crr.attachPrimary(client);
            made.set(region, client);
          }
          return client;
        },
      };
    };

    // Act
    const result = await audit([...pairArgs(pair, proxy.endpoint), "--json"], {
      createClients: standardRetries,
    });
    await proxy.stop();

    // Assess
    expect(result.exitCode, result.stderr).toBe(0);
    const summary = JSON.parse(result.stdout);
    expect(summary.verdicts).toEqual({ MATCH: 8 });
    expect(proxy.injected["slow-down"]).toBeGreaterThan(0);
    expect(summary.pairs[0].throttles).toBeGreaterThan(0);
    expect(summary.pairs[0].lowestConcurrency).toBeLessThan(16);
  });
});

describe("bad input", () => {
  it.each([
    [
      [
        "s3://a-bucket",
        "--replica",
        "s3://b-bucket/other/",
        "--endpoint-url",
        "http://127.0.0.1:1",
      ],
      "replica prefix",
    ],
    [["s3://a-bucket", "--replica", "s3://a-bucket"], "same bucket"],
    [["--replica", "s3://b-bucket"], "give the primary too"],
    [["s3://a-bucket", "--replica", "s3://b-bucket", "--enqueue"], "--enqueue"],
    [
      ["s3://a-bucket", "--replica", "s3://b-bucket", "--deep", "--deep-max-bytes", "5"],
      "not both",
    ],
    [["s3://a-bucket", "--replica", "not-a-uri"], "--replica must be s3://"],
    [["s3://a-bucket", "--replica", "s3://b-bucket", "--report-all"], "--report-all needs"],
    [
      ["s3://a-bucket", "--replica", "s3://b-bucket", "--concurency", "3"],
      "did you mean --concurrency",
    ],
  ])("refuses %j with exit code 2", async (args, message) => {
    const result = await audit(args);

    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(message);
  });

  it("says a bucket does not exist with exit code 3", async () => {
    const result = await audit(
      pairArgs({ primary: "no-such-primary", replica: "no-such-replica" }),
    );

    expect(result.exitCode).toBe(3);
    expect(result.stderr).toMatch(/no-such-(primary|replica).* does not exist/);
  });
});
