import { describe, expect, it } from "vitest";
import { parseBucketPairs } from "../../../shared/config/bucket-pairs.ts";
import { requireArn } from "../../../shared/config/env.ts";
import { ConfigurationError } from "../../../shared/errors.ts";
import { loadValidatorConfig } from "../../../shared/validator/config.ts";

const validEnvironment = {
  BUCKET_PAIRS: JSON.stringify({
    "bv-dev-documents-primary": "bv-dev-documents-replica",
    "bv-dev-media-primary": { replica: "bv-dev-media-replica", category: "media" },
  }),
  REPLICA_REGION: "us-west-2",
  AWS_REGION: "us-east-1",
  FAILURE_QUEUE_URL: "https://sqs.us-east-1.amazonaws.com/111122223333/bv-dev-failures",
  VALIDATION_QUEUE_URL: "https://sqs.us-east-1.amazonaws.com/111122223333/bv-dev-validation",
};

describe("loadValidatorConfig", () => {
  it("reads a complete environment with defaults for optional settings", () => {
    const config = loadValidatorConfig(validEnvironment);
    expect(config).toMatchObject({
      replicaRegion: "us-west-2",
      primaryRegion: "us-east-1",
      replicationDeadlineSeconds: 900,
      retryBaseDelaySeconds: 30,
    });
    expect([...config.bucketPairs.values()]).toEqual([
      {
        primaryBucket: "bv-dev-documents-primary",
        replicaBucket: "bv-dev-documents-replica",
        category: "bv-dev-documents-primary",
      },
      {
        primaryBucket: "bv-dev-media-primary",
        replicaBucket: "bv-dev-media-replica",
        category: "media",
      },
    ]);
  });

  it.each([
    [{ BUCKET_PAIRS: undefined }, "BUCKET_PAIRS: is required"],
    [{ BUCKET_PAIRS: "{oops" }, 'BUCKET_PAIRS: must be a JSON object (got "{oops")'],
    [{ BUCKET_PAIRS: "[]" }, 'BUCKET_PAIRS: must be a JSON object (got "[]")'],
    [{ BUCKET_PAIRS: "{}" }, 'BUCKET_PAIRS: names no bucket pair (got "{}")'],
    [
      { BUCKET_PAIRS: '{"Bad_Name":"ok-name"}' },
      'BUCKET_PAIRS: "Bad_Name" is not a valid S3 bucket name',
    ],
    [
      { BUCKET_PAIRS: '{"same-name":"same-name"}' },
      'BUCKET_PAIRS: "same-name" is paired with itself',
    ],
    [
      { BUCKET_PAIRS: '{"abc-1":{"category":"x"}}' },
      'BUCKET_PAIRS: the value for "abc-1" must be a bucket name',
    ],
    [
      { BUCKET_PAIRS: '{"abc-1":{"replica":"abc-2","category":" "}}' },
      'BUCKET_PAIRS: the value for "abc-1" must be a bucket name',
    ],
    [
      { REPLICA_REGION: "Oregon" },
      'REPLICA_REGION: must be an AWS region such as us-west-2 (got "Oregon")',
    ],
    [{ FAILURE_QUEUE_URL: "failures" }, 'FAILURE_QUEUE_URL: must be a URL (got "failures")'],
    [{ VALIDATION_QUEUE_URL: " " }, "VALIDATION_QUEUE_URL: is required"],
    [
      { REPLICATION_DEADLINE_SECONDS: "15m" },
      'REPLICATION_DEADLINE_SECONDS: must be a whole number (got "15m")',
    ],
    [
      { RETRY_BASE_DELAY_SECONDS: "0" },
      'RETRY_BASE_DELAY_SECONDS: must be between 1 and 900 (got "0")',
    ],
    [
      { RETRY_BASE_DELAY_SECONDS: "901" },
      'RETRY_BASE_DELAY_SECONDS: must be between 1 and 900 (got "901")',
    ],
  ])("rejects %o naming the variable and the value", (change, message) => {
    const attempt = () => loadValidatorConfig({ ...validEnvironment, ...change });
    expect(attempt).toThrow(ConfigurationError);
    expect(attempt).toThrow(message);
  });

  it("truncates very long bad values in the message", () => {
    const attempt = () => parseBucketPairs(`{${"x".repeat(500)}`);
    expect(attempt).toThrow(/…"\)$/);
  });
});

describe("requireArn", () => {
  it("accepts an ARN of the named service only", () => {
    const env = {
      TOPIC: "arn:aws:sns:us-east-1:111122223333:alerts",
      QUEUE: "arn:aws:sqs:us-east-1:1:q",
    };
    expect(requireArn(env, "TOPIC", "sns")).toBe(env.TOPIC);
    expect(() => requireArn(env, "QUEUE", "sns")).toThrow("QUEUE: must be an sns ARN");
  });
});
