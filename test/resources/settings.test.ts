import { describe, expect, it } from "vitest";
import { type CliOptions, readInputs } from "../../resources/cloudformation/inputs.ts";
import { readReplicaFacts } from "../../resources/cloudformation/primary/index.ts";
import {
  CLOUDFORMATION_ACCOUNT_ID,
  checkSettings,
  LOCAL_ACCOUNT_ID,
  minimumVisibilityTimeout,
  parseCategories,
  queueSettingsFor,
  renderName,
  resourceNames,
  settings,
} from "../../resources/settings.ts";
import { formatBucketPairs, parseBucketPairs } from "../../shared/contracts/bucket-pairs.ts";
import { ConfigurationError } from "../../shared/errors.ts";

describe("resources/settings.json", () => {
  it("gives each queue a visibility timeout of at least 6 x its consumer's timeout + window", () => {
    for (const key of ["validation", "failure"] as const) {
      const queue = settings.queues[key];
      expect(queue.visibilityTimeoutSeconds).toBeGreaterThanOrEqual(
        minimumVisibilityTimeout(settings.functions[queue.consumer]),
      );
    }
  });

  it("refuses a visibility timeout below 6 x the consumer's timeout + window", () => {
    // Prepare: the validator's timeout raised without touching its queue
    const functions = {
      ...settings.functions,
      "checksum-validator": { ...settings.functions["checksum-validator"], timeoutSeconds: 120 },
    };

    // Act + Assess
    expect(() => checkSettings({ ...settings, functions })).toThrow(
      /queues\.validation\.visibilityTimeoutSeconds: must be at least 6 x checksum-validator timeout \+ batching window = 725/,
    );
  });

  it("refuses a queue whose consumer is not a function", () => {
    const queues = {
      ...settings.queues,
      failure: { ...settings.queues.failure, consumer: "nobody" as "failure-notifier" },
    };
    expect(() => checkSettings({ ...settings, queues })).toThrow(/queues\.failure\.consumer/);
  });

  it("refuses deep verification settings the validator would refuse at cold start", () => {
    // Prepare
    const tooMany = { ...settings.deepVerification, concurrency: 65 };
    const sideways = { ...settings.deepVerification, read: "sideways" as "primary" };

    // Act
    const attempts = [tooMany, sideways].map(
      (deepVerification) => () => checkSettings({ ...settings, deepVerification }),
    );

    // Assess
    expect(attempts[0]).toThrow(
      'settings.json deepVerification: DEEP_VERIFY_CONCURRENCY: must be between 1 and 64 (got "65")',
    );
    expect(attempts[1]).toThrow(
      /settings\.json deepVerification: DEEP_VERIFY_READ: must be one of/,
    );
  });

  it("refuses an audit schedule the deploy parameter would refuse", () => {
    // Prepare
    const audit = { ...settings.audit, schedule: "every sunday" };

    // Act + Assess
    expect(() => checkSettings({ ...settings, audit })).toThrow(
      /settings\.json audit\.schedule: must be off, rate\(/,
    );
  });

  it.each([
    ["audit.jobPriority", { audit: { ...settings.audit, jobPriority: -1 } }],
    ["audit.maxInventoryAgeHours", { audit: { ...settings.audit, maxInventoryAgeHours: 24 } }],
    ["audit.reportRetentionDays", { audit: { ...settings.audit, reportRetentionDays: 0 } }],
    [
      "audit.scheduleRetry.maximumRetryAttempts",
      {
        audit: {
          ...settings.audit,
          scheduleRetry: { ...settings.audit.scheduleRetry, maximumRetryAttempts: 186 },
        },
      },
    ],
    [
      "functions.audit-worker.reservedConcurrency",
      {
        functions: {
          ...settings.functions,
          "audit-worker": { ...settings.functions["audit-worker"], reservedConcurrency: 0.5 },
        },
      },
    ],
  ])("refuses %s out of AWS's range", (name, change) => {
    expect(() => checkSettings({ ...settings, ...change })).toThrow(
      `settings.json ${name}: must be a whole number`,
    );
  });

  it("keeps the decided defaults", () => {
    expect(settings.defaults).toEqual({
      stage: "dev",
      primaryRegion: "us-east-1",
      replicaRegion: "us-west-2",
      bucketEncryption: "SSE-S3",
      replicationTimeControl: true,
    });
    expect(settings.categories).toEqual(["documents", "media", "databases"]);
    expect(settings.queues.maxReceiveCount).toBe(3);
    expect(settings.queues.dlqMessageRetentionSeconds).toBe(14 * 24 * 3600);
    expect(settings.replicationDeadlineSeconds).toBe(900);
  });
});

describe("resourceNames", () => {
  it("names the scheduled audit's bucket, schedule, dead-letter queue and functions", () => {
    // Act
    const names = resourceNames("prod", { accountId: "111122223333" });

    // Assess
    expect(names.inventoryBucket).toBe("backup-validator-inventory-prod-111122223333-us-east-1");
    expect(names.auditSchedule).toBe("backup-validator-prod-audit");
    expect(names.auditScheduleDlq).toBe("backup-validator-prod-audit-schedule-dlq");
    expect(names.functions["audit-starter"]).toBe("backup-validator-prod-audit-starter");
    expect(names.functions["audit-worker"]).toBe("backup-validator-prod-audit-worker");
  });

  it.each(["inventory", "logs"])(
    "refuses the category %s, whose buckets would take the name of one of the stack's own",
    (category) => {
      expect(() => resourceNames("dev", { categories: ["documents", category] })).toThrow(
        `categories: the category ${category} names a bucket the stacks use for themselves`,
      );
    },
  );

  it("names every bucket, queue and topic of a stage from settings.json", () => {
    // Act
    const names = resourceNames("prod", { accountId: "111122223333" });

    // Assess
    expect(names.primaryStack).toBe("backup-validator-prod");
    expect(names.replicaStack).toBe("backup-validator-replica-prod");
    expect(names.buckets).toEqual([
      {
        category: "documents",
        primaryBucket: "backup-validator-documents-prod-111122223333-us-east-1",
        replicaBucket: "backup-validator-documents-prod-111122223333-us-west-2",
      },
      {
        category: "media",
        primaryBucket: "backup-validator-media-prod-111122223333-us-east-1",
        replicaBucket: "backup-validator-media-prod-111122223333-us-west-2",
      },
      {
        category: "databases",
        primaryBucket: "backup-validator-databases-prod-111122223333-us-east-1",
        replicaBucket: "backup-validator-databases-prod-111122223333-us-west-2",
      },
    ]);
    expect(names.validationQueue).toBe("backup-validator-prod-validation");
    expect(names.validationDlq).toBe("backup-validator-prod-validation-dlq");
    expect(names.failureQueue).toBe("backup-validator-prod-failure");
    expect(names.failureDlq).toBe("backup-validator-prod-failure-dlq");
    expect(names.alertTopic).toBe("backup-validator-prod-alerts");
    expect(names.functions["checksum-validator"]).toBe("backup-validator-prod-checksum-validator");
  });

  it("uses the emulator account id when none is given (the local stack)", () => {
    expect(resourceNames("dev").accountId).toBe(LOCAL_ACCOUNT_ID);
    expect(resourceNames("dev").buckets[0]?.primaryBucket).toContain(`-${LOCAL_ACCOUNT_ID}-`);
  });

  it("honours other regions and categories", () => {
    const names = resourceNames("dev", {
      primaryRegion: "eu-west-1",
      replicaRegion: "eu-central-1",
      categories: ["ledgers"],
    });
    expect(names.buckets).toEqual([
      {
        category: "ledgers",
        primaryBucket: "backup-validator-ledgers-dev-000000000000-eu-west-1",
        replicaBucket: "backup-validator-ledgers-dev-000000000000-eu-central-1",
      },
    ]);
  });

  it.each([
    ["an uppercase stage", "Prod", {}, "stage"],
    ["a non-numeric account id", "dev", { accountId: "abc" }, "accountId"],
    ["equal regions", "dev", { replicaRegion: "us-east-1" }, "replicaRegion"],
    ["a bad region", "dev", { primaryRegion: "mars-1" }, "primaryRegion"],
    ["a bad category", "dev", { categories: ["Media"] }, "categories"],
    ["a bucket name over 63 characters", "a-very-long-stage-name", {}, "bucket name"],
  ])("rejects %s", (_case, stage, options, variable) => {
    expect(() => resourceNames(stage, options)).toThrow(
      expect.objectContaining({ name: "ConfigurationError", variable }),
    );
  });

  it("measures bucket names with a 12-digit account id when it is a CloudFormation token", () => {
    // 12 characters longer once deployed: must fail although the token itself is longer
    expect(() =>
      resourceNames("stage-of-ten", {
        accountId: CLOUDFORMATION_ACCOUNT_ID,
        primaryRegion: "ap-southeast-2",
        categories: ["databases-archive"],
      }),
    ).toThrow(ConfigurationError);
    expect(
      resourceNames("dev", { accountId: CLOUDFORMATION_ACCOUNT_ID }).buckets[0]?.primaryBucket,
    ).toBe(`backup-validator-documents-dev-\${AWS::AccountId}-us-east-1`);
  });
});

describe("the stage's bucket pairs", () => {
  it("format as a BUCKET_PAIRS value that the validator's parser accepts", () => {
    // Act
    const pairs = parseBucketPairs(formatBucketPairs(resourceNames("dev").buckets));

    // Assess
    expect([...pairs.values()]).toEqual(
      resourceNames("dev").buckets.map((pair) => ({
        primaryBucket: pair.primaryBucket,
        replicaBucket: pair.replicaBucket,
        category: pair.category,
      })),
    );
  });
});

describe("queueSettingsFor", () => {
  it("gives the local stack the deployed queue names, redrive and visibility settings", () => {
    expect(queueSettingsFor("dev").validation).toEqual({
      name: "backup-validator-dev-validation",
      visibilityTimeoutSeconds: settings.queues.validation.visibilityTimeoutSeconds,
      messageRetentionSeconds: settings.queues.validation.messageRetentionSeconds,
      maxReceiveCount: 3,
      dlq: { name: "backup-validator-dev-validation-dlq", messageRetentionSeconds: 1_209_600 },
    });
    expect(queueSettingsFor("dev").failure.dlq.name).toBe("backup-validator-dev-failure-dlq");
  });
});

describe("parseCategories and renderName", () => {
  it("parses a comma-separated list", () => {
    expect(parseCategories(" documents, media ,ledgers ")).toEqual([
      "documents",
      "media",
      "ledgers",
    ]);
  });

  it.each(["", "media,media", "Media", "a_b"])("rejects %j", (list) => {
    expect(() => parseCategories(list)).toThrow(ConfigurationError);
  });

  it("rejects an unknown placeholder", () => {
    expect(() => renderName("{service}-{nope}", { service: "x" })).toThrow(/unknown placeholder/);
  });
});

describe("readInputs (deploy parameters)", () => {
  const primary = (options: CliOptions) => readInputs(options, "primary");

  it("defaults every parameter from settings.json", () => {
    expect(primary({})).toEqual({
      stage: "dev",
      primaryRegion: "us-east-1",
      replicaRegion: "us-west-2",
      categories: ["documents", "media", "databases"],
      alertEmails: [],
      bucketEncryption: "SSE-S3",
      replicationTimeControl: true,
      replicaLookup: "cloudformation",
      pagerEndpoints: [],
      chatNotifications: false,
      auditSchedule: settings.audit.schedule,
    });
  });

  it("reads --stage, --region and every --param", () => {
    const inputs = primary({
      stage: "prod",
      region: "eu-west-1",
      param: [
        "replicaRegion=eu-central-1",
        "categories=documents,ledgers",
        "alertEmails=ops@example.com, oncall@example.org",
        "bucketEncryption=SSE-KMS",
        "replicationTimeControl=false",
        "replicaLookup=offline",
        "pagerEndpoints=https://events.example.com/a, https://events.example.com/b",
        "chatNotifications=true",
        "heartbeatHours=12",
        "auditSchedule=rate(1 day)",
      ],
    });
    expect(inputs).toEqual({
      stage: "prod",
      primaryRegion: "eu-west-1",
      replicaRegion: "eu-central-1",
      categories: ["documents", "ledgers"],
      alertEmails: ["ops@example.com", "oncall@example.org"],
      bucketEncryption: "SSE-KMS",
      replicationTimeControl: false,
      replicaLookup: "offline",
      pagerEndpoints: ["https://events.example.com/a", "https://events.example.com/b"],
      chatNotifications: true,
      heartbeatHours: 12,
      auditSchedule: "rate(1 day)",
    });
  });

  it.each([
    ["cron(0 6 ? * SUN *)", "cron(0 6 ? * SUN *)"],
    ["rate(7 days)", "rate(7 days)"],
    ["rate(1 hour)", "rate(1 hour)"],
    [" cron(30 2 1 * ? *) ", "cron(30 2 1 * ? *)"],
  ])("reads --param auditSchedule=%s as an EventBridge Scheduler expression", (value, expected) => {
    expect(primary({ param: [`auditSchedule=${value}`] }).auditSchedule).toBe(expected);
  });

  it("turns the audit schedule off with --param auditSchedule=off", () => {
    expect(primary({ param: ["auditSchedule=off"] })).not.toHaveProperty("auditSchedule");
  });

  it.each([
    "arn:aws:iam::123456789012:policy/github-deploy-backup-validator-prod-boundary",
    "arn:aws-us-gov:iam::123456789012:policy/boundaries/backup_validator+prod=1,2.3@x",
  ])("reads --param permissionsBoundary=%s (an IAM policy ARN)", (arn) => {
    expect(primary({ param: [`permissionsBoundary=${arn}`] }).permissionsBoundary).toBe(arn);
    expect(readInputs({ param: [`permissionsBoundary=${arn}`] }, "replica")).toMatchObject({
      permissionsBoundary: arn,
    });
  });

  it("sets no permissions boundary without the parameter", () => {
    expect(primary({})).not.toHaveProperty("permissionsBoundary");
  });

  it("gives the replica stack the primary region as a parameter", () => {
    const inputs = readInputs(
      { param: ["primaryRegion=eu-west-1", "replicaRegion=eu-central-1"] },
      "replica",
    );
    expect(inputs.primaryRegion).toBe("eu-west-1");
  });

  it.each<[string, CliOptions, "primary" | "replica"]>([
    ["an unknown parameter", { param: ["replicaRegon=us-west-1"] }, "primary"],
    ["a bad e-mail address", { param: ["alertEmails=ops"] }, "primary"],
    ["an unknown encryption", { param: ["bucketEncryption=DSSE"] }, "primary"],
    ["a non-boolean RTC switch", { param: ["replicationTimeControl=yes"] }, "primary"],
    ["an unknown lookup", { param: ["replicaLookup=ssm"] }, "primary"],
    [
      "a role ARN as permissions boundary",
      { param: ["permissionsBoundary=arn:aws:iam::123456789012:role/boundary"] },
      "primary",
    ],
    [
      "a boundary ARN with an 11-digit account",
      { param: ["permissionsBoundary=arn:aws:iam::12345678901:policy/boundary"] },
      "replica",
    ],
    ["a boundary that is a bare name", { param: ["permissionsBoundary=boundary"] }, "primary"],
    ["a pager endpoint over plain HTTP", { param: ["pagerEndpoints=http://pager"] }, "primary"],
    ["a heartbeat of 0 hours", { param: ["heartbeatHours=0"] }, "primary"],
    ["a heartbeat beyond 7 days", { param: ["heartbeatHours=169"] }, "primary"],
    ["a chat switch that is not a boolean", { param: ["chatNotifications=slack"] }, "primary"],
    // Scheduler has no "week" unit, a one-time at() is no recurring audit, cron has six fields.
    ["a weekly rate", { param: ["auditSchedule=rate(1 week)"] }, "primary"],
    ["a one-time schedule", { param: ["auditSchedule=at(2026-12-06T06:00:00)"] }, "primary"],
    ["a five-field cron", { param: ["auditSchedule=cron(0 6 * * 0)"] }, "primary"],
    ["a rate of 0 days", { param: ["auditSchedule=rate(0 days)"] }, "primary"],
    ["a schedule that is a word", { param: ["auditSchedule=weekly"] }, "primary"],
    ["--region on the replica stack", { region: "us-east-2" }, "replica"],
    [
      "a primaryRegion unlike --region",
      { region: "us-east-2", param: ["primaryRegion=us-east-1"] },
      "primary",
    ],
    ["an unknown Object Lock mode", { param: ["objectLockMode=LEGAL"] }, "replica"],
    ["an Object Lock mode without a period", { param: ["objectLockMode=COMPLIANCE"] }, "replica"],
    [
      "an Object Lock period of 0 days",
      { param: ["objectLockMode=GOVERNANCE", "objectLockRetentionDays=0"] },
      "replica",
    ],
    ["a period without a mode", { param: ["objectLockRetentionDays=90"] }, "replica"],
    [
      "a policy ARN as break-glass role",
      { param: [`breakGlassRoleArn=${"arn:aws:iam::123456789012:policy/x"}`] },
      "replica",
    ],
  ])("rejects %s", (_case, options, stack) => {
    expect(() => readInputs(options, stack)).toThrow(ConfigurationError);
  });

  it("reads Object Lock and the break-glass role, off and absent by default", () => {
    expect(readInputs({}, "replica")).not.toHaveProperty("objectLock");
    expect(readInputs({ param: ["objectLockMode=off"] }, "replica")).not.toHaveProperty(
      "objectLock",
    );
    expect(
      readInputs(
        {
          param: [
            "objectLockMode=COMPLIANCE",
            "objectLockRetentionDays=90",
            "breakGlassRoleArn=arn:aws:iam::123456789012:role/ops/break-glass",
          ],
        },
        "replica",
      ),
    ).toMatchObject({
      objectLock: { mode: "COMPLIANCE", days: 90 },
      breakGlassRoleArn: "arn:aws:iam::123456789012:role/ops/break-glass",
    });
  });
});

describe("readReplicaFacts (deploy-time replica stack outputs)", () => {
  const accountId = "111122223333";
  const deployedReplicaNames = resourceNames("dev", { accountId })
    .buckets.map((pair) => pair.replicaBucket)
    .join(",");
  const reader = (outputs: Record<string, string>) => async (name: string) => outputs[name] ?? null;

  it("accepts a replica stack with the same buckets and encryption", async () => {
    // Act
    const facts = await readReplicaFacts(
      readInputs({}, "primary"),
      reader({ ReplicaBucketNames: deployedReplicaNames, ReplicaBucketEncryption: "SSE-S3" }),
    );

    // Assess
    expect(facts).toEqual({});
  });

  it("returns the replica data key with SSE-KMS", async () => {
    const keyArn = `arn:aws:kms:us-west-2:${accountId}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
    const facts = await readReplicaFacts(
      readInputs({ param: ["bucketEncryption=SSE-KMS"] }, "primary"),
      reader({
        ReplicaBucketNames: deployedReplicaNames,
        ReplicaBucketEncryption: "SSE-KMS",
        ReplicaDataKeyArn: keyArn,
      }),
    );
    expect(facts).toEqual({ dataKeyArn: keyArn });
  });

  it("asks to deploy the replica stack first when it is missing", async () => {
    await expect(readReplicaFacts(readInputs({}, "primary"), reader({}))).rejects.toThrow(
      /Deploy the replica stack first: npm run deploy -- --stage dev/,
    );
  });

  it("refuses a replica stack deployed with other categories", async () => {
    const inputs = readInputs(
      { param: ["categories=documents,media,databases,ledgers"] },
      "primary",
    );
    await expect(
      readReplicaFacts(
        inputs,
        reader({ ReplicaBucketNames: deployedReplicaNames, ReplicaBucketEncryption: "SSE-S3" }),
      ),
    ).rejects.toThrow(/does not match the categories/);
  });

  it("refuses a replica stack deployed with another encryption", async () => {
    await expect(
      readReplicaFacts(
        readInputs({ param: ["bucketEncryption=SSE-KMS"] }, "primary"),
        reader({ ReplicaBucketNames: deployedReplicaNames, ReplicaBucketEncryption: "SSE-S3" }),
      ),
    ).rejects.toThrow(/differs from --param bucketEncryption=SSE-KMS/);
  });

  it("uses placeholders offline, without reading anything", async () => {
    const inputs = readInputs(
      { param: ["bucketEncryption=SSE-KMS", "replicaLookup=offline"] },
      "primary",
    );
    const facts = await readReplicaFacts(inputs, async () => {
      throw new Error("must not read the replica stack offline");
    });
    expect(JSON.stringify(facts.dataKeyArn)).toContain("key/00000000-0000-0000-0000-000000000000");
  });
});
