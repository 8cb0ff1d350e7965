import { describe, expect, it } from "vitest";
import { parseBucketPairs } from "../../../shared/contracts/bucket-pairs.ts";
import {
  auditStarterEnvironment,
  auditWorkerEnvironment,
  DEFAULT_SDK_REQUEST_TIMEOUT_MS,
  deepVerificationValues,
  loadAuditStarterConfig,
  loadAuditWorkerConfig,
  loadNotifierConfig,
  loadValidatorConfig,
  notifierEnvironment,
  validatorEnvironment,
} from "../../../shared/contracts/environment.ts";
import { ConfigurationError } from "../../../shared/errors.ts";

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
      deepVerification: { maxBytes: 1024 ** 3, read: "primary", concurrency: 8 },
      sdkRequestTimeoutMs: DEFAULT_SDK_REQUEST_TIMEOUT_MS,
    });
    expect(
      loadValidatorConfig({ ...validEnvironment, SDK_REQUEST_TIMEOUT_MS: "2000" }),
    ).toMatchObject({ sdkRequestTimeoutMs: 2000 });
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
    [
      { FAILURE_QUEUE_URL: "failures" },
      'FAILURE_QUEUE_URL: must be an SQS queue URL (got "failures")',
    ],
    // The dangerous combinations: each must stop the function at cold start.
    [
      { FAILURE_QUEUE_URL: validEnvironment.VALIDATION_QUEUE_URL },
      "FAILURE_QUEUE_URL: must not be the validation queue (VALIDATION_QUEUE_URL)",
    ],
    [
      { FAILURE_QUEUE_URL: "arn:aws:sqs:us-east-1:111122223333:bv-dev-failures" },
      "FAILURE_QUEUE_URL: must be the queue's URL (https://sqs.<region>.amazonaws.com/<account>/<name>), not its ARN",
    ],
    [
      { REPLICA_REGION: "us-east-1" },
      'REPLICA_REGION: must differ from the function\'s own region AWS_REGION (Cross-Region Replication) (got "us-east-1")',
    ],
    [
      { REPLICA_REGION: "us-west-9" },
      'REPLICA_REGION: is not a region S3 knows (the regions of the AWS SDK this version is built with) (got "us-west-9")',
    ],
    [
      { BUCKET_PAIRS: '{"bucket-a":"bucket-b","bucket-b":"bucket-a"}' },
      'BUCKET_PAIRS: "bucket-b" is the replica of "bucket-a" and a primary too',
    ],
    [
      { BUCKET_PAIRS: '{"bucket-a":"bucket-b","bucket-b":"bucket-c"}' },
      'BUCKET_PAIRS: "bucket-b" is the replica of "bucket-a" and a primary too',
    ],
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
    [{ DEEP_VERIFY_MAX_BYTES: "1GB" }, 'DEEP_VERIFY_MAX_BYTES: must be a whole number (got "1GB")'],
    [
      { DEEP_VERIFY_MAX_BYTES: "5497558138881" },
      'DEEP_VERIFY_MAX_BYTES: must be between 0 and 5497558138880 (got "5497558138881")',
    ],
    [
      { SDK_REQUEST_TIMEOUT_MS: "99" },
      'SDK_REQUEST_TIMEOUT_MS: must be between 100 and 60000 (got "99")',
    ],
    [
      { DEEP_VERIFY_READ: "both" },
      'DEEP_VERIFY_READ: must be one of primary, replica (got "both")',
    ],
    [
      { DEEP_VERIFY_CONCURRENCY: "0" },
      'DEEP_VERIFY_CONCURRENCY: must be between 1 and 64 (got "0")',
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

describe("loadNotifierConfig", () => {
  const valid = {
    ALERT_TOPIC_ARN: "arn:aws:sns:us-east-1:111122223333:alerts",
    STAGE: "prod",
    ALERTS_SENT_TABLE: "backup-validator-prod-alerts-sent",
  };

  it("reads the topic, the stage and the alerts-sent table; a day's window, no chat JSON by default", () => {
    expect(loadNotifierConfig(valid)).toEqual({
      alertTopicArn: "arn:aws:sns:us-east-1:111122223333:alerts",
      stage: "prod",
      alertsSentTable: "backup-validator-prod-alerts-sent",
      deduplicationWindowSeconds: 86_400,
      chatNotifications: false,
      sdkRequestTimeoutMs: DEFAULT_SDK_REQUEST_TIMEOUT_MS,
    });
  });

  it("reads the window and the chat switch", () => {
    expect(
      loadNotifierConfig({
        ...valid,
        ALERT_DEDUPLICATION_WINDOW_SECONDS: "3600",
        CHAT_NOTIFICATIONS: "true",
      }),
    ).toMatchObject({ deduplicationWindowSeconds: 3600, chatNotifications: true });
  });

  it.each([
    [{ ALERT_TOPIC_ARN: undefined }, "ALERT_TOPIC_ARN: is required"],
    [
      { ALERT_TOPIC_ARN: "arn:aws:sqs:us-east-1:111122223333:alerts" },
      "ALERT_TOPIC_ARN: must be an SNS topic ARN",
    ],
    [{ STAGE: undefined }, "STAGE: is required"],
    [{ ALERTS_SENT_TABLE: undefined }, "ALERTS_SENT_TABLE: is required"],
    [
      { ALERTS_SENT_TABLE: "a b" },
      'ALERTS_SENT_TABLE: must be a DynamoDB table name (3-255 letters, digits, _ . -) (got "a b")',
    ],
    [
      { ALERT_DEDUPLICATION_WINDOW_SECONDS: "5" },
      "ALERT_DEDUPLICATION_WINDOW_SECONDS: must be between 60 and 604800",
    ],
    [{ CHAT_NOTIFICATIONS: "yes" }, 'CHAT_NOTIFICATIONS: must be true or false (got "yes")'],
    // The same rule as the stacks': stages become part of bucket names.
    [
      { STAGE: "Prod" },
      'STAGE: must be 1-64 lowercase letters, digits and hyphens, not starting with a hyphen (got "Prod")',
    ],
  ])("rejects %o naming the variable and the value", (change, message) => {
    expect(() => loadNotifierConfig({ ...valid, ...change })).toThrow(message);
  });
});

describe("loadAuditWorkerConfig", () => {
  const { VALIDATION_QUEUE_URL: _none, ...workerEnvironment } = validEnvironment;

  it("reads the validator's variables, without a validation queue", () => {
    // Act
    const config = loadAuditWorkerConfig(workerEnvironment);

    // Assess
    expect(config).toMatchObject({
      replicaRegion: "us-west-2",
      primaryRegion: "us-east-1",
      failureQueueUrl: validEnvironment.FAILURE_QUEUE_URL,
      replicationDeadlineSeconds: 900,
      deepVerification: { maxBytes: 1024 ** 3, read: "primary", concurrency: 8 },
    });
    expect(config).not.toHaveProperty("validationQueueUrl");
    expect(config.bucketPairs.size).toBe(2);
  });

  it.each([
    [{ FAILURE_QUEUE_URL: undefined }, "FAILURE_QUEUE_URL: is required"],
    [{ REPLICA_REGION: "us-east-1" }, "REPLICA_REGION: must differ from the function's own region"],
    [{ DEEP_VERIFY_READ: "both" }, "DEEP_VERIFY_READ: must be one of primary, replica"],
  ])("refuses %j", (override, message) => {
    expect(() => loadAuditWorkerConfig({ ...workerEnvironment, ...override })).toThrow(message);
  });
});

describe("loadAuditStarterConfig", () => {
  const starterEnvironment = {
    STAGE: "dev",
    BUCKET_PAIRS: validEnvironment.BUCKET_PAIRS,
    INVENTORY_BUCKET: "backup-validator-inventory-dev-111122223333-us-east-1",
    AUDIT_WORKER_ARN:
      "arn:aws:lambda:us-east-1:111122223333:function:backup-validator-dev-audit-worker",
    AUDIT_JOB_ROLE_ARN: "arn:aws:iam::111122223333:role/backup-validator-dev-AuditJobRole-X1",
    AWS_REGION: "us-east-1",
  };

  it("reads the job's settings; account and partition come from the worker's ARN", () => {
    expect(loadAuditStarterConfig(starterEnvironment)).toMatchObject({
      stage: "dev",
      inventoryBucket: starterEnvironment.INVENTORY_BUCKET,
      accountId: "111122223333",
      partition: "aws",
      jobRoleArn: starterEnvironment.AUDIT_JOB_ROLE_ARN,
      jobPriority: 10,
      maxInventoryAgeHours: 72,
      region: "us-east-1",
      sdkRequestTimeoutMs: DEFAULT_SDK_REQUEST_TIMEOUT_MS,
    });
    expect(
      loadAuditStarterConfig({
        ...starterEnvironment,
        AUDIT_WORKER_ARN: "arn:aws-cn:lambda:cn-north-1:111122223333:function:worker",
        AUDIT_JOB_PRIORITY: "0",
      }),
    ).toMatchObject({ partition: "aws-cn", jobPriority: 0 });
  });

  it.each([
    [{ STAGE: undefined }, "STAGE: is required"],
    [{ INVENTORY_BUCKET: "Inventory_Bucket" }, "INVENTORY_BUCKET: must be 3-63 lowercase letters"],
    [
      { AUDIT_WORKER_ARN: "arn:aws:lambda:us-east-1:111122223333:function:worker:live" },
      "AUDIT_WORKER_ARN: must be a Lambda function ARN",
    ],
    [
      { AUDIT_WORKER_ARN: "backup-validator-dev-audit-worker" },
      "AUDIT_WORKER_ARN: must be a Lambda function ARN",
    ],
    [
      { AUDIT_JOB_ROLE_ARN: "arn:aws:iam::111122223333:policy/x" },
      "AUDIT_JOB_ROLE_ARN: must be an IAM role ARN",
    ],
    [{ AUDIT_JOB_PRIORITY: "-1" }, "AUDIT_JOB_PRIORITY: must be a whole number"],
    [{ MAX_INVENTORY_AGE_HOURS: "12" }, "MAX_INVENTORY_AGE_HOURS: must be between 25 and 8760"],
  ])("refuses %j", (override, message) => {
    expect(() => loadAuditStarterConfig({ ...starterEnvironment, ...override })).toThrow(message);
  });

  it("is what the builder writes", () => {
    // Prepare
    const environment = auditStarterEnvironment({
      stage: "prod",
      bucketPairs: validEnvironment.BUCKET_PAIRS,
      inventoryBucket: starterEnvironment.INVENTORY_BUCKET,
      workerFunctionArn: starterEnvironment.AUDIT_WORKER_ARN,
      jobRoleArn: starterEnvironment.AUDIT_JOB_ROLE_ARN,
      jobPriority: "42",
      maxInventoryAgeHours: "48",
    });

    // Act
    const config = loadAuditStarterConfig(environment);

    // Assess
    expect(config).toMatchObject({ stage: "prod", jobPriority: 42, maxInventoryAgeHours: 48 });
    expect(
      loadAuditWorkerConfig({
        ...auditWorkerEnvironment({
          bucketPairs: validEnvironment.BUCKET_PAIRS,
          replicaRegion: "eu-west-1",
          failureQueueUrl: validEnvironment.FAILURE_QUEUE_URL,
          stage: "prod",
        }),
        AWS_REGION: "us-east-1",
      }),
    ).toMatchObject({ replicaRegion: "eu-west-1", stage: "prod" });
  });
});

describe("the environment builders", () => {
  it("write exactly the variables the loaders read", () => {
    // Prepare
    const validator = validatorEnvironment({
      bucketPairs: validEnvironment.BUCKET_PAIRS,
      replicaRegion: "eu-west-1",
      failureQueueUrl: validEnvironment.FAILURE_QUEUE_URL,
      validationQueueUrl: validEnvironment.VALIDATION_QUEUE_URL,
      replicationDeadlineSeconds: "60",
      retryBaseDelaySeconds: "2",
      ...deepVerificationValues({ maxBytes: 0, read: "replica", concurrency: 3 }),
      stage: "dev",
    });
    const notifier = notifierEnvironment({
      alertTopicArn: "arn:aws:sns:us-east-1:111122223333:alerts",
      stage: "dev",
      alertsSentTable: "backup-validator-dev-alerts-sent",
    });

    // Act
    const validatorConfig = loadValidatorConfig(validator);
    const notifierConfig = loadNotifierConfig(notifier);

    // Assess
    expect(validatorConfig).toMatchObject({
      replicaRegion: "eu-west-1",
      replicationDeadlineSeconds: 60,
      retryBaseDelaySeconds: 2,
      deepVerification: { maxBytes: 0, read: "replica", concurrency: 3 },
      stage: "dev",
    });
    expect(validatorConfig.bucketPairs.size).toBe(2);
    expect(notifierConfig.stage).toBe("dev");
  });

  it("leave out optional variables that are not given", () => {
    const environment = validatorEnvironment({
      bucketPairs: "{}",
      replicaRegion: "r",
      failureQueueUrl: "f",
      validationQueueUrl: "v",
    });
    expect(Object.keys(environment).sort()).toEqual([
      "BUCKET_PAIRS",
      "FAILURE_QUEUE_URL",
      "REPLICA_REGION",
      "VALIDATION_QUEUE_URL",
    ]);
  });
});
