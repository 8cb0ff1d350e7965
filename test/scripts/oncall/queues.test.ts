import { describe, expect, it } from "vitest";
import { describeMessage, matchesFilter } from "../../../scripts/oncall/queues.ts";
import { s3Notification } from "../../helpers/events.ts";

describe("what a queued message is about", () => {
  it("matches --filter on bucket/key, key alone and URL-decoded keys", () => {
    const message = describeMessage(
      {
        MessageId: "m1",
        Body: JSON.stringify(s3Notification([{ bucket: "docs-a", key: "q3+report.pdf" }])),
      },
      new Date(),
    );
    expect(matchesFilter(message, "docs-a")).toBe(true);
    expect(matchesFilter(message, "s3://docs-a/q3 rep")).toBe(true);
    expect(matchesFilter(message, "q3+")).toBe(true);
    expect(matchesFilter(message, "docs-b")).toBe(false);
    expect(
      matchesFilter(describeMessage({ MessageId: "m2", Body: "{}" }, new Date()), "docs-a"),
    ).toBe(false);
  });

  it("describes ignored bodies and messages without system attributes", () => {
    const described = describeMessage(
      { MessageId: "m3", Body: '{"Event":"s3:TestEvent"}' },
      new Date(),
    );
    expect(described).toEqual({
      messageId: "m3",
      kind: "ignored",
      objects: [],
      note: "not validated: s3:TestEvent (sent when a notification is configured)",
    });
  });
});
