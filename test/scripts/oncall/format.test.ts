import { describe, expect, it } from "vitest";
import { describeMessage, matchesFilter } from "../../../scripts/oncall/queues.ts";
import { asEventKey, parseS3Uri } from "../../../scripts/oncall/verify-command.ts";
import { decodeEventKey } from "../../../shared/events/keys.ts";
import { s3Notification } from "../../helpers/events.ts";

describe("on-call formatting helpers", () => {
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
