import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { dlqMain } from "../../../scripts/oncall/dlq-command.ts";
import type { InspectResult } from "../../../scripts/oncall/inspect.ts";
import { CHECK_MESSAGE_TYPE } from "../../../shared/contracts/check-message.ts";
import {
  buildFailureReport,
  reportMessageAttributes,
} from "../../../shared/contracts/failure-report.ts";
import { toMessageAttributes } from "../../../shared/queues/message-sender.ts";
import { eventBridgeObjectCreated, s3Notification } from "../../helpers/events.ts";
import {
  holdElsewhere,
  type OncallStack,
  PRIMARY,
  releaseHeld,
  sendAll,
  startOncallStack,
  type TestMessage,
  testIo,
  visibleCount,
} from "../../helpers/oncall-stack.ts";

let stack: OncallStack;

beforeAll(async () => {
  stack = await startOncallStack();
});
afterAll(async () => {
  await stack.stop();
});
beforeEach(async () => {
  await stack.clear();
});

/** What the validation DLQ holds after a bad night: events, a pending check, junk. */
function deadLetteredValidationMessages(): TestMessage[] {
  const events = Array.from({ length: 8 }, (_, index) => ({
    body: JSON.stringify(
      eventBridgeObjectCreated({
        bucket: PRIMARY,
        key: `reports/r${index}.pdf`,
        versionId: `v${index}`,
      }),
    ),
  }));
  const pendingCheck = {
    body: JSON.stringify({
      type: CHECK_MESSAGE_TYPE,
      version: 1,
      attempt: 3,
      firstCheckedAt: "2025-01-01T00:00:00.000Z",
      object: { bucket: PRIMARY, key: "media/clip.mp4", versionId: "pv1" },
      originalEvent: {},
    }),
  };
  const notification = {
    body: JSON.stringify(
      s3Notification([
        { bucket: PRIMARY, key: "scans/a+b.tif" },
        { bucket: PRIMARY, key: "scans/c.tif" },
      ]),
    ),
  };
  return [...events, pendingCheck, notification, { body: "this is not JSON" }];
}

describe("npm run dlq -- inspect", () => {
  it("lists every message with bucket, key, version and what it is, and leaves the DLQ intact", async () => {
    // Prepare
    const seeded = deadLetteredValidationMessages();
    await sendAll(stack.emulator, stack.outputs.ValidationDlqUrl, seeded);
    const { io, stdout } = testIo();

    // Act
    const exitCode = await dlqMain(["inspect", ...stack.args], io);

    // Assess
    expect(exitCode).toBe(0);
    const text = stdout();
    expect(text).toContain("validation DLQ");
    expect(text).toMatch(/reports\/r0\.pdf\s+v0\s+PutObject event\s+1\s+\d+ s/);
    expect(text).toContain("media/clip.mp4");
    expect(text).toContain("pending check #3");
    expect(text).toContain("scans/a+b.tif (+1 more)");
    expect(text).toContain(
      "unreadable: neither a failure report nor an S3 event: the body is not JSON",
    );
    expect(text).toContain(`Released ${seeded.length} of ${seeded.length} messages`);
    // Nothing consumed, nothing left hidden: every message is visible again at once.
    expect(await visibleCount(stack.emulator, stack.outputs.ValidationDlqUrl)).toBe(seeded.length);
    const remaining = await stack.emulator.drain(stack.outputs.ValidationDlqUrl);
    expect(remaining.map((message) => message.Body).sort()).toEqual(
      seeded.map((message) => message.body).sort(),
    );
  });

  it("prints JSON with --json and shows failure-report verdicts from the failure DLQ", async () => {
    // Prepare
    const report = buildFailureReport({
      verdict: "MISMATCH",
      summary: "SHA256 differs",
      category: "documents",
      object: { bucket: PRIMARY, key: "reports/q3.pdf", versionId: "v9" },
      detectedAt: "2025-01-01T00:00:00.000Z",
      attempts: 1,
      source: {},
    });
    await sendAll(stack.emulator, stack.outputs.FailureDlqUrl, [
      {
        body: JSON.stringify(report),
        attributes: toMessageAttributes(reportMessageAttributes(report)),
      },
    ]);
    const { io, stdout } = testIo();

    // Act
    const exitCode = await dlqMain(["inspect", "--queue", "failure", "--json", ...stack.args], io);

    // Assess
    expect(exitCode).toBe(0);
    const result = JSON.parse(stdout()) as InspectResult;
    expect(result.queue.label).toBe("failure DLQ");
    expect(result.messages).toHaveLength(1);
    expect(result.messages[0]).toMatchObject({
      kind: "failure-report",
      verdict: "MISMATCH",
      objects: [{ bucket: PRIMARY, key: "reports/q3.pdf", versionId: "v9" }],
      receiveCount: 1,
      messageAttributes: { verdict: "MISMATCH", severity: "critical", bucket: PRIMARY },
    });
    expect(result.release).toEqual({ released: 1, failures: [] });
    expect(await visibleCount(stack.emulator, stack.outputs.FailureDlqUrl)).toBe(1);
  });

  it("stops at --max and says there is more, still releasing everything it saw", async () => {
    // Prepare
    await sendAll(stack.emulator, stack.outputs.ValidationDlqUrl, deadLetteredValidationMessages());
    const { io, stdout } = testIo();

    // Act
    const exitCode = await dlqMain(["inspect", "--max", "4", ...stack.args], io);

    // Assess
    expect(exitCode).toBe(0);
    expect(stdout()).toContain("Showing the first 4; raise --max to see more.");
    expect(await visibleCount(stack.emulator, stack.outputs.ValidationDlqUrl)).toBe(11);
  });

  it("says the listing is incomplete (exit 1) when another consumer holds messages", async () => {
    // Prepare: 3 messages held elsewhere (a redrive in progress), 2 visible.
    const dlq = stack.outputs.ValidationDlqUrl;
    const seeded = deadLetteredValidationMessages();
    await sendAll(stack.emulator, dlq, seeded.slice(0, 3));
    const held = await holdElsewhere(stack.emulator, dlq, 60);
    await sendAll(stack.emulator, dlq, seeded.slice(3, 5));
    const { io, stdout } = testIo();

    try {
      // Act
      const exitCode = await dlqMain(["inspect", ...stack.args], io);

      // Assess
      expect(exitCode).toBe(1);
      expect(stdout()).toContain("Listing incomplete: scan incomplete: 3 messages not examined");
      expect(stdout()).toContain("Released 2 of 2 messages");
    } finally {
      await releaseHeld(stack.emulator, dlq, held);
    }
    expect(await visibleCount(stack.emulator, dlq)).toBe(5);
  });

  it("says so when the DLQ is empty", async () => {
    const { io, stdout } = testIo();

    expect(await dlqMain(["inspect", ...stack.args], io)).toBe(0);
    expect(stdout()).toContain("No messages received");
  });

  it("names a queue that does not exist, with exit code 3", async () => {
    // Prepare
    const goneUrl = stack.outputs.ValidationDlqUrl.replace(/[^/]+$/, "bv-deleted-dlq");
    const args = await stack.argsWithOutputs("gone.json", {
      ...stack.outputs,
      ValidationDlqUrl: goneUrl,
    });
    const { io, stderr } = testIo();

    // Act
    const exitCode = await dlqMain(["inspect", ...args], io);

    // Assess
    expect(exitCode).toBe(3);
    expect(stderr()).toContain("validation DLQ");
    expect(stderr()).toContain("the queue does not exist");
  });

  it("honours AWS_ENDPOINT_URL alone, even for the emulator's own queue URLs", async () => {
    // Prepare: fauxqs names queues http://sqs.<region>.localhost:<port>/..., a host that does
    // not resolve here; the calls must still go to AWS_ENDPOINT_URL.
    const port = new URL(stack.emulator.endpoint).port;
    const nativeUrl = stack.outputs.ValidationDlqUrl.replace(
      stack.emulator.endpoint,
      `http://sqs.us-east-1.localhost:${port}`,
    );
    await sendAll(stack.emulator, stack.outputs.ValidationDlqUrl, [{ body: "queued" }]);
    const env = { AWS_ENDPOINT_URL: stack.emulator.endpoint };
    vi.stubEnv("AWS_ENDPOINT_URL", stack.emulator.endpoint);
    const args = await stack.argsWithOutputs("native.json", {
      ...stack.outputs,
      ValidationDlqUrl: nativeUrl,
    });
    const { io, stdout } = testIo({ env });

    // Act
    const exitCode = await dlqMain(
      ["inspect", ...args.filter((arg) => arg !== "--endpoint" && arg !== stack.emulator.endpoint)],
      io,
    );
    vi.stubEnv("AWS_ENDPOINT_URL", undefined);

    // Assess
    expect(exitCode).toBe(0);
    expect(stdout()).toContain(
      "unreadable: neither a failure report nor an S3 event: the body is not JSON",
    );
  });

  it("says when the endpoint cannot be reached (exit 3)", async () => {
    const { io, stderr } = testIo();
    const args = stack.args.map((arg) =>
      arg === stack.emulator.endpoint ? "http://127.0.0.1:9" : arg,
    );

    expect(await dlqMain(["inspect", ...args], io)).toBe(3);

    expect(stderr()).toContain(
      "cannot reach the endpoint (Error: connect ECONNREFUSED 127.0.0.1:9)",
    );
  });

  it("refuses outputs of another stage (exit 3) and unknown commands (exit 2)", async () => {
    const wrongStage = testIo();
    expect(
      await dlqMain(
        [
          "inspect",
          "--stage",
          "prod",
          "--endpoint",
          stack.emulator.endpoint,
          "--stack-outputs",
          stack.outputsFile,
        ],
        wrongStage.io,
      ),
    ).toBe(3);
    expect(wrongStage.stderr()).toContain('belongs to stage "test", not "prod"');

    const unknown = testIo();
    expect(await dlqMain(["purge", ...stack.args], unknown.io)).toBe(2);
    expect(unknown.stderr()).toContain('unknown command "purge"');

    const none = testIo();
    expect(await dlqMain([], none.io)).toBe(2);
    expect(none.stderr()).toContain("say what to do: inspect");

    const badQueue = testIo();
    expect(await dlqMain(["inspect", "--queue", "main", ...stack.args], badQueue.io)).toBe(2);
    expect(badQueue.stderr()).toContain("--queue must be validation or failure");
  });

  it("names a missing stack output", async () => {
    const args = await stack.argsWithOutputs("partial.json", { Stage: "test" });
    const { io, stderr } = testIo();

    const exitCode = await dlqMain(["inspect", ...args], io);

    expect(exitCode).toBe(3);
    expect(stderr()).toContain("partial.json has no output ValidationDlqUrl");
  });
});
