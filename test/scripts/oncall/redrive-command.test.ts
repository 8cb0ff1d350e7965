import {
  DeleteMessageBatchCommand,
  type Message,
  ReceiveMessageCommand,
  type ReceiveMessageCommandOutput,
  SendMessageBatchCommand,
  type SendMessageBatchCommandOutput,
} from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type ClientSettings, createAwsClients } from "../../../scripts/oncall/cli.ts";
import {
  type ManualMoveResult,
  moveMessagesManually,
} from "../../../scripts/oncall/move-manual.ts";
import type { SqsApi } from "../../../scripts/oncall/queues.ts";
import { redriveMain } from "../../../scripts/oncall/redrive-command.ts";
import { eventBridgeObjectCreated } from "../../helpers/events.ts";
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

/** n dead-lettered events, each with string and binary message attributes to keep. */
function deadLettered(count: number, bucket = PRIMARY, prefix = "reports/"): TestMessage[] {
  return Array.from({ length: count }, (_, index) => ({
    body: JSON.stringify(eventBridgeObjectCreated({ bucket, key: `${prefix}r${index}.pdf` })),
    attributes: {
      origin: { DataType: "String", StringValue: `event-${bucket}-${index}` },
      sequence: { DataType: "Number", StringValue: String(index) },
      blob: { DataType: "Binary", BinaryValue: new Uint8Array([index, 255 - index]) },
    },
  }));
}

/** Body plus attributes in a comparable form, to prove a message arrived unchanged. */
function fingerprint(message: { Body?: string; MessageAttributes?: Message["MessageAttributes"] }) {
  const attributes = Object.entries(message.MessageAttributes ?? {})
    .map(([name, value]) =>
      [
        name,
        value.DataType,
        value.StringValue ?? Buffer.from(value.BinaryValue ?? []).toString("base64"),
      ].join("="),
    )
    .sort();
  return `${message.Body}|${attributes.join(",")}`;
}

function seededFingerprint(message: TestMessage): string {
  return fingerprint({ Body: message.body, MessageAttributes: message.attributes });
}

/**
 * Real SQS clients on the emulator, with `intercept` given the chance to answer a call
 * instead (a fault the emulator cannot produce); everything else goes through untouched.
 */
function clientsWith(
  intercept: (
    command: unknown,
    send: (command: unknown) => Promise<unknown>,
  ) => Promise<unknown> | undefined,
) {
  return (settings: ClientSettings) => {
    const clients = createAwsClients(settings);
    const realSend = clients.sqs.send.bind(clients.sqs) as (command: unknown) => Promise<unknown>;
    clients.sqs.send = ((command: unknown) =>
      intercept(command, realSend) ?? realSend(command)) as typeof clients.sqs.send;
    return clients;
  };
}

describe("npm run redrive (manual path, on the emulator)", () => {
  it("moves 25 messages back to the source queue with body and attributes intact", async () => {
    // Prepare
    const seeded = deadLettered(25);
    await sendAll(stack.emulator, stack.outputs.ValidationDlqUrl, seeded);
    const { io, stdout, stderr } = testIo();

    // Act
    const exitCode = await redriveMain(["--yes", ...stack.args], io);

    // Assess
    expect(exitCode).toBe(0);
    expect(stdout()).toContain(
      "Moved 25 from the validation DLQ to the validation queue; skipped 0, failed 0, sent but not deleted 0",
    );
    expect(stderr()).toContain("Moving to validation queue: 25/25");
    const arrived = await stack.emulator.drain(stack.outputs.ValidationQueueUrl);
    expect(arrived.map(fingerprint).sort()).toEqual(seeded.map(seededFingerprint).sort());
    expect(await visibleCount(stack.emulator, stack.outputs.ValidationDlqUrl)).toBe(0);
  });

  it("stops at a failed send, deletes only what was delivered and reports the rest", async () => {
    // Prepare: the second SendMessageBatch fails for one entry, as SQS can answer per entry.
    const seeded = deadLettered(25);
    await sendAll(stack.emulator, stack.outputs.ValidationDlqUrl, seeded);
    let sendBatches = 0;
    const createClients = clientsWith((command, send) => {
      if (!(command instanceof SendMessageBatchCommand)) return undefined;
      sendBatches += 1;
      if (sendBatches !== 2) return undefined;
      const [rejected, ...accepted] = command.input.Entries ?? [];
      return (async () => {
        const output = (await send(
          new SendMessageBatchCommand({ ...command.input, Entries: accepted }),
        )) as SendMessageBatchCommandOutput;
        return {
          ...output,
          Failed: [
            { Id: rejected?.Id, Code: "InternalError", SenderFault: false, Message: "injected" },
          ],
        };
      })();
    });
    const { io, stdout } = testIo({ createClients });

    // Act
    const exitCode = await redriveMain(["--yes", "--json", ...stack.args], io);

    // Assess
    expect(exitCode).toBe(1);
    const result = JSON.parse(stdout()) as ManualMoveResult;
    expect(result).toMatchObject({
      moved: 19,
      failed: 1,
      sentNotDeleted: 0,
      stoppedBecause: "sending to the validation queue failed",
    });
    expect(result.failures[0]?.reason).toBe("InternalError: injected");
    // Nothing lost, nothing doubled: 19 arrived, the other 6 are back (visible) in the DLQ.
    const arrived = await stack.emulator.drain(stack.outputs.ValidationQueueUrl);
    expect(await visibleCount(stack.emulator, stack.outputs.ValidationDlqUrl)).toBe(6);
    const left = await stack.emulator.drain(stack.outputs.ValidationDlqUrl);
    expect(arrived).toHaveLength(19);
    expect([...arrived, ...left].map(fingerprint).sort()).toEqual(
      seeded.map(seededFingerprint).sort(),
    );
  });

  it("deletes nothing of a batch whose SendMessageBatch call failed as a whole", async () => {
    // Prepare
    const seeded = deadLettered(15);
    await sendAll(stack.emulator, stack.outputs.ValidationDlqUrl, seeded);
    let sendBatches = 0;
    const createClients = clientsWith((command) => {
      if (!(command instanceof SendMessageBatchCommand)) return undefined;
      sendBatches += 1;
      return sendBatches === 2 ? Promise.reject(new Error("socket hang up")) : undefined;
    });
    const { io, stdout } = testIo({ createClients });

    // Act
    const exitCode = await redriveMain(["--yes", ...stack.args], io);

    // Assess
    expect(exitCode).toBe(1);
    expect(stdout()).toContain(
      "Moved 10 from the validation DLQ to the validation queue; skipped 0, failed 5",
    );
    expect(stdout()).toContain("Error: socket hang up (still in the DLQ)");
    expect(await stack.emulator.drain(stack.outputs.ValidationQueueUrl)).toHaveLength(10);
    expect(await visibleCount(stack.emulator, stack.outputs.ValidationDlqUrl)).toBe(5);
  });

  it("reports a message that was sent but could not be deleted (a duplicate, not a loss)", async () => {
    // Prepare
    await sendAll(stack.emulator, stack.outputs.ValidationDlqUrl, deadLettered(3));
    const createClients = clientsWith((command, send) => {
      if (!(command instanceof DeleteMessageBatchCommand)) return undefined;
      const [kept, ...deleted] = command.input.Entries ?? [];
      return (async () => {
        const output = (await send(
          new DeleteMessageBatchCommand({ ...command.input, Entries: deleted }),
        )) as object;
        return {
          ...output,
          Failed: [{ Id: kept?.Id, Code: "ReceiptHandleIsInvalid", SenderFault: true }],
        };
      })();
    });
    const { io, stdout } = testIo({ createClients });

    // Act
    const exitCode = await redriveMain(["--yes", ...stack.args], io);

    // Assess
    expect(exitCode).toBe(1);
    expect(stdout()).toContain(
      "Moved 2 from the validation DLQ to the validation queue; skipped 0, failed 0, sent but not deleted 1",
    );
    expect(stdout()).toMatch(
      /sent as \S+ but not deleted \S+: ReceiptHandleIsInvalid \(the DLQ copy is a duplicate\)/,
    );
    expect(await stack.emulator.drain(stack.outputs.ValidationQueueUrl)).toHaveLength(3);
    expect(await visibleCount(stack.emulator, stack.outputs.ValidationDlqUrl)).toBe(1);
  });

  it("--filter moves exactly the messages about that bucket/prefix", async () => {
    // Prepare
    const wanted = deadLettered(7, PRIMARY, "reports/2025/");
    const others = [
      ...deadLettered(6, PRIMARY, "media/"),
      ...deadLettered(5, "oncall-other-primary"),
    ];
    await sendAll(stack.emulator, stack.outputs.ValidationDlqUrl, [
      ...others.slice(0, 4),
      ...wanted,
      ...others.slice(4),
    ]);
    await sendAll(stack.emulator, stack.outputs.ValidationDlqUrl, [{ body: "not JSON" }]);
    const { io, stdout } = testIo();

    // Act
    const exitCode = await redriveMain(
      ["--yes", "--filter", `s3://${PRIMARY}/reports/`, ...stack.args],
      io,
    );

    // Assess
    expect(exitCode).toBe(0);
    expect(stdout()).toContain(
      "Moved 7 from the validation DLQ to the validation queue; skipped 12, failed 0",
    );
    const arrived = await stack.emulator.drain(stack.outputs.ValidationQueueUrl);
    expect(arrived.map(fingerprint).sort()).toEqual(wanted.map(seededFingerprint).sort());
    expect(await visibleCount(stack.emulator, stack.outputs.ValidationDlqUrl)).toBe(12);
  });

  it("--filter over a long scan renews holds, examines each message once and moves every match", async () => {
    // Prepare: the 5 matching messages are held by another consumer for 3 s, longer than
    // the scan's 2 s hold, so the scan has to outlast its own holds to reach them.
    const dlq = stack.outputs.ValidationDlqUrl;
    const wanted = deadLettered(5, PRIMARY, "reports/2025/");
    const others = deadLettered(12, PRIMARY, "media/");
    await sendAll(stack.emulator, dlq, wanted);
    expect(await holdElsewhere(stack.emulator, dlq, 3)).toHaveLength(5);
    await sendAll(stack.emulator, dlq, others);
    const received: string[] = [];
    const sqs: SqsApi = {
      send: (async (command: ReceiveMessageCommand) => {
        const output = (await stack.emulator.sqs.send(command)) as ReceiveMessageCommandOutput;
        if (command instanceof ReceiveMessageCommand) {
          for (const message of output.Messages ?? []) received.push(message.MessageId ?? "");
        }
        return output;
      }) as SqsApi["send"],
    };

    // Act
    const result = await moveMessagesManually(sqs, {
      from: { label: "validation DLQ", url: dlq },
      to: { label: "validation queue", url: stack.outputs.ValidationQueueUrl },
      filter: `${PRIMARY}/reports/`,
      dryRun: false,
      holdSeconds: 2,
      waitTimeSeconds: 0,
      settleSeconds: 10,
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      now: () => new Date(),
    });

    // Assess
    expect(result).toMatchObject({ moved: 5, skipped: 12, failed: 0, scanned: 17 });
    expect(result.stoppedBecause).toBeUndefined();
    // The skipped messages' holds were renewed: none came back and was received twice.
    expect(received).toHaveLength(17);
    expect(new Set(received).size).toBe(17);
    const arrived = await stack.emulator.drain(stack.outputs.ValidationQueueUrl);
    expect(arrived.map(fingerprint).sort()).toEqual(wanted.map(seededFingerprint).sort());
    expect(await visibleCount(stack.emulator, dlq)).toBe(12);
  });

  it("--filter exits 1 with 'scan incomplete' when the DLQ holds messages it cannot examine", async () => {
    // Prepare: 2 matching messages held elsewhere for a minute, 3 others visible.
    const dlq = stack.outputs.ValidationDlqUrl;
    await sendAll(stack.emulator, dlq, deadLettered(2, PRIMARY, "reports/"));
    const heldElsewhere = await holdElsewhere(stack.emulator, dlq, 60);
    await sendAll(stack.emulator, dlq, deadLettered(3, PRIMARY, "media/"));
    const { io, stdout } = testIo();

    try {
      // Act
      const exitCode = await redriveMain(
        ["--yes", "--filter", `${PRIMARY}/reports/`, ...stack.args],
        io,
      );

      // Assess
      expect(exitCode).toBe(1);
      expect(stdout()).toContain(
        "Moved 0 from the validation DLQ to the validation queue; skipped 3, failed 0",
      );
      expect(stdout()).toContain("Stopped early: scan incomplete: 2 messages not examined");
      expect(stdout()).toContain("2 in flight held by another consumer");
      expect(await visibleCount(stack.emulator, stack.outputs.ValidationQueueUrl)).toBe(0);
    } finally {
      await releaseHeld(stack.emulator, dlq, heldElsewhere);
    }
    expect(await visibleCount(stack.emulator, dlq)).toBe(5);
  });

  it("--filter also takes a key prefix alone, and --max caps the move", async () => {
    // Prepare
    await sendAll(stack.emulator, stack.outputs.ValidationDlqUrl, [
      ...deadLettered(6, PRIMARY, "media/"),
      ...deadLettered(6, PRIMARY, "reports/"),
    ]);
    const { io } = testIo();

    // Act
    const exitCode = await redriveMain(
      ["--yes", "--filter", "media/", "--max", "4", ...stack.args],
      io,
    );

    // Assess
    expect(exitCode).toBe(0);
    const arrived = await stack.emulator.drain(stack.outputs.ValidationQueueUrl);
    expect(arrived).toHaveLength(4);
    for (const message of arrived) expect(message.Body).toContain('"key":"media/');
    expect(await visibleCount(stack.emulator, stack.outputs.ValidationDlqUrl)).toBe(8);
  });

  it("--max N moves exactly N", async () => {
    await sendAll(stack.emulator, stack.outputs.ValidationDlqUrl, deadLettered(25));
    const { io } = testIo();

    expect(await redriveMain(["--yes", "--max", "13", ...stack.args], io)).toBe(0);

    expect(await stack.emulator.drain(stack.outputs.ValidationQueueUrl)).toHaveLength(13);
    expect(await visibleCount(stack.emulator, stack.outputs.ValidationDlqUrl)).toBe(12);
  });

  it("--dry-run lists what would move and moves nothing", async () => {
    // Prepare
    const seeded = deadLettered(12);
    await sendAll(stack.emulator, stack.outputs.ValidationDlqUrl, seeded);
    const { io, stdout } = testIo();

    // Act: no --yes needed, and stdin is not a terminal
    const exitCode = await redriveMain(["--dry-run", "--max", "5", ...stack.args], io);

    // Assess
    expect(exitCode).toBe(0);
    expect(stdout()).toContain("reports/r0.pdf");
    expect(stdout()).toContain("Dry run: would move 5 to the validation queue");
    expect(stdout()).toContain("Nothing was sent or deleted.");
    expect(await visibleCount(stack.emulator, stack.outputs.ValidationQueueUrl)).toBe(0);
    const left = await stack.emulator.drain(stack.outputs.ValidationDlqUrl);
    expect(left.map(fingerprint).sort()).toEqual(seeded.map(seededFingerprint).sort());
  });

  it("--to failure sends validation-DLQ messages to the failure queue", async () => {
    const seeded = deadLettered(3);
    await sendAll(stack.emulator, stack.outputs.ValidationDlqUrl, seeded);
    const { io, stdout } = testIo();

    expect(await redriveMain(["--yes", "--to", "failure", ...stack.args], io)).toBe(0);

    expect(stdout()).toContain("to the failure queue");
    const arrived = await stack.emulator.drain(stack.outputs.FailureQueueUrl);
    expect(arrived.map(fingerprint).sort()).toEqual(seeded.map(seededFingerprint).sort());
  });

  it("--to <ARN> looks the queue up and moves there; the DLQ itself is refused", async () => {
    await sendAll(stack.emulator, stack.outputs.FailureDlqUrl, deadLettered(2));
    const toArn = testIo();
    expect(
      await redriveMain(
        ["--yes", "--queue", "failure", "--to", stack.outputs.ValidationQueueArn, ...stack.args],
        toArn.io,
      ),
    ).toBe(0);
    expect(await stack.emulator.drain(stack.outputs.ValidationQueueUrl)).toHaveLength(2);

    const self = testIo();
    expect(
      await redriveMain(["--yes", "--to", stack.outputs.ValidationDlqArn, ...stack.args], self.io),
    ).toBe(2);
    expect(self.stderr()).toContain("--to names the validation DLQ itself");
  });

  it("refuses to move without --yes when stdin is not a terminal", async () => {
    await sendAll(stack.emulator, stack.outputs.ValidationDlqUrl, deadLettered(2));
    const { io, stderr } = testIo();

    expect(await redriveMain(stack.args, io)).toBe(2);

    expect(stderr()).toContain("refusing to move messages without --yes");
    expect(await visibleCount(stack.emulator, stack.outputs.ValidationDlqUrl)).toBe(2);
  });

  it("asks on a terminal: no moves nothing, yes moves, with a progress bar", async () => {
    await sendAll(stack.emulator, stack.outputs.ValidationDlqUrl, deadLettered(4));

    const declined = testIo({ tty: true, input: "n\n" });
    expect(await redriveMain(stack.args, declined.io)).toBe(2);
    expect(declined.stderr()).toContain(
      "Move all messages from the validation DLQ (about 4 visible) to the validation queue? [y/N]",
    );
    expect(declined.stderr()).toContain("Nothing moved.");
    expect(await visibleCount(stack.emulator, stack.outputs.ValidationDlqUrl)).toBe(4);

    const accepted = testIo({ tty: true, input: "yes\n" });
    expect(await redriveMain(stack.args, accepted.io)).toBe(0);
    expect(accepted.stderr()).toMatch(
      /Moving to validation queue \[[█░]+\] 4\/4 moved 4, skipped 0/,
    );
    expect(await stack.emulator.drain(stack.outputs.ValidationQueueUrl)).toHaveLength(4);
  });

  it("stops between batches when interrupted and releases what it holds", async () => {
    await sendAll(stack.emulator, stack.outputs.ValidationDlqUrl, deadLettered(5));
    const controller = new AbortController();
    controller.abort();
    const { io, stdout } = testIo({ signal: controller.signal });

    expect(await redriveMain(["--yes", ...stack.args], io)).toBe(1);

    expect(stdout()).toContain("Stopped early: interrupted.");
    expect(await visibleCount(stack.emulator, stack.outputs.ValidationDlqUrl)).toBe(5);
  });

  it("rejects bad arguments with exit code 2", async () => {
    for (const [args, message] of [
      [["--max", "0"], "--max must be a whole number >= 1"],
      [["--max", "ten"], "--max must be a whole number >= 1"],
      [["--rate", "600"], "--rate must be at most 500"],
      [["--to", "elsewhere"], "--to must be source, failure or an SQS queue ARN"],
      [["--filter", " "], "--filter must not be empty"],
      [["stray"], 'unexpected "stray"'],
      [["--region", "Mars"], "--region: must be an AWS region"],
      [["--stage", "a b"], "--stage: must be 1-64 lowercase letters, digits and hyphens"],
      [["--endpoint", "not a url"], "--endpoint-url must be a URL"],
    ] as const) {
      const { io, stderr } = testIo();
      expect(await redriveMain([...stack.args, ...args], io)).toBe(2);
      expect(stderr()).toContain(message);
    }
  });
});
