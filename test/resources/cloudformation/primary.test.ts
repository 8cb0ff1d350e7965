/**
 * The primary stack as osls packages it (offline): the CloudFormation that would be deployed.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { DEPLOY_SCOPE_TAG } from "../../../resources/cloudformation/storage.ts";
import {
  CLOUDFORMATION_ACCOUNT_ID,
  minimumVisibilityTimeout,
  resourceNames,
  settings,
} from "../../../resources/settings.ts";
import {
  LOCAL_ONLY_OUTPUT_NAMES,
  OPTIONAL_OUTPUT_NAMES,
  REQUIRED_OUTPUT_NAMES,
} from "../../../resources/stack-outputs.ts";
import { parseBucketPairs } from "../../../shared/contracts/bucket-pairs.ts";
import {
  ACCOUNT_ID,
  actionsOf,
  KMS_VARIANT,
  type Packaged,
  packaged,
  resolveSub,
  resource,
  resourcesOfType,
  type Template,
  type TemplateResource,
} from "../../helpers/packaged.ts";

const REGION = "us-east-1";
const names = resourceNames("dev", { accountId: ACCOUNT_ID });
const cfnNames = resourceNames("dev", { accountId: CLOUDFORMATION_ACCOUNT_ID });
/** The KMS variant's names: it has a fourth category. */
const kmsNames = resourceNames("dev", {
  accountId: ACCOUNT_ID,
  categories: ["documents", "media", "databases", "ledgers"],
});

let pkg: Packaged;
let kms: Packaged;
let t: Template;

beforeAll(async () => {
  [pkg, kms] = await Promise.all([packaged(), packaged(KMS_VARIANT)]);
  t = pkg.primary;
}, 180_000);

const sub = (value: unknown) => resolveSub(value, REGION);
const pascal = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);
const policyOf = (template: Template, target: string, type: string, key: string) =>
  resourcesOfType(template, type).find(([, policy]) =>
    JSON.stringify(policy.Properties[key]).includes(`"${target}"`),
  )?.[1];

describe("primary buckets", () => {
  it("are one per category with the names of resources/settings.ts", () => {
    // Prepare
    const primaries = resourcesOfType(t, "AWS::S3::Bucket").filter(([id]) =>
      id.startsWith("PrimaryBucket"),
    );

    // Assess
    expect(primaries.map(([, bucket]) => sub(bucket.Properties.BucketName))).toEqual(
      names.buckets.map((pair) => pair.primaryBucket),
    );
  });

  it("are versioned, encrypted, private, owner-enforced, logged and retained", () => {
    for (const [id, bucket] of resourcesOfType(t, "AWS::S3::Bucket")) {
      const p = bucket.Properties;
      expect(p.VersioningConfiguration, id).toEqual({ Status: "Enabled" });
      expect(
        p.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault,
        id,
      ).toEqual({ SSEAlgorithm: "AES256" });
      expect(p.PublicAccessBlockConfiguration, id).toEqual({
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
      expect(p.OwnershipControls, id).toEqual({
        Rules: [{ ObjectOwnership: "BucketOwnerEnforced" }],
      });
      if (id !== "AccessLogsBucket") {
        expect(p.LoggingConfiguration.DestinationBucketName, id).toEqual({
          Ref: "AccessLogsBucket",
        });
      }
      if (id !== "ServerlessDeploymentBucket") {
        expect(bucket.DeletionPolicy, id).toBe("Retain");
        expect(bucket.UpdateReplacePolicy, id).toBe("Retain");
      }
    }
  });

  it("deny every request without TLS", () => {
    for (const [id] of resourcesOfType(t, "AWS::S3::Bucket")) {
      const policy = resourcesOfType(t, "AWS::S3::BucketPolicy").find(
        ([, candidate]) => candidate.Properties.Bucket?.Ref === id,
      )?.[1];
      expect(policy, id).toBeDefined();
      expect(policy?.Properties.PolicyDocument.Statement, id).toContainEqual({
        Sid: "DenyInsecureTransport",
        Effect: "Deny",
        Principal: "*",
        Action: "s3:*",
        Resource: [
          { "Fn::GetAtt": [id, "Arn"] },
          { "Fn::Join": ["", [{ "Fn::GetAtt": [id, "Arn"] }, "/*"]] },
        ],
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      });
    }
  });

  it("move noncurrent versions to GLACIER_IR at 30 days, expire them at 365, abort uploads at 7", () => {
    for (const pair of names.buckets) {
      const bucket = resource(t, `PrimaryBucket${pascal(pair.category)}`);
      expect(bucket.Properties.LifecycleConfiguration.Rules).toEqual([
        {
          Id: "noncurrent-versions-and-incomplete-uploads",
          Status: "Enabled",
          NoncurrentVersionTransitions: [{ StorageClass: "GLACIER_IR", TransitionInDays: 30 }],
          NoncurrentVersionExpiration: { NoncurrentDays: 365 },
          AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 },
        },
      ]);
    }
  });

  it("send their events to EventBridge", () => {
    for (const pair of names.buckets) {
      expect(
        resource(t, `PrimaryBucket${pascal(pair.category)}`).Properties.NotificationConfiguration,
      ).toEqual({ EventBridgeConfiguration: { EventBridgeEnabled: true } });
    }
  });

  it("replicate to their replica with delete markers, metrics and RTC (SSE-S3 default)", () => {
    for (const pair of names.buckets) {
      const replication = resource(t, `PrimaryBucket${pascal(pair.category)}`).Properties
        .ReplicationConfiguration;
      expect(replication.Role).toEqual({ "Fn::GetAtt": ["ReplicationRole", "Arn"] });
      expect(replication.Rules).toHaveLength(1);
      const [rule] = replication.Rules;
      expect(rule).toEqual({
        Id: `replicate-${pair.category}`,
        Status: "Enabled",
        Priority: 1,
        Filter: { Prefix: "" },
        DeleteMarkerReplication: { Status: "Enabled" },
        Destination: {
          Bucket: expect.anything(),
          Metrics: { Status: "Enabled", EventThreshold: { Minutes: 15 } },
          ReplicationTime: { Status: "Enabled", Time: { Minutes: 15 } },
        },
      });
      expect(sub(rule.Destination.Bucket)).toBe(`arn:aws:s3:::${pair.replicaBucket}`);
    }
  });
});

describe("with --param bucketEncryption=SSE-KMS, replicationTimeControl=false, 4 categories", () => {
  it("adds a bucket pair per configured category", () => {
    const ids = resourcesOfType(kms.primary, "AWS::S3::Bucket").map(([id]) => id);
    expect(ids).toEqual(
      expect.arrayContaining([
        "PrimaryBucketDocuments",
        "PrimaryBucketMedia",
        "PrimaryBucketDatabases",
        "PrimaryBucketLedgers",
      ]),
    );
    // The four primaries, the access-log bucket, the inventory bucket, the deployment bucket.
    expect(resourcesOfType(kms.primary, "AWS::S3::Bucket")).toHaveLength(4 + 3);
  });

  it("encrypts primaries with a retained, rotating data key and S3 Bucket Keys", () => {
    const key = resource(kms.primary, "DataKey");
    expect(key.Properties.EnableKeyRotation).toBe(true);
    expect(key.DeletionPolicy).toBe("Retain");
    expect(key.UpdateReplacePolicy).toBe("Retain");
    const encryption = resource(kms.primary, "PrimaryBucketLedgers").Properties.BucketEncryption
      .ServerSideEncryptionConfiguration[0];
    expect(encryption).toEqual({
      ServerSideEncryptionByDefault: {
        SSEAlgorithm: "aws:kms",
        KMSMasterKeyID: { "Fn::GetAtt": ["DataKey", "Arn"] },
      },
      BucketKeyEnabled: true,
    });
  });

  it("replicates KMS-encrypted objects with the replica key, without RTC", () => {
    const [rule] = resource(kms.primary, "PrimaryBucketMedia").Properties.ReplicationConfiguration
      .Rules;
    expect(rule.SourceSelectionCriteria).toEqual({
      SseKmsEncryptedObjects: { Status: "Enabled" },
    });
    expect(sub(rule.Destination.EncryptionConfiguration.ReplicaKmsKeyID)).toMatch(
      /^arn:aws:kms:us-west-2:123456789012:key\//,
    );
    expect(rule.Destination.Metrics).toEqual({ Status: "Enabled" });
    expect(rule.Destination.ReplicationTime).toBeUndefined();
  });

  it("lets the replication role decrypt sources and encrypt replicas through S3 only", () => {
    const statements = resource(kms.primary, "ReplicationRole").Properties.Policies[0]
      .PolicyDocument.Statement;
    const decrypt = statements.find((s: { Sid: string }) => s.Sid === "DecryptSourceObjects");
    const encrypt = statements.find((s: { Sid: string }) => s.Sid === "EncryptReplicas");
    expect(decrypt.Action).toEqual(["kms:Decrypt"]);
    expect(decrypt.Resource).toEqual({ "Fn::GetAtt": ["DataKey", "Arn"] });
    expect(decrypt.Condition.StringEquals).toEqual({
      "kms:ViaService": "s3.us-east-1.amazonaws.com",
    });
    expect(encrypt.Action).toEqual(["kms:Encrypt", "kms:GenerateDataKey"]);
    expect(encrypt.Condition.StringEquals).toEqual({
      "kms:ViaService": "s3.us-west-2.amazonaws.com",
    });
  });

  it("lets the checksum-validator read objects (HEAD, part HEADs, ranged GETs) and list the paired buckets, and nothing else in S3", () => {
    // Prepare
    const statements = resource(t, "ChecksumValidatorRole").Properties.Policies[0].PolicyDocument
      .Statement as { Action: string[]; Resource: unknown }[];

    // Act
    const s3Actions = statements
      .flatMap((statement) => statement.Action)
      .filter((action) => action.startsWith("s3:"))
      .sort();

    // Assess: deep verification needs no permission beyond what HeadObject already needs.
    expect(s3Actions).toEqual(["s3:GetObject", "s3:GetObjectVersion", "s3:ListBucket"]);
  });

  it("lets the checksum-validator decrypt both data keys through S3 only, to read checksums and bytes", () => {
    // Prepare: HeadObject with ChecksumMode ENABLED needs kms:Decrypt on an SSE-KMS object's key
    const statements = resource(kms.primary, "ChecksumValidatorRole").Properties.Policies[0]
      .PolicyDocument.Statement as { Action: string[]; Resource: unknown; Condition?: unknown }[];
    const decrypts = statements.filter((s) => s.Action.includes("kms:Decrypt"));

    // Assess
    expect(decrypts).toHaveLength(2);
    const [primaryKey, replicaKey] = decrypts;
    expect(primaryKey).toMatchObject({
      Action: ["kms:Decrypt"],
      Resource: { "Fn::GetAtt": ["DataKey", "Arn"] },
      Condition: { StringEquals: { "kms:ViaService": "s3.us-east-1.amazonaws.com" } },
    });
    expect(replicaKey).toMatchObject({
      Action: ["kms:Decrypt"],
      Condition: { StringEquals: { "kms:ViaService": "s3.us-west-2.amazonaws.com" } },
    });
    // The replica key's ARN, as the replication rule encrypts replicas with it.
    const [rule] = resource(kms.primary, "PrimaryBucketMedia").Properties.ReplicationConfiguration
      .Rules;
    expect(replicaKey?.Resource).toEqual(rule.Destination.EncryptionConfiguration.ReplicaKmsKeyID);
    expect(sub(replicaKey?.Resource)).toMatch(/^arn:aws:kms:us-west-2:123456789012:key\//);
    // SSE-S3: no KMS permission at all.
    expect(JSON.stringify(resource(t, "ChecksumValidatorRole").Properties)).not.toContain("kms:");
  });

  it("subscribes each alert address to both topics, unfiltered: every alert and every alarm", () => {
    const subscriptions = resourcesOfType(kms.primary, "AWS::SNS::Subscription").map(
      ([, subscription]) => subscription.Properties,
    );
    expect(subscriptions).toEqual(
      ["ops@example.com", "oncall@example.org"].flatMap((email) => [
        { TopicArn: { Ref: "AlertTopic" }, Protocol: "email", Endpoint: email },
        { TopicArn: { Ref: "AlarmTopic" }, Protocol: "email", Endpoint: email },
      ]),
    );
    expect(resourcesOfType(t, "AWS::SNS::Subscription")).toEqual([]);
  });

  it("watches replication of every category", () => {
    const alarms = resourcesOfType(kms.primary, "AWS::CloudWatch::Alarm").map(([id]) => id);
    expect(alarms).toEqual(
      expect.arrayContaining(["ReplicationFailedLedgersAlarm", "ReplicationLatencyLedgersAlarm"]),
    );
  });
});

describe("replication role", () => {
  it("is assumed by S3 and has exactly the CRR permissions, on these buckets only", () => {
    const role = resource(t, "ReplicationRole").Properties;
    // A fixed name (the replica buckets' policies name it) and a trust limited to S3 acting
    // for this account's primary buckets.
    expect(role.RoleName).toBe(names.replicationRole);
    const [trust, ...moreTrust] = role.AssumeRolePolicyDocument.Statement;
    expect(moreTrust).toEqual([]);
    expect(trust).toMatchObject({
      Effect: "Allow",
      Principal: { Service: "s3.amazonaws.com" },
      Action: "sts:AssumeRole",
      Condition: { StringEquals: { "aws:SourceAccount": { Ref: "AWS::AccountId" } } },
    });
    expect(trust.Condition.ArnLike["aws:SourceArn"].map(sub)).toEqual(
      names.buckets.map((pair) => `arn:aws:s3:::${pair.primaryBucket}`),
    );
    const statements = role.Policies[0].PolicyDocument.Statement.map(
      (s: { Action: string[]; Resource: unknown[] }) => ({
        Action: s.Action,
        Resource: s.Resource.map(sub),
      }),
    );
    const arns = (bucket: "primaryBucket" | "replicaBucket", suffix: string) =>
      names.buckets.map((pair) => `arn:aws:s3:::${pair[bucket]}${suffix}`);
    expect(statements).toEqual([
      {
        Action: ["s3:GetReplicationConfiguration", "s3:ListBucket"],
        Resource: arns("primaryBucket", ""),
      },
      {
        Action: [
          "s3:GetObjectVersionForReplication",
          "s3:GetObjectVersionAcl",
          "s3:GetObjectVersionTagging",
        ],
        Resource: arns("primaryBucket", "/*"),
      },
      {
        Action: ["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"],
        Resource: arns("replicaBucket", "/*"),
      },
    ]);
  });
});

describe("EventBridge rule", () => {
  it("matches Object Created events of the primary buckets only", () => {
    const rule = resource(t, "ObjectCreatedRule").Properties;
    expect(rule.State).toBe("ENABLED");
    expect(rule.EventBusName).toBe("default");
    expect({
      ...rule.EventPattern,
      detail: { bucket: { name: rule.EventPattern.detail.bucket.name.map(sub) } },
    }).toEqual({
      source: ["aws.s3"],
      "detail-type": ["Object Created"],
      detail: { bucket: { name: names.buckets.map((pair) => pair.primaryBucket) } },
    });
  });

  it("targets the validation queue without a role, with a DLQ and a retry policy", () => {
    expect(resource(t, "ObjectCreatedRule").Properties.Targets).toEqual([
      {
        Id: "validation-queue",
        Arn: { "Fn::GetAtt": ["ValidationQueue", "Arn"] },
        DeadLetterConfig: { Arn: { "Fn::GetAtt": ["ValidationDlq", "Arn"] } },
        RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86_400 },
      },
    ]);
  });
});

describe("queues", () => {
  const pairs = [
    ["ValidationQueue", "ValidationDlq", "checksum-validator", cfnNames.validationQueue],
    ["FailureQueue", "FailureDlq", "failure-notifier", cfnNames.failureQueue],
  ] as const;

  it("are five, named from settings.json and encrypted with the queue key", () => {
    const queues = resourcesOfType(t, "AWS::SQS::Queue");
    expect(queues.map(([, queue]) => queue.Properties.QueueName)).toEqual([
      names.validationQueue,
      names.validationDlq,
      names.failureQueue,
      names.failureDlq,
      // The audit schedule's dead-letter queue (test/resources/cloudformation/primary/audit.test.ts).
      names.auditScheduleDlq,
    ]);
    for (const [, queue] of queues) {
      expect(queue.Properties.KmsMasterKeyId).toEqual({ "Fn::GetAtt": ["QueueKey", "Arn"] });
    }
  });

  it.each(pairs)(
    "%s goes to %s after 3 receives; the DLQ keeps 14 days and allows redrive",
    (queueId, dlqId, _fn, queueName) => {
      expect(resource(t, queueId).Properties.RedrivePolicy).toEqual({
        deadLetterTargetArn: { "Fn::GetAtt": [dlqId, "Arn"] },
        maxReceiveCount: 3,
      });
      const dlq = resource(t, dlqId).Properties;
      expect(dlq.MessageRetentionPeriod).toBe(14 * 24 * 3600);
      expect(dlq.RedriveAllowPolicy).toEqual({
        redrivePermission: "byQueue",
        sourceQueueArns: [
          {
            "Fn::Sub": `arn:\${AWS::Partition}:sqs:\${AWS::Region}:\${AWS::AccountId}:${queueName}`,
          },
        ],
      });
      expect(dlq.MessageRetentionPeriod).toBeGreaterThan(
        resource(t, queueId).Properties.MessageRetentionPeriod,
      );
    },
  );

  it.each(pairs)(
    "%s hides a message for at least 6 x its consumer's timeout + batching window",
    (queueId, _dlq, fn) => {
      // Prepare: the consumer as packaged
      const [, consumer] = resourcesOfType(t, "AWS::Lambda::Function").find(
        ([, f]) => f.Properties.FunctionName === names.functions[fn],
      ) as [string, TemplateResource];
      const [, mapping] = resourcesOfType(t, "AWS::Lambda::EventSourceMapping").find(
        ([, m]) => m.Properties.EventSourceArn["Fn::GetAtt"][0] === queueId,
      ) as [string, TemplateResource];

      // Assess
      expect(resource(t, queueId).Properties.VisibilityTimeout).toBeGreaterThanOrEqual(
        6 * consumer.Properties.Timeout + mapping.Properties.MaximumBatchingWindowInSeconds,
      );
      expect(minimumVisibilityTimeout(settings.functions[fn])).toBe(
        6 * consumer.Properties.Timeout + mapping.Properties.MaximumBatchingWindowInSeconds,
      );
    },
  );

  it("accept messages from the rule only (validation queue and its DLQ), over TLS only", () => {
    for (const queueId of ["ValidationQueue", "ValidationDlq", "FailureQueue", "FailureDlq"]) {
      const statements = policyOf(t, queueId, "AWS::SQS::QueuePolicy", "Queues")?.Properties
        .PolicyDocument.Statement;
      expect(statements, queueId).toContainEqual({
        Sid: "DenyInsecureTransport",
        Effect: "Deny",
        Principal: "*",
        Action: "sqs:*",
        Resource: { "Fn::GetAtt": [queueId, "Arn"] },
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      });
      const allowRule = {
        Sid: "ObjectCreatedRuleSends",
        Effect: "Allow",
        Principal: { Service: "events.amazonaws.com" },
        Action: "sqs:SendMessage",
        Resource: { "Fn::GetAtt": [queueId, "Arn"] },
        Condition: {
          ArnEquals: { "aws:SourceArn": { "Fn::GetAtt": ["ObjectCreatedRule", "Arn"] } },
        },
      };
      if (queueId.startsWith("Validation")) expect(statements).toContainEqual(allowRule);
      else expect(statements).toHaveLength(1);
    }
  });
});

describe("KMS keys", () => {
  const statement = (keyId: string, sid: string) =>
    resource(t, keyId).Properties.KeyPolicy.Statement.find((s: { Sid: string }) => s.Sid === sid);

  it("rotate, are administered by the account and let only AWS services create grants", () => {
    for (const [id, key] of resourcesOfType(t, "AWS::KMS::Key")) {
      expect(key.Properties.EnableKeyRotation, id).toBe(true);
      expect(statement(id, "AccountAdministersKey").Principal).toEqual({
        AWS: { "Fn::Sub": `arn:\${AWS::Partition}:iam::\${AWS::AccountId}:root` },
      });
      expect(statement(id, "OnlyAwsServicesCreateGrants")).toMatchObject({
        Effect: "Deny",
        Action: ["kms:CreateGrant"],
        Condition: {
          BoolIfExists: {
            "kms:GrantIsForAWSResource": "false",
            "aws:PrincipalIsAWSService": "false",
          },
        },
      });
    }
    expect(resourcesOfType(t, "AWS::KMS::Key").map(([id]) => id)).toEqual([
      "QueueKey",
      "TopicKey",
      "AlarmTopicKey",
      "LogsKey",
    ]);
  });

  it("of both stacks, in both encryption modes, carry the stage's deploy-scope tag", () => {
    // Prepare: the deploy role (resources/github-oidc-deploy-role.yml) manages only keys with it
    const keys = [t, kms.primary, kms.replica].flatMap((template) =>
      resourcesOfType(template, "AWS::KMS::Key"),
    );

    // Assess: queue, alert topic, alarm topic, logs; + the data key of each region with SSE-KMS
    expect(keys).toHaveLength(4 + 4 + 1 + 1);
    for (const [id, key] of keys) {
      expect({ id, tags: key.Properties.Tags }).toEqual({
        id,
        tags: [{ Key: DEPLOY_SCOPE_TAG, Value: "backup-validator-dev" }],
      });
    }
  });

  it("queue key: EventBridge and each function role for exactly what they do", () => {
    expect(statement("QueueKey", "EventBridgeSendsToEncryptedQueues")).toMatchObject({
      Principal: { Service: "events.amazonaws.com" },
      Action: ["kms:GenerateDataKey", "kms:Decrypt"],
      // Only EventBridge rules of this account (confused deputy)
      Condition: { StringEquals: { "aws:SourceAccount": { Ref: "AWS::AccountId" } } },
    });
    expect(statement("QueueKey", "ChecksumValidatorReceivesAndSends")).toMatchObject({
      Principal: { AWS: { "Fn::GetAtt": ["ChecksumValidatorRole", "Arn"] } },
      Action: ["kms:Decrypt", "kms:GenerateDataKey"],
      Condition: {
        StringEquals: { "kms:ViaService": { "Fn::Sub": `sqs.\${AWS::Region}.amazonaws.com` } },
      },
    });
    expect(statement("QueueKey", "FailureNotifierReceives")).toMatchObject({
      Principal: { AWS: { "Fn::GetAtt": ["FailureNotifierRole", "Arn"] } },
      Action: ["kms:Decrypt"],
    });
  });

  it("alert topic key: the notifier only; alarm topic key: CloudWatch alarms of this account only", () => {
    // Publishers of an SSE-KMS topic need kms:GenerateDataKey* (not only GenerateDataKey).
    expect(statement("TopicKey", "FailureNotifierPublishes")).toMatchObject({
      Principal: { AWS: { "Fn::GetAtt": ["FailureNotifierRole", "Arn"] } },
      Action: ["kms:GenerateDataKey*", "kms:Decrypt"],
    });
    expect(statement("AlarmTopicKey", "CloudWatchAlarmsPublish")).toMatchObject({
      Principal: { Service: "cloudwatch.amazonaws.com" },
      Action: ["kms:GenerateDataKey*", "kms:Decrypt"],
      Condition: { StringEquals: { "aws:SourceAccount": { Ref: "AWS::AccountId" } } },
    });
    // Two keys: a broken alert topic key cannot silence the alarms.
    const alertKey = JSON.stringify(resource(t, "TopicKey").Properties.KeyPolicy);
    expect(alertKey).not.toContain("ChecksumValidatorRole");
    expect(alertKey).not.toContain("cloudwatch.amazonaws.com");
    const alarmKey = JSON.stringify(resource(t, "AlarmTopicKey").Properties.KeyPolicy);
    expect(alarmKey).not.toContain("Role");
  });
});

describe("alert topic", () => {
  it("is encrypted with its own key and accepts requests over TLS only", () => {
    const topic = resource(t, "AlertTopic").Properties;
    expect(topic.TopicName).toBe(names.alertTopic);
    expect(topic.KmsMasterKeyId).toEqual({ "Fn::GetAtt": ["TopicKey", "Arn"] });
    const statements = resource(t, "AlertTopicPolicy").Properties.PolicyDocument.Statement;
    expect(statements).toEqual([
      expect.objectContaining({
        Effect: "Deny",
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      }),
    ]);
  });
});

describe("alarm topic", () => {
  it("is a topic of its own, with its own key, that this stage's alarms may publish to", () => {
    const topic = resource(t, "AlarmTopic").Properties;
    expect(topic.TopicName).toBe(names.alarmTopic);
    expect(topic.KmsMasterKeyId).toEqual({ "Fn::GetAtt": ["AlarmTopicKey", "Arn"] });
    const statements = resource(t, "AlarmTopicPolicy").Properties.PolicyDocument.Statement;
    expect(statements[0]).toMatchObject({
      Principal: { Service: "cloudwatch.amazonaws.com" },
      Action: "sns:Publish",
      Condition: { StringEquals: { "aws:SourceAccount": { Ref: "AWS::AccountId" } } },
    });
    expect(sub(statements[0].Condition.ArnLike["aws:SourceArn"])).toBe(
      `arn:aws:cloudwatch:us-east-1:${ACCOUNT_ID}:alarm:backup-validator-dev-*`,
    );
    expect(statements[1]).toMatchObject({
      Effect: "Deny",
      Condition: { Bool: { "aws:SecureTransport": "false" } },
    });
  });

  it("a pager gets critical alerts and every alarm (no single filter policy could)", async () => {
    // Prepare
    const paged = await packaged([
      "pagerEndpoints=https://events.example.com/integration/k/enqueue",
    ]);

    // Act
    const subscriptions = resourcesOfType(paged.primary, "AWS::SNS::Subscription").map(
      ([, subscription]) => subscription.Properties,
    );

    // Assess
    expect(subscriptions).toEqual([
      {
        TopicArn: { Ref: "AlertTopic" },
        Protocol: "https",
        Endpoint: "https://events.example.com/integration/k/enqueue",
        FilterPolicyScope: "MessageAttributes",
        FilterPolicy: { severity: ["critical"] },
      },
      {
        TopicArn: { Ref: "AlarmTopic" },
        Protocol: "https",
        Endpoint: "https://events.example.com/integration/k/enqueue",
      },
    ]);
  }, 120_000);
});

describe("alerts-sent table", () => {
  it("is the layout Powertools idempotency expects: key id, TTL on expiration, on demand", () => {
    const table = resource(t, "AlertsSentTable");
    expect(table.Properties).toEqual({
      TableName: names.alertsSentTable,
      BillingMode: "PAY_PER_REQUEST",
      AttributeDefinitions: [{ AttributeName: "id", AttributeType: "S" }],
      KeySchema: [{ AttributeName: "id", KeyType: "HASH" }],
      TimeToLiveSpecification: { AttributeName: "expiration", Enabled: true },
    });
  });
});

describe("functions", () => {
  const fn = (key: keyof typeof names.functions) => {
    const found = resourcesOfType(t, "AWS::Lambda::Function").find(
      ([, f]) => f.Properties.FunctionName === names.functions[key],
    );
    if (found === undefined) throw new Error(`${key} not packaged`);
    return found[1].Properties;
  };

  it("run nodejs24.x on arm64, each with its own role and no shared execution role", () => {
    expect(resourcesOfType(t, "AWS::Lambda::Function")).toHaveLength(4);
    expect(t.Resources.IamRoleLambdaExecution).toBeUndefined();
    for (const [key, role] of [
      ["checksum-validator", "ChecksumValidatorRole"],
      ["failure-notifier", "FailureNotifierRole"],
      ["audit-starter", "AuditStarterRole"],
      ["audit-worker", "AuditWorkerRole"],
    ] as const) {
      expect(fn(key)).toMatchObject({
        Handler: `functions/${key}/handler.handler`,
        Runtime: "nodejs24.x",
        Architectures: ["arm64"],
        Timeout: settings.functions[key].timeoutSeconds,
        Role: { "Fn::GetAtt": [role, "Arn"] },
      });
    }
  });

  it("give the validator the contract's environment, with real bucket pairs", () => {
    const env = fn("checksum-validator").Environment.Variables;
    expect(env).toMatchObject({
      REPLICA_REGION: "us-west-2",
      VALIDATION_QUEUE_URL: { Ref: "ValidationQueue" },
      FAILURE_QUEUE_URL: { Ref: "FailureQueue" },
      REPLICATION_DEADLINE_SECONDS: "900",
      DEEP_VERIFY_MAX_BYTES: String(settings.deepVerification.maxBytes),
      DEEP_VERIFY_READ: settings.deepVerification.read,
      DEEP_VERIFY_CONCURRENCY: String(settings.deepVerification.concurrency),
      STAGE: "dev",
      POWERTOOLS_SERVICE_NAME: "checksum-validator",
      POWERTOOLS_METRICS_NAMESPACE: "BackupValidator",
      POWERTOOLS_LOG_LEVEL: "INFO",
    });
    const pairs = parseBucketPairs(sub(env.BUCKET_PAIRS));
    expect([...pairs.values()]).toEqual(
      names.buckets.map((pair) => ({
        primaryBucket: pair.primaryBucket,
        replicaBucket: pair.replicaBucket,
        category: pair.category,
      })),
    );
    expect(sub(t.Outputs.BucketPairs?.Value)).toBe(sub(env.BUCKET_PAIRS));
  });

  it("give the notifier the topic, the stage, its alerts-sent table and the window", () => {
    expect(fn("failure-notifier").Environment.Variables).toMatchObject({
      ALERT_TOPIC_ARN: { Ref: "AlertTopic" },
      STAGE: "dev",
      ALERTS_SENT_TABLE: { Ref: "AlertsSentTable" },
      ALERT_DEDUPLICATION_WINDOW_SECONDS: "86400",
      CHAT_NOTIFICATIONS: "false",
      POWERTOOLS_SERVICE_NAME: "failure-notifier",
    });
  });

  it("consume their queue with partial batch failures, batching and a concurrency cap", () => {
    for (const [key, queueId] of [
      ["checksum-validator", "ValidationQueue"],
      ["failure-notifier", "FailureQueue"],
    ] as const) {
      const mapping = resourcesOfType(t, "AWS::Lambda::EventSourceMapping").find(
        ([, m]) => m.Properties.EventSourceArn["Fn::GetAtt"][0] === queueId,
      )?.[1].Properties;
      const expected = settings.functions[key];
      expect(mapping).toMatchObject({
        FunctionResponseTypes: ["ReportBatchItemFailures"],
        BatchSize: expected.batchSize,
        MaximumBatchingWindowInSeconds: expected.maximumBatchingWindowSeconds,
        ScalingConfig: { MaximumConcurrency: expected.maximumConcurrency },
        Enabled: true,
      });
    }
  });

  it("log to KMS-encrypted log groups with a retention period", () => {
    for (const [, group] of resourcesOfType(t, "AWS::Logs::LogGroup")) {
      expect(group.Properties.RetentionInDays).toBe(settings.logRetentionDays);
      expect(group.Properties.KmsKeyId).toEqual({ "Fn::GetAtt": ["LogsKey", "Arn"] });
    }
    expect(resourcesOfType(t, "AWS::Logs::LogGroup")).toHaveLength(4);
  });
});

describe("function roles", () => {
  const statementsOf = (roleId: string) =>
    (
      resource(t, roleId).Properties.Policies[0].PolicyDocument.Statement as {
        Action: string[];
        Resource: unknown;
      }[]
    ).map((s) => ({ Action: s.Action, Resource: [s.Resource].flat().map(sub) }));
  const objects = (bucket: "primaryBucket" | "replicaBucket") =>
    names.buckets.map((pair) => `arn:aws:s3:::${pair[bucket]}/*`);
  const buckets = (bucket: "primaryBucket" | "replicaBucket") =>
    names.buckets.map((pair) => `arn:aws:s3:::${pair[bucket]}`);
  const queueArn = (name: string) => `arn:aws:sqs:us-east-1:${ACCOUNT_ID}:${name}`;
  const logGroup = (fn: string) =>
    `arn:aws:logs:us-east-1:${ACCOUNT_ID}:log-group:/aws/lambda/${fn}:*`;

  it("checksum-validator: HEAD and list paired buckets, consume and re-queue, report failures", () => {
    expect(statementsOf("ChecksumValidatorRole")).toEqual([
      {
        Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
        Resource: [logGroup(names.functions["checksum-validator"])],
      },
      {
        Action: ["s3:GetObject", "s3:GetObjectVersion"],
        Resource: [...objects("primaryBucket"), ...objects("replicaBucket")],
      },
      {
        Action: ["s3:ListBucket"],
        Resource: [...buckets("primaryBucket"), ...buckets("replicaBucket")],
      },
      {
        Action: ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"],
        Resource: [queueArn(names.validationQueue)],
      },
      {
        Action: ["sqs:SendMessage"],
        Resource: [queueArn(names.validationQueue), queueArn(names.failureQueue)],
      },
    ]);
  });

  it("failure-notifier: consume the failure queue and publish alerts, no S3", () => {
    expect(statementsOf("FailureNotifierRole")).toEqual([
      {
        Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
        Resource: [logGroup(names.functions["failure-notifier"])],
      },
      {
        Action: ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"],
        Resource: [queueArn(names.failureQueue)],
      },
      {
        Action: ["sns:Publish"],
        Resource: [`arn:aws:sns:us-east-1:${ACCOUNT_ID}:${names.alertTopic}`],
      },
      {
        Action: [
          "dynamodb:GetItem",
          "dynamodb:PutItem",
          "dynamodb:UpdateItem",
          "dynamodb:DeleteItem",
        ],
        Resource: [`arn:aws:dynamodb:us-east-1:${ACCOUNT_ID}:table/${names.alertsSentTable}`],
      },
    ]);
  });

  it("no IAM role in the stack allows a wildcard action or resource, but CreateJob (it has no resource)", () => {
    for (const [id, role] of resourcesOfType(t, "AWS::IAM::Role")) {
      for (const policy of role.Properties.Policies) {
        expect(
          actionsOf(policy.PolicyDocument).filter((a) => a.includes("*")),
          id,
        ).toEqual([]);
        for (const s of policy.PolicyDocument.Statement) {
          if (s.Action === "s3:CreateJob") continue;
          expect([s.Resource].flat(), id).not.toContain("*");
        }
      }
      expect(role.Properties.ManagedPolicyArns, id).toBeUndefined();
    }
  });
});

describe("alarms", () => {
  const alarm = (id: string) => resource(t, id).Properties;
  const custom = (service: string, metric: string) => ({
    Namespace: "BackupValidator",
    MetricName: metric,
    // The one dimension Powertools Metrics gives every metric: the emitting function.
    Dimensions: [{ Name: "service", Value: service }],
    Statistic: "Sum",
    Threshold: 0,
    ComparisonOperator: "GreaterThanThreshold",
  });

  it("all notify the alarm topic (never the alert topic), on alarm and when back to OK", () => {
    const alarms = resourcesOfType(t, "AWS::CloudWatch::Alarm");
    // 18 of the pipeline, 5 of the audit (test/resources/cloudformation/primary/audit.test.ts).
    expect(alarms).toHaveLength(18 + 5 + 2 * names.buckets.length);
    for (const [id, { Properties: p }] of alarms) {
      expect(p.AlarmActions, id).toEqual([{ Ref: "AlarmTopic" }]);
      expect(p.OKActions, id).toEqual([{ Ref: "AlarmTopic" }]);
      expect(p.ActionsEnabled, id).toBe(true);
      expect(p.TreatMissingData, id).toBe("notBreaching");
      expect(p.AlarmName, id).toMatch(/^backup-validator-dev-[a-z0-9-]+$/);
    }
  });

  it.each([
    ["ValidationDlqNotEmptyAlarm", "ValidationDlq"],
    ["FailureDlqNotEmptyAlarm", "FailureDlq"],
  ])("%s fires on any message in %s", (id, dlqId) => {
    expect(alarm(id)).toMatchObject({
      Namespace: "AWS/SQS",
      MetricName: "ApproximateNumberOfMessagesVisible",
      Dimensions: [{ Name: "QueueName", Value: { "Fn::GetAtt": [dlqId, "QueueName"] } }],
      Threshold: 0,
    });
  });

  it.each([
    ["ValidationDlqOldestMessageAlarm", "ValidationDlq"],
    ["FailureDlqOldestMessageAlarm", "FailureDlq"],
  ])("%s reminds of dead letters in %s well before they expire", (id, dlqId) => {
    // A dead letter expires by its first enqueue time: it may arrive with only
    // DLQ retention - source retention (14 - 4 = 10 days) left.
    const leastTimeInDlq =
      settings.queues.dlqMessageRetentionSeconds -
      settings.queues.validation.messageRetentionSeconds;
    expect(alarm(id)).toMatchObject({
      Namespace: "AWS/SQS",
      MetricName: "ApproximateAgeOfOldestMessage",
      Dimensions: [{ Name: "QueueName", Value: { "Fn::GetAtt": [dlqId, "QueueName"] } }],
      Statistic: "Maximum",
    });
    expect(alarm(id).Threshold).toBeLessThanOrEqual(leastTimeInDlq / 2);
  });

  it.each(["checksum-validator", "failure-notifier"] as const)(
    "%s: errors, failed records (which Errors never counts), throttles and a duration near the timeout",
    (key) => {
      const id = key === "checksum-validator" ? "ChecksumValidator" : "FailureNotifier";
      const dimensions = [{ Name: "FunctionName", Value: names.functions[key] }];
      expect(alarm(`${id}ErrorsAlarm`)).toMatchObject({
        Namespace: "AWS/Lambda",
        MetricName: "Errors",
        Dimensions: dimensions,
        Statistic: "Sum",
        Threshold: 0,
      });
      // The handlers return failed records instead of throwing: only this metric sees them.
      expect(alarm(`${id}RecordsFailedAlarm`)).toMatchObject(custom(key, "RecordsFailed"));
      expect(alarm(`${id}ThrottlesAlarm`)).toMatchObject({
        Namespace: "AWS/Lambda",
        MetricName: "Throttles",
        Dimensions: dimensions,
        Statistic: "Sum",
        Threshold: 0,
      });
      expect(alarm(`${id}DurationAlarm`)).toMatchObject({
        Namespace: "AWS/Lambda",
        MetricName: "Duration",
        Dimensions: dimensions,
        Statistic: "Maximum",
        // milliseconds: 80 % of the timeout
        Threshold: settings.functions[key].timeoutSeconds * 1000 * 0.8,
      });
    },
  );

  it("fire when the notifier cannot publish, and when SNS cannot deliver an alert", () => {
    expect(alarm("AlertPublishFailuresAlarm")).toMatchObject(
      custom("failure-notifier", "AlertPublishFailures"),
    );
    expect(alarm("AlertDeliveryFailuresAlarm")).toMatchObject({
      Namespace: "AWS/SNS",
      MetricName: "NumberOfNotificationsFailed",
      Dimensions: [{ Name: "TopicName", Value: { "Fn::GetAtt": ["AlertTopic", "TopicName"] } }],
      Threshold: 0,
    });
  });

  it("fire on old messages in the validation queue and in the failure queue", () => {
    expect(alarm("ValidationQueueOldestMessageAlarm")).toMatchObject({
      MetricName: "ApproximateAgeOfOldestMessage",
      Threshold: settings.alarms.oldestValidationMessageAgeSeconds,
    });
    expect(alarm("FailureQueueOldestMessageAlarm")).toMatchObject({
      MetricName: "ApproximateAgeOfOldestMessage",
      Dimensions: [{ Name: "QueueName", Value: { "Fn::GetAtt": ["FailureQueue", "QueueName"] } }],
      Threshold: settings.alarms.oldestFailureMessageAgeSeconds,
    });
  });

  it("fire when the rule fails to deliver an event, and when it cannot even dead-letter it", () => {
    for (const [id, metric] of [
      ["EventRuleFailedInvocationsAlarm", "FailedInvocations"],
      ["EventRuleDlqFailuresAlarm", "InvocationsFailedToBeSentToDlq"],
    ]) {
      expect(alarm(id ?? "")).toMatchObject({
        Namespace: "AWS/Events",
        MetricName: metric,
        // The default bus: RuleName alone (Ref of a rule on it is its name).
        Dimensions: [{ Name: "RuleName", Value: { Ref: "ObjectCreatedRule" } }],
        Statistic: "Sum",
        Threshold: 0,
      });
    }
  });

  it("have no heartbeat unless asked; --param heartbeatHours=N fires after N silent hours", async () => {
    // Prepare
    const withHeartbeat = await packaged(["heartbeatHours=6"]);

    // Assess
    expect(t.Resources.NoUploadEventsAlarm).toBeUndefined();
    expect(resource(withHeartbeat.primary, "NoUploadEventsAlarm").Properties).toMatchObject({
      Namespace: "AWS/Events",
      MetricName: "MatchedEvents",
      Dimensions: [{ Name: "RuleName", Value: { Ref: "ObjectCreatedRule" } }],
      Statistic: "Sum",
      Period: 3600,
      EvaluationPeriods: 6,
      Threshold: 1,
      ComparisonOperator: "LessThanThreshold",
      // MatchedEvents is not sent while nothing matches: silence must count as breaching.
      TreatMissingData: "breaching",
      AlarmActions: [{ Ref: "AlarmTopic" }],
    });
  }, 120_000);

  it("fire per pair on failed replication and on latency above the deadline", () => {
    for (const pair of names.buckets) {
      const category = pascal(pair.category);
      const dimensions = (id: string) =>
        alarm(id).Dimensions.map((d: { Name: string; Value: unknown }) => [d.Name, sub(d.Value)]);
      const expected = [
        ["SourceBucket", pair.primaryBucket],
        ["DestinationBucket", pair.replicaBucket],
        ["RuleId", `replicate-${pair.category}`],
      ];
      expect(alarm(`ReplicationFailed${category}Alarm`)).toMatchObject({
        Namespace: "AWS/S3",
        MetricName: "OperationsFailedReplication",
        Statistic: "Sum",
        Threshold: 0,
      });
      expect(dimensions(`ReplicationFailed${category}Alarm`)).toEqual(expected);
      expect(alarm(`ReplicationLatency${category}Alarm`)).toMatchObject({
        MetricName: "ReplicationLatency",
        Statistic: "Maximum",
        Threshold: 900,
      });
      expect(dimensions(`ReplicationLatency${category}Alarm`)).toEqual(expected);
    }
  });

  it("tell on-call which command to run", () => {
    expect(alarm("ValidationDlqNotEmptyAlarm").AlarmDescription).toContain(
      "npm run dlq -- inspect --stage dev --queue validation",
    );
    expect(alarm("FailureDlqOldestMessageAlarm").AlarmDescription).toContain(
      "npm run redrive -- --stage dev --queue failure",
    );
  });
});

describe("dashboard", () => {
  const body = () => JSON.parse(sub(resource(t, "Dashboard").Properties.DashboardBody));
  const metricsOf = (title: RegExp) =>
    body()
      .widgets.filter((widget: any) => title.test(widget.properties.title ?? ""))
      .flatMap((widget: any) => widget.properties.metrics);

  it("shows every alarm's state first", () => {
    const [first] = body().widgets;
    const alarmNames = resourcesOfType(t, "AWS::CloudWatch::Alarm").map(
      ([, alarm]) =>
        `arn:aws:cloudwatch:us-east-1:${ACCOUNT_ID}:alarm:${alarm.Properties.AlarmName}`,
    );
    expect(first).toMatchObject({ type: "alarm", x: 0, y: 0, width: 24 });
    expect(first.properties.alarms).toEqual(alarmNames);
  });

  it("shows verdict rates for every validator verdict, alerts and duplicates", () => {
    const verdicts = metricsOf(/^Verdicts/).map((metric: unknown[]) => metric[1]);
    expect(verdicts).toEqual(
      expect.arrayContaining(["Outcome.MATCH", "Outcome.MISMATCH", "Outcome.REPLICATION_OVERDUE"]),
    );
    for (const metric of metricsOf(/^Verdicts/)) {
      expect(metric.slice(0, 4)).toEqual([
        "BackupValidator",
        metric[1],
        "service",
        "checksum-validator",
      ]);
    }
    expect(metricsOf(/^Alerts/).map((metric: unknown[]) => metric[1])).toEqual([
      "AlertsPublished",
      "MessagesAlerted",
      "DuplicateReportsSuppressed",
    ]);
  });

  it("shows observed replication lag, failures, queue ages, deep-verification bytes and the audits", () => {
    const metricNames = (title: RegExp) => metricsOf(title).map((metric: unknown[]) => metric[1]);
    expect(metricNames(/^Replication lag observed/)).toEqual(
      expect.arrayContaining(["ReplicationLagObserved", "ReplicationLatency"]),
    );
    expect(metricNames(/^Failures/)).toEqual(
      expect.arrayContaining([
        "RecordsFailed",
        "AlertPublishFailures",
        "Errors",
        "Throttles",
        "OperationsFailedReplication",
      ]),
    );
    expect(metricsOf(/^Oldest message per queue/).map((metric: unknown[]) => metric[3])).toEqual([
      names.validationQueue,
      names.validationDlq,
      names.failureQueue,
      names.failureDlq,
    ]);
    expect(metricNames(/^Deep verification/)).toEqual(["DeepVerificationBytesRead"]);
    expect(metricNames(/^Audits in the time range/)).toEqual([
      "AuditObjectsChecked",
      "AuditProblems",
    ]);
    expect(metricNames(/^Audit: objects checked/)).toEqual([
      "AuditObjectsChecked",
      "AuditProblems",
    ]);
    // Laid out without overlap: no two widgets share a cell.
    const cells = body().widgets.map((widget: any) => `${widget.x},${widget.y}`);
    expect(new Set(cells).size).toBe(cells.length);
  });
});

describe("outputs", () => {
  it("are the contract's, with real names", () => {
    // The names the on-call tooling reads, plus one bucket output per category
    expect(Object.keys(t.Outputs)).toEqual(
      expect.arrayContaining([
        ...REQUIRED_OUTPUT_NAMES,
        ...OPTIONAL_OUTPUT_NAMES.filter((name) => !LOCAL_ONLY_OUTPUT_NAMES.includes(name)),
        "PrimaryBucketDocuments",
        "ReplicaBucketDocuments",
      ]),
    );
    expect(t.Outputs.ValidationQueueUrl?.Value).toEqual({ Ref: "ValidationQueue" });
    expect(t.Outputs.FailureDlqArn?.Value).toEqual({ "Fn::GetAtt": ["FailureDlq", "Arn"] });
    expect(t.Outputs.ReplicaRegion?.Value).toBe("us-west-2");
    expect(t.Outputs.Stage?.Value).toBe("dev");
    // The deadline the validator gets (REPLICATION_DEADLINE_SECONDS "900"), for `npm run verify`.
    expect(t.Outputs.ReplicationDeadlineSeconds?.Value).toBe("900");
    expect(t.Outputs.AlarmTopicArn?.Value).toEqual({ Ref: "AlarmTopic" });
    expect(t.Outputs.AlarmNamePrefix?.Value).toBe("backup-validator-dev-");
    expect(sub(t.Outputs.ReplicaBucketMedia?.Value)).toBe(names.buckets[1]?.replicaBucket);
  });
});

describe("packaging", () => {
  it(`never asks STS for the account id (\${aws:accountId} would need credentials)`, () => {
    expect(JSON.stringify(t)).not.toContain("aws:accountId");
    expect(JSON.stringify(pkg.replica)).not.toContain("aws:accountId");
  });
});

describe("trust limited to this stage's own callers", () => {
  it("lets EventBridge use the queue key for the stage's Object Created rule only", () => {
    // Prepare
    const rule = resource(t, "ObjectCreatedRule").Properties;
    const statements = resource(t, "QueueKey").Properties.KeyPolicy.Statement as {
      Sid: string;
      Condition: Record<string, Record<string, unknown>>;
    }[];
    const eventBridge = statements.find((s) => s.Sid === "EventBridgeSendsToEncryptedQueues");

    // Assess
    expect(rule.Name).toBe(names.objectCreatedRule);
    expect(eventBridge?.Condition.StringEquals).toEqual({
      "aws:SourceAccount": { Ref: "AWS::AccountId" },
    });
    expect(sub(eventBridge?.Condition.ArnEquals?.["aws:SourceArn"])).toBe(
      `arn:aws:events:us-east-1:${ACCOUNT_ID}:rule/${names.objectCreatedRule}`,
    );
  });

  it("lets the checksum-validator decrypt only objects of the paired buckets", () => {
    const statements = resource(kms.primary, "ChecksumValidatorRole").Properties.Policies[0]
      .PolicyDocument.Statement as { Sid: string; Condition?: Record<string, any> }[];
    const primaryKey = statements.find((s) => s.Sid === "ReadChecksumsOfKmsPrimaryObjects");
    const context = primaryKey?.Condition?.StringLike["kms:EncryptionContext:aws:s3:arn"];
    expect(context.map(sub)).toEqual(
      kmsNames.buckets.flatMap((pair) => [
        `arn:aws:s3:::${pair.primaryBucket}`,
        `arn:aws:s3:::${pair.primaryBucket}/*`,
      ]),
    );
  });
});
