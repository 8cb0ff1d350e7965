import { describe, expect, it } from "vitest";
import { nextCheckDelaySeconds } from "../../../shared/validator/retry.ts";

const base = { baseDelaySeconds: 30, replicationDeadlineSeconds: 900 };

describe("nextCheckDelaySeconds", () => {
  it("doubles from the base delay: 30 s, 1 min, 2 min, 4 min, 8 min", () => {
    expect([1, 2, 3, 4, 5].map((attempt) => nextCheckDelaySeconds({ ...base, attempt }))).toEqual([
      30, 60, 120, 240, 480,
    ]);
  });

  it("never exceeds SQS's 15-minute message delay", () => {
    expect(nextCheckDelaySeconds({ ...base, attempt: 6 })).toBe(900);
    expect(nextCheckDelaySeconds({ ...base, attempt: 200 })).toBe(900);
  });

  it("checks again just after the deadline instead of far past it", () => {
    expect(nextCheckDelaySeconds({ ...base, attempt: 5, objectAgeSeconds: 800 })).toBe(101);
  });

  it("waits at least the base delay when the deadline is close", () => {
    expect(nextCheckDelaySeconds({ ...base, attempt: 5, objectAgeSeconds: 899 })).toBe(30);
  });

  it("scales with a short base delay (local runs)", () => {
    expect(
      [1, 2, 3].map((attempt) =>
        nextCheckDelaySeconds({ ...base, baseDelaySeconds: 1, attempt, objectAgeSeconds: 1 }),
      ),
    ).toEqual([1, 2, 4]);
  });
});
