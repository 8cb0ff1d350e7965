import { PurgeQueueCommand } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { settings } from "../../../resources/settings.ts";
import {
  parseS3Uri,
  replicationDeadline,
  verifyMain,
} from "../../../scripts/oncall/verify-command.ts";
import { CHECK_MESSAGE_TYPE } from "../../../shared/contracts/check-message.ts";
import type { FailureReport } from "../../../shared/contracts/failure-report.ts";
import { asEventKey, decodeEventKey } from "../../../shared/events/keys.ts";
import { eventBridgeObjectCreated, sqsEvent, sqsRecord } from "../../helpers/events.ts";
import { lambdaContext } from "../../helpers/lambda-context.ts";
import {
  type OncallStack,
  PRIMARIES,
  PRIMARY,
  REPLICA,
  startOncallStack,
  testIo,
} from "../../helpers/oncall-stack.ts";
import { content, MIN_PART_SIZE, multipartUpload } from "../../helpers/uploads.ts";
import { loadValidatorHandler, validatorEnvironment } from "../../helpers/validator-handler.ts";

let stack: OncallStack;

beforeAll(async () => {
  stack = await startOncallStack();
  const { emulator } = stack;
  await emulator.put(PRIMARY, "same.txt", "identical bytes");
  await emulator.put(REPLICA, "same.txt", "identical bytes");
  await emulator.put(PRIMARY, "corrupt.txt", "original bytes!");
  await emulator.put(REPLICA, "corrupt.txt", "corrupted bytes");
  await emulator.put(PRIMARY, "waiting.txt", "not replicated yet");
  await emulator.put(PRIMARY, "q3 report+final.pdf", "tricky key");
  await emulator.put(REPLICA, "q3 report+final.pdf", "tricky key");
});
afterAll(async () => {
  await stack.stop();
});

const REPLICATION_DEADLINE_SECONDS = "900";

/**
 * What the real checksum-validator Lambda does with an upload event for `key`, on the same
 * emulator objects: the failure reports it sends and the pending checks it re-queues.
 */
async function lambdaOutcome(key: string) {
  const handler = await loadValidatorHandler(
    validatorEnvironment({
      ...stack.emulator.environment(),
      BUCKET_PAIRS: stack.outputs.BucketPairs,
      REPLICA_REGION: stack.outputs.ReplicaRegion,
      // Queue URLs on the emulator's origin (see onEmulatorOrigin), as the outputs give them.
      VALIDATION_QUEUE_URL: stack.outputs.ValidationQueueUrl,
      FAILURE_QUEUE_URL: stack.outputs.FailureQueueUrl,
      REPLICATION_DEADLINE_SECONDS,
    }),
  );
  const event = eventBridgeObjectCreated({ bucket: PRIMARY, key, time: new Date().toISOString() });
  const response = await handler(sqsEvent(sqsRecord(event)), lambdaContext("checksum-validator"));
  const reports = (await stack.emulator.drain(stack.outputs.FailureQueueUrl)).map(
    (message) => JSON.parse(message.Body ?? "") as FailureReport,
  );
  // Pending checks are re-queued with a delay: read them without waiting, then purge.
  const requeued = queuedBodies(stack.outputs.ValidationQueueUrl);
  await stack.emulator.sqs.send(
    new PurgeQueueCommand({ QueueUrl: stack.outputs.ValidationQueueUrl }),
  );
  return {
    failedRecords: response.batchItemFailures.length,
    reported: reports.map((report) => `${report.verdict} ${report.object?.key}`),
    requeued: requeued.map((body) => `${body.type} ${body.object?.key}`),
  };
}

/** Bodies of every message on a queue (ready, delayed, in flight), without receiving them. */
function queuedBodies(queueUrl: string): { type?: string; object?: { key?: string } }[] {
  const name = new URL(queueUrl).pathname.split("/").pop() ?? "";
  const queue = stack.emulator.server.inspectQueue(name);
  if (!queue) throw new Error(`no queue ${name}`);
  const { ready, delayed, inflight } = queue.messages;
  return [...ready, ...delayed, ...inflight.map((entry) => entry.message)].map((message) =>
    JSON.parse(message.body),
  );
}

describe("npm run verify", () => {
  it.each([
    // verify's verdict and exit code, and what the Lambda does with the same object
    ["same.txt", "MATCH", 0, { reported: [], requeued: [] }],
    ["corrupt.txt", "MISMATCH", 1, { reported: ["MISMATCH corrupt.txt"], requeued: [] }],
    [
      "waiting.txt",
      "PENDING",
      1,
      { reported: [], requeued: [`${CHECK_MESSAGE_TYPE} waiting.txt`] },
    ],
    ["deleted.txt", "SOURCE_GONE", 1, { reported: [], requeued: [] }],
  ] as const)(
    "s3://primary/%s: verify says %s (exit %i), as the checksum-validator Lambda judges it",
    async (key, verdict, code, lambda) => {
      // Prepare: verify reads the deadline the Lambda runs with from the stack outputs.
      const args = await stack.argsWithOutputs("deadline.json", {
        ...stack.outputs,
        ReplicationDeadlineSeconds: REPLICATION_DEADLINE_SECONDS,
      });
      const { io, stdout } = testIo();

      // Act
      const exitCode = await verifyMain([`s3://${PRIMARY}/${key}`, ...args], io);
      const outcome = await lambdaOutcome(key);

      // Assess
      expect(exitCode).toBe(code);
      // A missing object reads "not found", with the keys tried, rather than a verdict.
      const shown = verdict === "SOURCE_GONE" ? "NOT FOUND" : verdict;
      expect(stdout().split("\n")[0]).toBe(`${shown}  s3://${PRIMARY}/${key}`);
      expect(outcome).toEqual({ failedRecords: 0, ...lambda });
    },
  );

  it("prints the evidence side by side", async () => {
    const { io, stdout } = testIo();

    expect(await verifyMain([`s3://${PRIMARY}/corrupt.txt`, ...stack.args], io)).toBe(1);

    const text = stdout();
    // The SDK sends a CRC32 with each upload, so that is the strongest evidence here.
    // The same presentation as the alert email (shared/presentation/side-by-side.ts).
    expect(text).toMatch(/CRC32 checksum \(full object\) differs: primary \S+, replica \S+/);
    expect(text).toMatch(/^\s+PRIMARY \(us-east-1\)\s+REPLICA \(us-west-2\)/m);
    expect(text).toMatch(new RegExp(`^Bucket\\s+${PRIMARY}\\s+${REPLICA}`, "m"));
    expect(text).toMatch(/^Size\s+15\s+15$/m);
    expect(text).toMatch(/^Checksum CRC32\s+\S+==\s+\S+==\s+<- differs$/m);
    expect(text).toMatch(
      /Verdict based on: CRC32 checksum \(full object\): primary \S+, replica \S+ -> DIFFER/,
    );
    expect(text).toMatch(/- ETag \(MD5\): primary [0-9a-f]{32}, replica [0-9a-f]{32} -> DIFFER/);
    expect(text).toMatch(/- size: primary 15, replica 15 -> agree/);
    expect(text).toContain("Object age");
  });

  it("reads the bytes when the recorded values cannot decide, with progress for a large object", async () => {
    // Prepare: 16 MiB in two parts of other sizes on each side. The ETags and composite CRC32s
    // differ, and this emulator answers no part sizes (HeadObject PartNumber is ignored), so
    // the layouts cannot be shown equal: only the bytes of both sides can decide.
    const body = content(16 * 1024 * 1024);
    const { emulator } = stack;
    const crc32 = { checksumAlgorithm: "CRC32" } as const;
    const mib = 1024 * 1024;
    await multipartUpload(emulator.s3, PRIMARY, "relaid.bin", body, [8 * mib, 8 * mib], crc32);
    await multipartUpload(emulator.s3, REPLICA, "relaid.bin", body, [10 * mib, 6 * mib], crc32);
    const { io, stdout, stderr } = testIo();

    // Act
    const exitCode = await verifyMain([`s3://${PRIMARY}/relaid.bin`, ...stack.args], io);

    // Assess
    expect(exitCode).toBe(0);
    expect(stdout()).toMatch(
      /^MATCH .*\nSHA256 checksum \(full object\) of both sides' bytes and size agree\n/,
    );
    expect(stdout()).toContain("Bytes read: 33,554,432 bytes (32.0 MiB) of both sides' bytes, in");
    expect(stderr()).toContain("Reading bytes (MiB): 32/32");
  });

  it("--read replica reproduces the primary's record from the replica's bytes; --read refuses anything else", async () => {
    // Prepare: written in one request on the primary (a full-object CRC32), in two parts on the
    // replica: no recorded value compares.
    const body = content(MIN_PART_SIZE + 5);
    const { emulator } = stack;
    await emulator.put(PRIMARY, "replica-read.bin", body);
    await multipartUpload(emulator.s3, REPLICA, "replica-read.bin", body, [MIN_PART_SIZE, 5], {
      checksumAlgorithm: "CRC32",
    });
    const { io, stdout } = testIo();
    const bad = testIo();

    // Act
    const exitCode = await verifyMain(
      [`s3://${PRIMARY}/replica-read.bin`, "--read", "replica", "--json", ...stack.args],
      io,
    );
    const badCode = await verifyMain(
      [`s3://${PRIMARY}/replica-read.bin`, "--read", "both", ...stack.args],
      bad.io,
    );

    // Assess
    expect(exitCode).toBe(0);
    expect(JSON.parse(stdout())).toMatchObject({
      verdict: "MATCH",
      deepVerification: { outcome: "verified", read: "replica", bytesRead: body.length },
      comparison: {
        basis: { computedFrom: "replica", kind: "full-object-checksum", algorithm: "CRC32" },
      },
    });
    expect(badCode).toBe(2);
    expect(bad.stderr()).toContain('--read must be primary or replica (got "both")');
  });

  it("checks a key with a space and a plus exactly as typed", async () => {
    const { io, stdout } = testIo();

    const exitCode = await verifyMain(
      [`s3://${PRIMARY}/q3 report+final.pdf`, "--json", ...stack.args],
      io,
    );

    expect(exitCode).toBe(0);
    const result = JSON.parse(stdout());
    expect(result).toMatchObject({
      verdict: "MATCH",
      key: "q3 report+final.pdf",
      replicaRegion: "us-west-2",
      replicationDeadlineSeconds: 900,
    });
  });

  it("tries a key copied from an S3 notification decoded too, as the validator does", async () => {
    // Prepare: the notification's form of "q3 report+final.pdf"
    const { io, stdout } = testIo();

    // Act
    const exitCode = await verifyMain(
      [`s3://${PRIMARY}/q3+report%2Bfinal.pdf`, "--json", ...stack.args],
      io,
    );

    // Assess
    expect(exitCode).toBe(0);
    expect(JSON.parse(stdout())).toMatchObject({ verdict: "MATCH", key: "q3 report+final.pdf" });
  });

  it("says NOT FOUND for a mistyped key and lists the keys it tried (not 'deleted')", async () => {
    // Prepare
    const { io, stdout } = testIo();

    // Act
    const exitCode = await verifyMain([`s3://${PRIMARY}/reports/q3+fnal.pdf`, ...stack.args], io);

    // Assess
    expect(exitCode).toBe(1);
    const text = stdout();
    expect(text).toContain(`NOT FOUND  s3://${PRIMARY}/reports/q3+fnal.pdf`);
    expect(text).toContain(`  s3://${PRIMARY}/reports/q3+fnal.pdf\n`);
    expect(text).toContain(`  's3://${PRIMARY}/reports/q3 fnal.pdf'\n`);
    expect(text).not.toContain("deleted or expired before");
    expect(text.match(/^ {2}\S/gm)).toHaveLength(2);
  });

  it("takes the deadline from the stack output ReplicationDeadlineSeconds, not the shell", async () => {
    // Prepare: the deployed validator gives up after 60 s; the operator's shell says an hour.
    const args = await stack.argsWithOutputs("deadline-60.json", {
      ...stack.outputs,
      ReplicationDeadlineSeconds: "60",
    });
    const now = () => new Date(Date.now() + 120_000);
    const { io, stdout } = testIo({ now, env: { REPLICATION_DEADLINE_SECONDS: "3600" } });

    // Act
    const exitCode = await verifyMain([`s3://${PRIMARY}/waiting.txt`, ...args], io);

    // Assess
    expect(exitCode).toBe(1);
    expect(stdout()).toMatch(/^REPLICATION_OVERDUE/);
    expect(stdout()).toContain(
      "replication deadline 60 s (stack output ReplicationDeadlineSeconds).",
    );
  });

  it("without that output, uses the deadline the stacks deploy with (settings), not the shell", async () => {
    // Prepare: an older stack without the output; the shell's 60 s must not decide.
    expect(stack.outputs).not.toHaveProperty("ReplicationDeadlineSeconds");
    const now = () => new Date(Date.now() + 120_000);
    const { io, stdout } = testIo({
      now,
      env: { REPLICATION_DEADLINE_SECONDS: "60" },
    });

    // Act
    const exitCode = await verifyMain([`s3://${PRIMARY}/waiting.txt`, "--json", ...stack.args], io);

    // Assess
    expect(exitCode).toBe(1);
    expect(JSON.parse(stdout())).toMatchObject({
      verdict: "PENDING",
      replicationDeadlineSeconds: settings.replicationDeadlineSeconds,
      replicationDeadlineSource:
        "replicationDeadlineSeconds in resources/settings.json; the stack has no ReplicationDeadlineSeconds output",
    });
  });

  it("refuses a ReplicationDeadlineSeconds output that is not a number of seconds (exit 3)", async () => {
    const args = await stack.argsWithOutputs("deadline-bad.json", {
      ...stack.outputs,
      ReplicationDeadlineSeconds: "soon",
    });
    const { io, stderr } = testIo();

    expect(await verifyMain([`s3://${PRIMARY}/same.txt`, ...args], io)).toBe(3);
    expect(stderr()).toContain(
      'deadline-bad.json: output ReplicationDeadlineSeconds must be a whole number of seconds between 1 and 604800 (got "soon")',
    );
  });

  it("falls back to REPLICATION_DEADLINE_SECONDS, then 900, only without output and setting", () => {
    const outputs = { from: "file x.json", values: { ReplicationDeadlineSeconds: " " } };

    expect(replicationDeadline(outputs, undefined, { REPLICATION_DEADLINE_SECONDS: "42" })).toEqual(
      { seconds: 42, source: "environment REPLICATION_DEADLINE_SECONDS" },
    );
    expect(replicationDeadline(outputs, undefined, {})).toEqual({
      seconds: 900,
      source: "default",
    });
    expect(() =>
      replicationDeadline(outputs, undefined, { REPLICATION_DEADLINE_SECONDS: "soon" }),
    ).toThrow("REPLICATION_DEADLINE_SECONDS: must be a whole number");
  });

  it("refuses a replica bucket, an unknown bucket and a malformed URI (exit 2)", async () => {
    for (const [uri, message] of [
      [`s3://${REPLICA}/same.txt`, `${REPLICA} is the replica of ${PRIMARY}; give the primary`],
      [
        "s3://somebody-elses/x",
        `somebody-elses is not a primary bucket of this stage (primaries: ${PRIMARIES.join(", ")})`,
      ],
      [`${PRIMARY}/same.txt`, "expected s3://<primary-bucket>/<key>"],
      [`s3://${PRIMARY}/`, "expected s3://<primary-bucket>/<key>"],
    ]) {
      const { io, stderr } = testIo();
      expect(await verifyMain([uri as string, ...stack.args], io)).toBe(2);
      expect(stderr()).toContain(message);
    }
    const none = testIo();
    expect(await verifyMain(stack.args, none.io)).toBe(2);
    expect(none.stderr()).toContain("give exactly one object");
  });

  it("names a missing ReplicaRegion output", async () => {
    const { ReplicaRegion: _omitted, ...outputs } = stack.outputs;
    const args = await stack.argsWithOutputs("no-replica-region.json", outputs);
    const { io, stderr } = testIo();

    const exitCode = await verifyMain([`s3://${PRIMARY}/same.txt`, ...args], io);

    expect(exitCode).toBe(3);
    expect(stderr()).toContain("has no output ReplicaRegion");
  });
});

describe("keys typed on the command line", () => {
  it("encodes a typed key so that the validator's first try is exactly that key", () => {
    for (const key of ["a+b c.txt", "100%/real.pdf", "ünïcødé/ß.txt", "plain/key"]) {
      expect(decodeEventKey(asEventKey(key))).toBe(key);
    }
  });

  it("parses s3:// URIs with slashes and spaces in the key", () => {
    expect(parseS3Uri("s3://bucket-a/dir/sub dir/x.txt")).toEqual({
      bucket: "bucket-a",
      key: "dir/sub dir/x.txt",
    });
  });
});
