import { describe, expect, it } from "vitest";
import { createRequestGate, isThrottle } from "../../../scripts/oncall/request-gate.ts";

describe("the audit's request gate", () => {
  it("keeps at most the limit in flight", async () => {
    // Prepare
    const gate = createRequestGate(3);
    let inFlight = 0;
    let most = 0;
    const request = async () => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 5));
      inFlight -= 1;
    };

    // Act
    await Promise.all(Array.from({ length: 10 }, () => gate.run(request)));

    // Assess
    expect(most).toBe(3);
  });

  it("halves its limit on a throttle, once per second, and raises it again while none comes", async () => {
    // Prepare
    let now = 0;
    const gate = createRequestGate(16, () => now);

    // Act + Assess
    gate.throttled();
    gate.throttled(); // the same burst
    expect(gate.limit).toBe(8);
    now = 1_500;
    gate.throttled();
    expect(gate.limit).toBe(4);
    for (let index = 0; index < 4; index += 1) await gate.run(async () => undefined);
    expect(gate.limit).toBe(5);
    expect(gate.lowest).toBe(4);
    expect(gate.throttles).toBe(3);
    for (let second = 2; second < 10; second += 1) {
      now = second * 1_000;
      gate.throttled();
    }
    expect(gate.limit).toBe(1);
  });

  it("knows S3's throttling answers", () => {
    expect(isThrottle({ name: "SlowDown", $metadata: { httpStatusCode: 503 } })).toBe(true);
    expect(isThrottle({ name: "Unknown", $metadata: { httpStatusCode: 503 } })).toBe(true);
    expect(isThrottle({ name: "ThrottlingException", $metadata: { httpStatusCode: 400 } })).toBe(
      true,
    );
    expect(isThrottle({ name: "NoSuchKey", $metadata: { httpStatusCode: 404 } })).toBe(false);
    expect(isThrottle("SlowDown")).toBe(false);
  });
});
