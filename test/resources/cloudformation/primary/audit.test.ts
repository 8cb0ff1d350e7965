/**
 * The scheduled audit's resources on the packaged primary stack: the inventory bucket and its
 * policy, S3 Inventory on every primary bucket, the schedule (on by default, another expression,
 * off), the roles of the schedule, the starter, the worker and the Batch Operations job, the
 * functions' environment (read back with the functions' own parsers), keys, alarms, outputs.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { resourceNames, settings } from "../../../../resources/settings.ts";
import {
  loadAuditStarterConfig,
  loadAuditWorkerConfig,
} from "../../../../shared/contracts/environment.ts";
import {
  ACCOUNT_ID,
  KMS_VARIANT,
  packaged,
  resolveSub,
  resource,
  resourcesOfType,
  type Template,
} from "../../../helpers/packaged.ts";

const REGION = "us-east-1";
const names = resourceNames("dev", { accountId: ACCOUNT_ID });
const kmsNames = resourceNames("dev", {
  accountId: ACCOUNT_ID,
  categories: ["documents", "media", "databases", "ledgers"],
});
const DAILY = "rate(1 day)";

let t: Template;
let kms: Template;
let off: Template;
let daily: Template;

beforeAll(async () => {
  const [sseS3, sseKms, scheduleOff, scheduleDaily] = await Promise.all([
    packaged(),
    packaged(KMS_VARIANT),
    packaged(["auditSchedule=off"]),
    packaged([`auditSchedule=${DAILY}`]),
  ]);
  t = sseS3.primary;
  kms = sseKms.primary;
  off = scheduleOff.primary;
  daily = scheduleDaily.primary;
}, 240_000);

const sub = (value: unknown) => resolveSub(value, REGION);
const statementsOf = (template: Template, roleId: string) =>
  resource(template, roleId).Properties.Policies[0].PolicyDocument.Statement as {
    Sid: string;
    Action: string | string[];
    Resource: unknown;
    Condition?: Record<string, Record<string, unknown>>;
  }[];
const functionNamed = (template: Template, name: string) => {
  const found = resourcesOfType(template, "AWS::Lambda::Function").find(
    ([, fn]) => fn.Properties.FunctionName === name,
  );
  if (found === undefined) throw new Error(`${name} not packaged`);
  return found[1].Properties;
};
/** A function's environment as the deployed function would see it (Fn::Sub evaluated). */
const environmentOf = (template: Template, name: string, refs: Record<string, string> = {}) =>
  Object.fromEntries(
    Object.entries(functionNamed(template, name).Environment.Variables).map(([key, value]) => {
      const ref = (value as { Ref?: string; "Fn::GetAtt"?: [string] }) ?? {};
      const target = ref.Ref ?? ref["Fn::GetAtt"]?.[0];
      return [key, target === undefined ? sub(value) : (refs[target] ?? target)];
    }),
  );
const inventory = `arn:aws:s3:::${names.inventoryBucket}`;

describe("inventory bucket", () => {
  it("is versioned, private, owner-enforced, logged, retained, SSE-S3 by default", () => {
    // Prepare
    const bucket = resource(t, "InventoryBucket");

    // Assess
    expect(sub(bucket.Properties.BucketName)).toBe(names.inventoryBucket);
    expect(bucket.DeletionPolicy).toBe("Retain");
    expect(bucket.Properties).toMatchObject({
      VersioningConfiguration: { Status: "Enabled" },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      OwnershipControls: { Rules: [{ ObjectOwnership: "BucketOwnerEnforced" }] },
      LoggingConfiguration: {
        DestinationBucketName: { Ref: "AccessLogsBucket" },
        LogFilePrefix: "inventory-bucket/",
      },
    });
    expect(bucket.Properties.BucketEncryption.ServerSideEncryptionConfiguration).toEqual([
      { ServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" }, BucketKeyEnabled: false },
    ]);
  });

  it("is encrypted with the data key with SSE-KMS, whose policy lets S3 deliver the primaries' inventories", () => {
    // Prepare
    const bucket = resource(kms, "InventoryBucket");
    const statements = resource(kms, "DataKey").Properties.KeyPolicy.Statement;

    // Assess
    expect(bucket.Properties.BucketEncryption.ServerSideEncryptionConfiguration).toEqual([
      {
        ServerSideEncryptionByDefault: {
          SSEAlgorithm: "aws:kms",
          KMSMasterKeyID: { "Fn::GetAtt": ["DataKey", "Arn"] },
        },
        BucketKeyEnabled: true,
      },
    ]);
    const delivery = statements.find((s: { Sid: string }) => s.Sid === "S3InventoryDelivery");
    expect(delivery).toMatchObject({
      Effect: "Allow",
      Principal: { Service: "s3.amazonaws.com" },
      Action: "kms:GenerateDataKey",
      Condition: { StringEquals: { "aws:SourceAccount": { Ref: "AWS::AccountId" } } },
    });
    expect(delivery.Condition.ArnLike["aws:SourceArn"].map(sub)).toEqual(
      kmsNames.buckets.map((pair) => `arn:aws:s3:::${pair.primaryBucket}`),
    );
  });

  it("expires inventories after a short while and keeps the jobs' reports, also when replaced", () => {
    // Prepare
    const rules = resource(t, "InventoryBucket").Properties.LifecycleConfiguration.Rules;

    // Assess
    expect(rules).toEqual([
      {
        Id: "expire-inventories",
        Status: "Enabled",
        Prefix: "inventory/",
        ExpirationInDays: settings.audit.inventoryRetentionDays,
        NoncurrentVersionExpiration: { NoncurrentDays: 1 },
        AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 },
      },
      {
        Id: "expire-job-reports",
        Status: "Enabled",
        Prefix: "reports/",
        ExpirationInDays: settings.audit.reportRetentionDays,
        NoncurrentVersionExpiration: { NoncurrentDays: settings.audit.reportRetentionDays },
        AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 },
      },
    ]);
  });

  it("lets S3 deliver inventories of the stack's primary buckets in this account only, over TLS", () => {
    // Prepare
    const statements = resource(t, "InventoryBucketPolicy").Properties.PolicyDocument.Statement;
    const delivery = statements.find((s: { Sid: string }) => s.Sid === "S3InventoryDelivery");

    // Assess
    expect(statements[0]).toMatchObject({
      Sid: "DenyInsecureTransport",
      Effect: "Deny",
      Condition: { Bool: { "aws:SecureTransport": "false" } },
    });
    expect(delivery).toMatchObject({
      Effect: "Allow",
      Principal: { Service: "s3.amazonaws.com" },
      Action: "s3:PutObject",
      Condition: {
        StringEquals: {
          "aws:SourceAccount": { Ref: "AWS::AccountId" },
          "s3:x-amz-acl": "bucket-owner-full-control",
        },
      },
    });
    expect(sub(delivery.Resource)).toBe(`${inventory}/inventory/*`);
    expect(delivery.Condition.ArnLike["aws:SourceArn"].map(sub)).toEqual(
      names.buckets.map((pair) => `arn:aws:s3:::${pair.primaryBucket}`),
    );
  });

  it("keeps the completion reports from anyone but the audit job (and the break-glass role)", () => {
    // Prepare
    const deny = (template: Template) =>
      resource(template, "InventoryBucketPolicy").Properties.PolicyDocument.Statement.find(
        (s: { Sid: string }) => s.Sid === "JobReportsWrittenByTheAuditJobOnly",
      );

    // Assess
    expect(deny(t)).toMatchObject({
      Effect: "Deny",
      Principal: "*",
      Action: ["s3:PutObject", "s3:DeleteObject", "s3:DeleteObjectVersion"],
      Condition: {
        ArnNotEquals: { "aws:PrincipalArn": [{ "Fn::GetAtt": ["AuditJobRole", "Arn"] }] },
      },
    });
    expect(sub(deny(t).Resource)).toBe(`${inventory}/reports/*`);
    expect(deny(kms).Condition.ArnNotEquals["aws:PrincipalArn"]).toEqual([
      { "Fn::GetAtt": ["AuditJobRole", "Arn"] },
      "arn:aws:iam::123456789012:role/backup-break-glass",
    ]);
  });

  it("logs to the region's access-log bucket, whose policy accepts its logs", () => {
    // Prepare
    const statement = resource(
      t,
      "AccessLogsBucketPolicy",
    ).Properties.PolicyDocument.Statement.find(
      (s: { Sid: string }) => s.Sid === "AllowServerAccessLogDelivery",
    );

    // Assess
    expect(statement.Condition.ArnLike["aws:SourceArn"].map(sub)).toContain(inventory);
  });
});

describe("S3 Inventory", () => {
  it.each([
    ["SSE-S3", () => t, names],
    ["SSE-KMS", () => kms, kmsNames],
  ] as const)(
    "runs daily on every primary bucket (%s), current versions, CSV, into the inventory bucket",
    (_mode, template, expected) => {
      for (const pair of expected.buckets) {
        // Prepare
        const [, bucket] = resourcesOfType(template(), "AWS::S3::Bucket").find(
          ([id, each]) =>
            id.startsWith("PrimaryBucket") &&
            sub(each.Properties.BucketName) === pair.primaryBucket,
        ) ?? [undefined, undefined];

        // Assess
        expect(bucket?.Properties.InventoryConfigurations, pair.category).toEqual([
          {
            Id: "audit",
            Enabled: true,
            IncludedObjectVersions: "Current",
            ScheduleFrequency: "Daily",
            OptionalFields: [
              "Size",
              "ETag",
              "LastModifiedDate",
              "ReplicationStatus",
              "IsMultipartUploaded",
              "EncryptionStatus",
              "ChecksumAlgorithm",
            ],
            Destination: {
              BucketArn: { "Fn::GetAtt": ["InventoryBucket", "Arn"] },
              BucketAccountId: { Ref: "AWS::AccountId" },
              Format: "CSV",
              Prefix: "inventory",
            },
          },
        ]);
      }
    },
  );

  it("is configured on the primary buckets only", () => {
    const withInventory = resourcesOfType(t, "AWS::S3::Bucket")
      .filter(([, bucket]) => bucket.Properties.InventoryConfigurations !== undefined)
      .map(([id]) => id);
    expect(withInventory).toEqual([
      "PrimaryBucketDocuments",
      "PrimaryBucketMedia",
      "PrimaryBucketDatabases",
    ]);
  });
});

describe("schedule", () => {
  it("invokes the audit-starter weekly by default, with its own role, a retry policy and a DLQ", () => {
    // Prepare
    const schedule = resource(t, "AuditSchedule").Properties;

    // Assess
    expect(settings.audit.schedule).toBe("cron(0 6 ? * SUN *)");
    expect(schedule).toEqual({
      Name: names.auditSchedule,
      Description: "Starts the backup-validator dev audit of every primary bucket",
      ScheduleExpression: settings.audit.schedule,
      ScheduleExpressionTimezone: "UTC",
      State: "ENABLED",
      FlexibleTimeWindow: { Mode: "OFF" },
      Target: {
        Arn: { "Fn::GetAtt": ["AuditDashstarterLambdaFunction", "Arn"] },
        RoleArn: { "Fn::GetAtt": ["AuditSchedulerRole", "Arn"] },
        Input: '{"trigger":"schedule"}',
        RetryPolicy: {
          MaximumRetryAttempts: settings.audit.scheduleRetry.maximumRetryAttempts,
          MaximumEventAgeInSeconds: settings.audit.scheduleRetry.maximumEventAgeSeconds,
        },
        DeadLetterConfig: { Arn: { "Fn::GetAtt": ["AuditScheduleDlq", "Arn"] } },
      },
    });
  });

  it("takes another expression from --param auditSchedule", () => {
    expect(resource(daily, "AuditSchedule").Properties.ScheduleExpression).toBe(DAILY);
  });

  it("is gone with --param auditSchedule=off, with its role, DLQ, alarm and key grant", () => {
    // Prepare
    const queueKey = JSON.stringify(resource(off, "QueueKey").Properties.KeyPolicy);

    // Assess
    for (const id of [
      "AuditSchedule",
      "AuditSchedulerRole",
      "AuditScheduleDlq",
      "AuditScheduleDlqPolicy",
      "AuditScheduleDlqNotEmptyAlarm",
    ]) {
      expect({ id, present: id in off.Resources }).toEqual({ id, present: false });
      expect({ id, present: id in t.Resources }).toEqual({ id, present: true });
    }
    expect(resourcesOfType(off, "AWS::Scheduler::Schedule")).toEqual([]);
    expect(queueKey).not.toContain("AuditSchedulerRole");
    // The functions stay: an audit can still be started by hand.
    expect(functionNamed(off, names.functions["audit-starter"])).toBeDefined();
    expect(functionNamed(off, names.functions["audit-worker"])).toBeDefined();
  });

  it("has a role only EventBridge Scheduler of this account assumes, to invoke the starter and dead-letter", () => {
    // Prepare
    const role = resource(t, "AuditSchedulerRole").Properties;

    // Assess
    expect(role.AssumeRolePolicyDocument.Statement).toEqual([
      {
        Effect: "Allow",
        Principal: { Service: "scheduler.amazonaws.com" },
        Action: "sts:AssumeRole",
        Condition: { StringEquals: { "aws:SourceAccount": { Ref: "AWS::AccountId" } } },
      },
    ]);
    expect(statementsOf(t, "AuditSchedulerRole").map((s) => [s.Action, sub(s.Resource)])).toEqual([
      [
        "lambda:InvokeFunction",
        `arn:aws:lambda:${REGION}:${ACCOUNT_ID}:function:${names.functions["audit-starter"]}`,
      ],
      ["sqs:SendMessage", `arn:aws:sqs:${REGION}:${ACCOUNT_ID}:${names.auditScheduleDlq}`],
    ]);
  });

  it("dead-letters into a queue encrypted with the queue key, whose policy lets the schedule's role use it through SQS", () => {
    // Prepare
    const dlq = resource(t, "AuditScheduleDlq").Properties;
    const grant = resource(t, "QueueKey").Properties.KeyPolicy.Statement.find(
      (s: { Sid: string }) => s.Sid === "AuditSchedulerDeadLetters",
    );

    // Assess
    expect(dlq).toEqual({
      QueueName: names.auditScheduleDlq,
      KmsMasterKeyId: { "Fn::GetAtt": ["QueueKey", "Arn"] },
      MessageRetentionPeriod: settings.queues.dlqMessageRetentionSeconds,
    });
    expect(grant).toMatchObject({
      Principal: { AWS: { "Fn::GetAtt": ["AuditSchedulerRole", "Arn"] } },
      Action: ["kms:Decrypt", "kms:GenerateDataKey"],
    });
    expect(sub(grant.Condition.StringEquals["kms:ViaService"])).toBe(`sqs.${REGION}.amazonaws.com`);
  });
});

describe("S3 Batch Operations job role", () => {
  it("is assumed by Batch Operations for this account's jobs only", () => {
    expect(resource(t, "AuditJobRole").Properties.AssumeRolePolicyDocument.Statement).toEqual([
      {
        Effect: "Allow",
        Principal: { Service: "batchoperations.s3.amazonaws.com" },
        Action: "sts:AssumeRole",
        Condition: { StringEquals: { "aws:SourceAccount": { Ref: "AWS::AccountId" } } },
      },
    ]);
  });

  it("invokes the worker, reads inventories and writes reports, nothing else (SSE-S3)", () => {
    expect(statementsOf(t, "AuditJobRole").map((s) => [s.Action, sub(s.Resource)])).toEqual([
      [
        "lambda:InvokeFunction",
        `arn:aws:lambda:${REGION}:${ACCOUNT_ID}:function:${names.functions["audit-worker"]}`,
      ],
      [["s3:GetObject", "s3:GetObjectVersion"], `${inventory}/inventory/*`],
      ["s3:PutObject", `${inventory}/reports/*`],
    ]);
  });

  it("with SSE-KMS also decrypts inventories, through S3 and for the inventory bucket only", () => {
    // Prepare
    const decrypt = statementsOf(kms, "AuditJobRole").find((s) => s.Sid === "ReadKmsInventories");

    // Assess
    expect(decrypt).toMatchObject({
      Action: "kms:Decrypt",
      Resource: { "Fn::GetAtt": ["DataKey", "Arn"] },
      Condition: { StringEquals: { "kms:ViaService": `s3.${REGION}.amazonaws.com` } },
    });
    const context = decrypt?.Condition?.StringLike?.["kms:EncryptionContext:aws:s3:arn"];
    expect((context as unknown[]).map(sub)).toEqual([inventory, `${inventory}/*`]);
  });
});

describe("functions", () => {
  it("audit-starter: lists inventories, creates LambdaInvoke jobs up to the priority, passes the job role only", () => {
    // Prepare
    const statements = statementsOf(t, "AuditStarterRole");

    // Assess
    expect(statements.map((s) => s.Sid)).toEqual([
      "WriteOwnLogs",
      "ListInventories",
      "CreateAuditJobs",
      "PassTheAuditJobRole",
    ]);
    expect(statements[1]).toMatchObject({
      Action: "s3:ListBucket",
      Condition: { StringLike: { "s3:prefix": ["inventory/*"] } },
    });
    expect(sub(statements[1]?.Resource)).toBe(inventory);
    expect(statements[2]).toEqual({
      Sid: "CreateAuditJobs",
      Effect: "Allow",
      Action: "s3:CreateJob",
      Resource: "*",
      Condition: {
        StringEquals: { "s3:RequestJobOperation": "LambdaInvoke" },
        NumericLessThanEquals: { "s3:RequestJobPriority": settings.audit.jobPriority },
      },
    });
    expect(statements[3]).toEqual({
      Sid: "PassTheAuditJobRole",
      Effect: "Allow",
      Action: "iam:PassRole",
      Resource: { "Fn::GetAtt": ["AuditJobRole", "Arn"] },
      Condition: { StringEquals: { "iam:PassedToService": "batchoperations.s3.amazonaws.com" } },
    });
  });

  it("audit-worker: reads the pairs as the validator does and sends reports to the failure queue only", () => {
    // Prepare
    const worker = statementsOf(t, "AuditWorkerRole");
    const validator = statementsOf(t, "ChecksumValidatorRole");
    const sids = (list: { Sid: string }[]) => list.map((s) => s.Sid);

    // Assess
    expect(sids(worker)).toEqual([
      "WriteOwnLogs",
      "HeadPrimaryAndReplicaObjects",
      "ListPairedBuckets",
      "ReportProblems",
    ]);
    expect(worker.slice(1, 3)).toEqual(validator.slice(1, 3));
    expect([worker[3]?.Action, sub(worker[3]?.Resource)]).toEqual([
      ["sqs:SendMessage"],
      `arn:aws:sqs:${REGION}:${ACCOUNT_ID}:${names.failureQueue}`,
    ]);
    // With SSE-KMS, the checksums of KMS objects, as for the validator.
    expect(sids(statementsOf(kms, "AuditWorkerRole"))).toEqual(
      expect.arrayContaining([
        "ReadChecksumsOfKmsPrimaryObjects",
        "ReadChecksumsOfKmsReplicaObjects",
      ]),
    );
    const grant = resource(t, "QueueKey").Properties.KeyPolicy.Statement.find(
      (s: { Sid: string }) => s.Sid === "AuditWorkerReports",
    );
    expect(grant.Principal).toEqual({ AWS: { "Fn::GetAtt": ["AuditWorkerRole", "Arn"] } });
  });

  it("audit-worker: its reserved concurrency, memory and timeout from settings.json", () => {
    expect(functionNamed(t, names.functions["audit-worker"])).toMatchObject({
      ReservedConcurrentExecutions: settings.functions["audit-worker"].reservedConcurrency,
      MemorySize: settings.functions["audit-worker"].memorySizeMb,
      Timeout: settings.functions["audit-worker"].timeoutSeconds,
    });
    expect(functionNamed(t, names.functions["audit-starter"]).Timeout).toBe(
      settings.functions["audit-starter"].timeoutSeconds,
    );
  });

  it("give each function an environment its own parser accepts at cold start", () => {
    // Prepare
    const jobRole = `arn:aws:iam::${ACCOUNT_ID}:role/backup-validator-dev-AuditJobRole-ABC123`;
    const failureQueue = `https://sqs.${REGION}.amazonaws.com/${ACCOUNT_ID}/${names.failureQueue}`;

    // Act
    const starter = loadAuditStarterConfig({
      ...environmentOf(t, names.functions["audit-starter"], { AuditJobRole: jobRole }),
      AWS_REGION: REGION,
    });
    const worker = loadAuditWorkerConfig({
      ...environmentOf(t, names.functions["audit-worker"], { FailureQueue: failureQueue }),
      AWS_REGION: REGION,
    });

    // Assess
    expect(starter).toMatchObject({
      stage: "dev",
      inventoryBucket: names.inventoryBucket,
      workerFunctionArn: `arn:aws:lambda:${REGION}:${ACCOUNT_ID}:function:${names.functions["audit-worker"]}`,
      accountId: ACCOUNT_ID,
      partition: "aws",
      jobRoleArn: jobRole,
      jobPriority: settings.audit.jobPriority,
      maxInventoryAgeHours: settings.audit.maxInventoryAgeHours,
    });
    expect([...starter.bucketPairs.keys()]).toEqual(
      names.buckets.map((pair) => pair.primaryBucket),
    );
    expect(worker).toMatchObject({
      replicaRegion: "us-west-2",
      failureQueueUrl: failureQueue,
      replicationDeadlineSeconds: settings.replicationDeadlineSeconds,
      deepVerification: {
        maxBytes: settings.deepVerification.maxBytes,
        read: settings.deepVerification.read,
        concurrency: settings.deepVerification.concurrency,
      },
      stage: "dev",
    });
    expect([...worker.bucketPairs.values()].map((pair) => pair.replicaBucket)).toEqual(
      names.buckets.map((pair) => pair.replicaBucket),
    );
  });
});

describe("alarms", () => {
  const alarm = (template: Template, id: string) => resource(template, id).Properties;

  it("watch the starter's and the worker's errors, the worker's duration and its failed tasks", () => {
    // Assess
    for (const [id, fn] of [
      ["AuditStarterErrorsAlarm", "audit-starter"],
      ["AuditWorkerErrorsAlarm", "audit-worker"],
    ] as const) {
      expect(alarm(t, id)).toMatchObject({
        AlarmName: `backup-validator-dev-${fn}-errors`,
        Namespace: "AWS/Lambda",
        MetricName: "Errors",
        Dimensions: [{ Name: "FunctionName", Value: names.functions[fn] }],
        Threshold: 0,
      });
    }
    expect(alarm(t, "AuditWorkerDurationAlarm")).toMatchObject({
      MetricName: "Duration",
      Statistic: "Maximum",
      Threshold: settings.functions["audit-worker"].timeoutSeconds * 1000 * 0.8,
    });
    expect(alarm(t, "AuditTasksFailedAlarm")).toMatchObject({
      AlarmName: "backup-validator-dev-audit-tasks-failed",
      Namespace: "BackupValidator",
      MetricName: "AuditTasksFailed",
      Dimensions: [{ Name: "service", Value: "audit" }],
      Statistic: "Sum",
      Threshold: 0,
    });
    // Reserved concurrency is the job's throttle by design: no throttle alarm on the worker.
    expect("AuditWorkerThrottlesAlarm" in t.Resources).toBe(false);
  });

  it("fire when Scheduler dead-letters a start of the audit", () => {
    expect(alarm(t, "AuditScheduleDlqNotEmptyAlarm")).toMatchObject({
      AlarmName: "backup-validator-dev-audit-schedule-dlq-not-empty",
      Namespace: "AWS/SQS",
      MetricName: "ApproximateNumberOfMessagesVisible",
      Dimensions: [
        { Name: "QueueName", Value: { "Fn::GetAtt": ["AuditScheduleDlq", "QueueName"] } },
      ],
      Threshold: 0,
    });
  });
});

describe("outputs", () => {
  it("name the starter (to start an audit by hand) and the inventory bucket (the reports)", () => {
    expect(t.Outputs.AuditStarterFunctionName?.Value).toEqual({
      Ref: "AuditDashstarterLambdaFunction",
    });
    expect(t.Outputs.InventoryBucketName?.Value).toEqual({ Ref: "InventoryBucket" });
  });
});
