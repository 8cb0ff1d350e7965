import { describe, expect, it } from "vitest";
import { verifyCommand } from "../../../shared/notifier/commands.ts";
import {
  parseArn,
  s3ObjectConsoleUrl,
  sqsQueueConsoleUrl,
} from "../../../shared/notifier/links.ts";

describe("on-call commands quoted in alerts", () => {
  it("verifyCommand quotes the URI and the version id", () => {
    expect(
      verifyCommand("prod", { bucket: "b-primary", key: "my $file.txt", versionId: "v 1" }),
    ).toBe("npm run verify -- 's3://b-primary/my $file.txt' --version-id 'v 1' --stage prod");
  });
});

describe("console links", () => {
  it("links an object with its key, version and region encoded", () => {
    expect(s3ObjectConsoleUrl("b", "dir/a b+c.txt", "us-west-2", "v+1")).toBe(
      "https://us-west-2.console.aws.amazon.com/s3/object/b?region=us-west-2&bucketType=general&prefix=dir%2Fa%20b%2Bc.txt&versionId=v%2B1",
    );
  });

  it("uses each partition's console", () => {
    expect(s3ObjectConsoleUrl("b", "k", "cn-north-1")).toBe(
      "https://console.amazonaws.cn/s3/object/b?region=cn-north-1&bucketType=general&prefix=k",
    );
    expect(sqsQueueConsoleUrl("arn:aws-us-gov:sqs:us-gov-west-1:111122223333:q")).toBe(
      "https://console.amazonaws-us-gov.com/sqs/v3/home?region=us-gov-west-1#/queues/https%3A%2F%2Fsqs.us-gov-west-1.amazonaws.com%2F111122223333%2Fq",
    );
    expect(sqsQueueConsoleUrl("arn:aws-cn:sqs:cn-north-1:111122223333:q")).toContain(
      "https%3A%2F%2Fsqs.cn-north-1.amazonaws.com.cn%2F111122223333%2Fq",
    );
  });

  it("gives no queue link for a missing or non-SQS ARN", () => {
    expect(sqsQueueConsoleUrl(undefined)).toBeUndefined();
    expect(sqsQueueConsoleUrl("arn:aws:sns:us-east-1:111122223333:topic")).toBeUndefined();
    expect(parseArn("not-an-arn")).toBeUndefined();
  });
});
