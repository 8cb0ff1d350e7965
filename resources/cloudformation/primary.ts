/**
 * The primary stack (`backup-validator-<stage>` in the primary region): primary buckets with
 * replication to the replica stack's buckets, the EventBridge rule, the queues, the alert topic,
 * the KMS keys, the two function roles, the alarms and the dashboard. The functions themselves
 * are declared in serverless.yml and use the roles and environment built here.
 */
import { ConfigurationError } from "../../shared/errors.ts";
import {
  CLOUDFORMATION_ACCOUNT_ID,
  type FunctionKey,
  type ResourceNames,
  settings,
} from "../settings.ts";
import { namesFor, type StackInputs } from "./inputs.ts";
import {
  getAtt,
  lambdaLogGroupName,
  logGroupArn,
  type Outputs,
  type PolicyStatement,
  pascalCase,
  policyDocument,
  type Resource,
  type Resources,
  ref,
  s3BucketArn,
  s3ObjectsArn,
  snsTopicArn,
  sqsQueueArn,
  sub,
  withPermissionsBoundary,
} from "./intrinsics.ts";
import { REPLICA_OUTPUTS } from "./replica.ts";
import {
  ACCESS_LOGS_BUCKET,
  accessLogsResources,
  DATA_KEY,
  dataBucket,
  dataKeyResources,
  deploymentBucketExtension,
  deployScopeTags,
  keyPolicy,
  tlsOnlyBucketPolicy,
} from "./storage.ts";

export const LOGICAL_IDS = {
  replicationRole: "ReplicationRole",
  queueKey: "QueueKey",
  topicKey: "TopicKey",
  logsKey: "LogsKey",
  validationQueue: "ValidationQueue",
  validationDlq: "ValidationDlq",
  failureQueue: "FailureQueue",
  failureDlq: "FailureDlq",
  rule: "ObjectCreatedRule",
  topic: "AlertTopic",
  dashboard: "Dashboard",
  roles: {
    "checksum-validator": "ChecksumValidatorRole",
    "failure-notifier": "FailureNotifierRole",
  } satisfies Record<FunctionKey, string>,
  // osls names a function <NormalizedName>LambdaFunction, its log group <NormalizedName>LogGroup
  // ("-" becomes "Dash").
  functions: {
    "checksum-validator": "ChecksumDashvalidatorLambdaFunction",
    "failure-notifier": "FailureDashnotifierLambdaFunction",
  } satisfies Record<FunctionKey, string>,
  logGroups: {
    "checksum-validator": "ChecksumDashvalidatorLogGroup",
    "failure-notifier": "FailureDashnotifierLogGroup",
  } satisfies Record<FunctionKey, string>,
} as const;

export const primaryBucketLogicalId = (category: string) => `PrimaryBucket${pascalCase(category)}`;
/** S3 replication rule id; also the RuleId dimension of the replication metrics. */
export const replicationRuleId = (category: string) => `replicate-${category}`;

/** What the primary stack needs from the replica stack (read at deploy time). */
export interface ReplicaFacts {
  /** The replica data key's ARN; only with SSE-KMS. */
  readonly dataKeyArn?: unknown;
}

/** Looks up a replica stack output; given by the osls `${file()}` resolver at deploy time. */
export type ReplicaOutputReader = (outputName: string) => Promise<string | null>;

/**
 * Reads the replica stack's outputs, checking that it was deployed (first) with the same
 * categories and encryption. Offline (`--param replicaLookup=offline`) it returns placeholders.
 */
export async function readReplicaFacts(
  inputs: StackInputs,
  readOutput: ReplicaOutputReader,
): Promise<ReplicaFacts> {
  const names = namesFor(inputs);
  if (inputs.replicaLookup === "offline") {
    return inputs.bucketEncryption === "SSE-KMS"
      ? {
          // Placeholder for packages that are linted and tested, never deployed.
          dataKeyArn: sub(
            `arn:\${AWS::Partition}:kms:${inputs.replicaRegion}:\${AWS::AccountId}:key/00000000-0000-0000-0000-000000000000`,
          ),
        }
      : {};
  }
  const where = `stack ${names.replicaStack} in ${inputs.replicaRegion}`;
  const deployFirst = `Deploy the replica stack first: npm run deploy -- --stage ${inputs.stage}`;
  const read = async (output: string) => {
    const value = await readOutput(output);
    if (value === null || value === "") {
      throw new ConfigurationError(output, `is not an output of ${where}. ${deployFirst}`);
    }
    return value;
  };
  const deployedNames = (await read(REPLICA_OUTPUTS.bucketNames)).split(",");
  const sameBuckets =
    deployedNames.length === names.buckets.length &&
    names.buckets.every((pair, index) =>
      withAnyAccountId(pair.replicaBucket).test(deployedNames[index] ?? ""),
    );
  if (!sameBuckets) {
    throw new ConfigurationError(
      REPLICA_OUTPUTS.bucketNames,
      `of ${where} does not match the categories ${inputs.categories.join(",")}. ${deployFirst}`,
      deployedNames.join(","),
    );
  }
  const encryption = await read(REPLICA_OUTPUTS.bucketEncryption);
  if (encryption !== inputs.bucketEncryption) {
    throw new ConfigurationError(
      REPLICA_OUTPUTS.bucketEncryption,
      `of ${where} differs from --param bucketEncryption=${inputs.bucketEncryption}. ${deployFirst}`,
      encryption,
    );
  }
  return inputs.bucketEncryption === "SSE-KMS"
    ? { dataKeyArn: await read(REPLICA_OUTPUTS.dataKeyArn) }
    : {};
}

/** The name pattern with `${AWS::AccountId}` standing for any 12-digit account id. */
function withAnyAccountId(name: string): RegExp {
  const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`^${name.split(CLOUDFORMATION_ACCOUNT_ID).map(escapeRegExp).join("\\d{12}")}$`);
}

export function primaryStack(inputs: StackInputs, replica: ReplicaFacts) {
  const names = namesFor(inputs);
  const resources: Resources = {
    ...accessLogsResources(
      names.accessLogsBuckets.primary,
      names.buckets.map((pair) => pair.primaryBucket),
    ),
    ...dataKeyResources(inputs, `backup-validator ${inputs.stage}: primary data buckets`),
    ...storageResources(inputs, names, replica),
    ...keyResources(inputs, names),
    ...queueResources(names),
    ...ruleResources(names),
    ...topicResources(inputs, names),
    ...functionRoles(inputs, names, replica),
    ...alarmResources(inputs, names),
    [LOGICAL_IDS.dashboard]: dashboard(inputs, names),
  };
  return {
    Resources: withPermissionsBoundary(resources, inputs.permissionsBoundary),
    Outputs: outputs(inputs, names),
    extensions: {
      ...deploymentBucketExtension(),
      // osls adds `DependsOn: <role>` next to `Role: !GetAtt <role>.Arn`; cfn-lint W3005 flags
      // the redundancy, which is harmless and not ours to remove.
      ...Object.fromEntries(
        Object.values(LOGICAL_IDS.functions).map((logicalId) => [
          logicalId,
          { Metadata: { "cfn-lint": { config: { ignore_checks: ["W3005"] } } } },
        ]),
      ),
      // Function log groups are created by osls; encrypt them with the logs key (CT.CLOUDWATCH.PR.3).
      ...Object.fromEntries(
        Object.values(LOGICAL_IDS.logGroups).map((logicalId) => [
          logicalId,
          { Properties: { KmsKeyId: getAtt(LOGICAL_IDS.logsKey, "Arn") } },
        ]),
      ),
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Buckets and replication

function storageResources(inputs: StackInputs, names: ResourceNames, replica: ReplicaFacts) {
  const resources: Resources = {};
  const kms = inputs.bucketEncryption === "SSE-KMS";
  for (const pair of names.buckets) {
    const logicalId = primaryBucketLogicalId(pair.category);
    resources[logicalId] = dataBucket(inputs, pair.primaryBucket, `primary/${pair.category}/`, {
      ReplicationConfiguration: {
        Role: getAtt(LOGICAL_IDS.replicationRole, "Arn"),
        Rules: [
          {
            Id: replicationRuleId(pair.category),
            Status: "Enabled",
            Priority: 1,
            // A Filter makes this a V2 rule, which is what allows delete-marker replication.
            Filter: { Prefix: "" },
            DeleteMarkerReplication: { Status: "Enabled" },
            ...(kms
              ? { SourceSelectionCriteria: { SseKmsEncryptedObjects: { Status: "Enabled" } } }
              : {}),
            Destination: {
              Bucket: s3BucketArn(pair.replicaBucket),
              // Replication metrics make OperationsFailedReplication and ReplicationLatency
              // exist; RTC (15-minute SLA) requires them.
              // https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-metrics.html
              Metrics: inputs.replicationTimeControl
                ? { Status: "Enabled", EventThreshold: { Minutes: 15 } }
                : { Status: "Enabled" },
              ...(inputs.replicationTimeControl
                ? { ReplicationTime: { Status: "Enabled", Time: { Minutes: 15 } } }
                : {}),
              ...(kms ? { EncryptionConfiguration: { ReplicaKmsKeyID: replica.dataKeyArn } } : {}),
            },
          },
        ],
      },
    });
    resources[`${logicalId}Policy`] = tlsOnlyBucketPolicy(logicalId);
  }
  resources[LOGICAL_IDS.replicationRole] = replicationRole(inputs, names, replica);
  return resources;
}

/**
 * Least-privilege CRR role.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/setting-repl-config-perm-overview.html
 */
function replicationRole(
  inputs: StackInputs,
  names: ResourceNames,
  replica: ReplicaFacts,
): Resource {
  const primaries = names.buckets.map((pair) => pair.primaryBucket);
  const replicas = names.buckets.map((pair) => pair.replicaBucket);
  const statements: PolicyStatement[] = [
    {
      Sid: "ReadReplicationConfiguration",
      Effect: "Allow",
      Action: ["s3:GetReplicationConfiguration", "s3:ListBucket"],
      Resource: primaries.map(s3BucketArn),
    },
    {
      Sid: "ReadSourceVersions",
      Effect: "Allow",
      Action: [
        "s3:GetObjectVersionForReplication",
        "s3:GetObjectVersionAcl",
        "s3:GetObjectVersionTagging",
      ],
      Resource: primaries.map(s3ObjectsArn),
    },
    {
      Sid: "WriteReplicas",
      Effect: "Allow",
      Action: ["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"],
      Resource: replicas.map(s3ObjectsArn),
    },
  ];
  if (inputs.bucketEncryption === "SSE-KMS") {
    // https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-config-for-kms-objects.html
    // With S3 Bucket Keys the encryption context is the bucket ARN, without them the object ARN.
    const context = (buckets: readonly string[]) => ({
      "kms:EncryptionContext:aws:s3:arn": buckets.flatMap((bucket) => [
        s3BucketArn(bucket),
        s3ObjectsArn(bucket),
      ]),
    });
    statements.push(
      {
        Sid: "DecryptSourceObjects",
        Effect: "Allow",
        Action: ["kms:Decrypt"],
        Resource: getAtt(DATA_KEY, "Arn"),
        Condition: {
          StringEquals: { "kms:ViaService": `s3.${inputs.primaryRegion}.amazonaws.com` },
          StringLike: context(primaries),
        },
      },
      {
        Sid: "EncryptReplicas",
        Effect: "Allow",
        Action: ["kms:Encrypt", "kms:GenerateDataKey"],
        Resource: replica.dataKeyArn,
        Condition: {
          StringEquals: { "kms:ViaService": `s3.${inputs.replicaRegion}.amazonaws.com` },
          StringLike: context(replicas),
        },
      },
    );
  }
  return {
    Type: "AWS::IAM::Role",
    Properties: {
      Description: `S3 Cross-Region Replication of backup-validator ${inputs.stage}`,
      AssumeRolePolicyDocument: {
        Version: "2012-10-17",
        Statement: [
          { Effect: "Allow", Principal: { Service: "s3.amazonaws.com" }, Action: "sts:AssumeRole" },
        ],
      },
      Policies: [{ PolicyName: "replication", PolicyDocument: policyDocument(statements) }],
    },
  };
}

// ---------------------------------------------------------------------------------------------
// KMS keys

function keyResources(inputs: StackInputs, names: ResourceNames): Resources {
  const role = (fn: FunctionKey) => getAtt(LOGICAL_IDS.roles[fn], "Arn");
  const via = (service: string) => ({
    StringEquals: { "kms:ViaService": sub(`${service}.\${AWS::Region}.amazonaws.com`) },
  });
  const key = (logicalId: string, description: string, statements: PolicyStatement[]) => ({
    [logicalId]: {
      Type: "AWS::KMS::Key",
      Properties: {
        Description: `backup-validator ${inputs.stage}: ${description}`,
        EnableKeyRotation: true,
        PendingWindowInDays: 30,
        KeyPolicy: keyPolicy(statements),
        Tags: deployScopeTags(inputs),
      },
    } satisfies Resource,
    [`${logicalId}Alias`]: {
      Type: "AWS::KMS::Alias",
      Properties: {
        AliasName: `alias/${names.primaryStack}-${logicalId.replace(/Key$/, "").toLowerCase()}`,
        TargetKeyId: ref(logicalId),
      },
    } satisfies Resource,
  });
  const logGroupArns = Object.values(names.functions).map((functionName) =>
    sub(
      `arn:\${AWS::Partition}:logs:\${AWS::Region}:\${AWS::AccountId}:log-group:${lambdaLogGroupName(functionName)}`,
    ),
  );
  return {
    ...key(LOGICAL_IDS.queueKey, "the four SQS queues", [
      {
        // EventBridge encrypts what it sends to the validation queue and its DLQ; SQS calls
        // KMS on its behalf. https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-troubleshooting.html
        // Only for this account's rules (confused deputy). Not aws:SourceArn = the rule: the
        // rule targets the queue, which names this key, so the key cannot name the rule (a cycle).
        // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-key-management.html
        Sid: "EventBridgeSendsToEncryptedQueues",
        Effect: "Allow",
        Principal: { Service: "events.amazonaws.com" },
        Action: ["kms:GenerateDataKey", "kms:Decrypt"],
        Resource: "*",
        Condition: { StringEquals: { "aws:SourceAccount": ref("AWS::AccountId") } },
      },
      {
        Sid: "ChecksumValidatorReceivesAndSends",
        Effect: "Allow",
        Principal: { AWS: role("checksum-validator") },
        Action: ["kms:Decrypt", "kms:GenerateDataKey"],
        Resource: "*",
        Condition: via("sqs"),
      },
      {
        Sid: "FailureNotifierReceives",
        Effect: "Allow",
        Principal: { AWS: role("failure-notifier") },
        Action: ["kms:Decrypt"],
        Resource: "*",
        Condition: via("sqs"),
      },
    ]),
    ...key(LOGICAL_IDS.topicKey, "the alert topic", [
      {
        // Publishing to an SSE-KMS topic: kms:GenerateDataKey* and kms:Decrypt.
        // https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html
        Sid: "FailureNotifierPublishes",
        Effect: "Allow",
        Principal: { AWS: role("failure-notifier") },
        Action: ["kms:GenerateDataKey*", "kms:Decrypt"],
        Resource: "*",
        Condition: via("sns"),
      },
      {
        // Alarm actions publish to an encrypted topic only through a customer-managed key
        // that allows CloudWatch. https://repost.aws/knowledge-center/cloudwatch-receive-sns-for-alarm-trigger
        Sid: "CloudWatchAlarmsPublish",
        Effect: "Allow",
        Principal: { Service: "cloudwatch.amazonaws.com" },
        Action: ["kms:GenerateDataKey*", "kms:Decrypt"],
        Resource: "*",
        Condition: { StringEquals: { "aws:SourceAccount": ref("AWS::AccountId") } },
      },
    ]),
    ...key(LOGICAL_IDS.logsKey, "the function log groups", [
      {
        // https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html
        Sid: "CloudWatchLogsEncryptsFunctionLogs",
        Effect: "Allow",
        Principal: { Service: sub(`logs.\${AWS::Region}.amazonaws.com`) },
        Action: [
          "kms:Encrypt",
          "kms:Decrypt",
          "kms:ReEncryptFrom",
          "kms:ReEncryptTo",
          "kms:GenerateDataKey",
          "kms:GenerateDataKeyWithoutPlaintext",
          "kms:DescribeKey",
        ],
        Resource: "*",
        Condition: { ArnEquals: { "kms:EncryptionContext:aws:logs:arn": logGroupArns } },
      },
    ]),
  };
}

// ---------------------------------------------------------------------------------------------
// Queues and the EventBridge rule

function queueResources(names: ResourceNames): Resources {
  const { maxReceiveCount, dlqMessageRetentionSeconds } = settings.queues;
  const encrypted = { KmsMasterKeyId: getAtt(LOGICAL_IDS.queueKey, "Arn") };
  const pair = (
    queueId: string,
    dlqId: string,
    queueName: string,
    dlqName: string,
    queue: { visibilityTimeoutSeconds: number; messageRetentionSeconds: number },
    allowEventBridge: boolean,
  ): Resources => ({
    [queueId]: {
      Type: "AWS::SQS::Queue",
      Properties: {
        QueueName: queueName,
        ...encrypted,
        VisibilityTimeout: queue.visibilityTimeoutSeconds,
        MessageRetentionPeriod: queue.messageRetentionSeconds,
        RedrivePolicy: { deadLetterTargetArn: getAtt(dlqId, "Arn"), maxReceiveCount },
      },
    },
    [dlqId]: {
      Type: "AWS::SQS::Queue",
      Properties: {
        QueueName: dlqName,
        ...encrypted,
        // Longer than the source queue's retention: a message keeps its original enqueue
        // time when it moves to a DLQ.
        MessageRetentionPeriod: dlqMessageRetentionSeconds,
        RedriveAllowPolicy: {
          redrivePermission: "byQueue",
          sourceQueueArns: [sqsQueueArn(queueName)],
        },
      },
    },
    [`${queueId}Policy`]: queuePolicy(queueId, allowEventBridge),
    [`${dlqId}Policy`]: queuePolicy(dlqId, allowEventBridge),
  });
  return {
    ...pair(
      LOGICAL_IDS.validationQueue,
      LOGICAL_IDS.validationDlq,
      names.validationQueue,
      names.validationDlq,
      settings.queues.validation,
      true,
    ),
    ...pair(
      LOGICAL_IDS.failureQueue,
      LOGICAL_IDS.failureDlq,
      names.failureQueue,
      names.failureDlq,
      settings.queues.failure,
      false,
    ),
  };
}

/** TLS only; the validation queue and its DLQ (the rule target's DLQ) also accept the rule. */
function queuePolicy(queueId: string, allowEventBridge: boolean): Resource {
  const queueArn = getAtt(queueId, "Arn");
  const statements: PolicyStatement[] = [
    {
      Sid: "DenyInsecureTransport",
      Effect: "Deny",
      Principal: "*",
      Action: "sqs:*",
      Resource: queueArn,
      Condition: { Bool: { "aws:SecureTransport": "false" } },
    },
  ];
  if (allowEventBridge) {
    statements.push({
      Sid: "ObjectCreatedRuleSends",
      Effect: "Allow",
      Principal: { Service: "events.amazonaws.com" },
      Action: "sqs:SendMessage",
      Resource: queueArn,
      Condition: { ArnEquals: { "aws:SourceArn": getAtt(LOGICAL_IDS.rule, "Arn") } },
    });
  }
  return {
    Type: "AWS::SQS::QueuePolicy",
    Properties: { Queues: [ref(queueId)], PolicyDocument: policyDocument(statements) },
  };
}

function ruleResources(names: ResourceNames): Resources {
  return {
    [LOGICAL_IDS.rule]: {
      Type: "AWS::Events::Rule",
      Properties: {
        Description: "S3 Object Created in a primary bucket → validation queue",
        EventBusName: "default",
        State: "ENABLED",
        EventPattern: {
          source: ["aws.s3"],
          "detail-type": ["Object Created"],
          detail: { bucket: { name: names.buckets.map((pair) => sub(pair.primaryBucket)) } },
        },
        Targets: [
          {
            // No RoleArn: SQS targets are authorised by the queue policy.
            Id: "validation-queue",
            Arn: getAtt(LOGICAL_IDS.validationQueue, "Arn"),
            DeadLetterConfig: { Arn: getAtt(LOGICAL_IDS.validationDlq, "Arn") },
            RetryPolicy: {
              MaximumRetryAttempts: settings.eventBridgeTarget.maximumRetryAttempts,
              MaximumEventAgeInSeconds: settings.eventBridgeTarget.maximumEventAgeSeconds,
            },
          },
        ],
      },
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Alert topic

function topicResources(inputs: StackInputs, names: ResourceNames): Resources {
  const topic = LOGICAL_IDS.topic;
  const resources: Resources = {
    [topic]: {
      Type: "AWS::SNS::Topic",
      Properties: {
        TopicName: names.alertTopic,
        DisplayName: `backup-validator ${inputs.stage}`,
        KmsMasterKeyId: getAtt(LOGICAL_IDS.topicKey, "Arn"),
      },
    },
    [`${topic}Policy`]: {
      Type: "AWS::SNS::TopicPolicy",
      Properties: {
        Topics: [ref(topic)],
        PolicyDocument: policyDocument([
          {
            Sid: "CloudWatchAlarmsPublish",
            Effect: "Allow",
            Principal: { Service: "cloudwatch.amazonaws.com" },
            Action: "sns:Publish",
            Resource: ref(topic),
            Condition: {
              StringEquals: { "aws:SourceAccount": ref("AWS::AccountId") },
              ArnLike: {
                "aws:SourceArn": sub(
                  `arn:\${AWS::Partition}:cloudwatch:\${AWS::Region}:\${AWS::AccountId}:alarm:*`,
                ),
              },
            },
          },
          {
            Sid: "DenyInsecureTransport",
            Effect: "Deny",
            Principal: "*",
            Action: ["sns:Publish", "sns:Subscribe"],
            Resource: ref(topic),
            Condition: { Bool: { "aws:SecureTransport": "false" } },
          },
        ]),
      },
    },
  };
  for (const email of inputs.alertEmails) {
    resources[`AlertEmail${hash(email)}`] = {
      Type: "AWS::SNS::Subscription",
      Properties: { TopicArn: ref(topic), Protocol: "email", Endpoint: email },
    };
  }
  return resources;
}

/** A stable short id for an address, so reordering the list does not replace subscriptions. */
function hash(text: string): string {
  let value = 0x811c9dc5;
  for (const char of text.toLowerCase()) {
    value = Math.imul(value ^ (char.codePointAt(0) ?? 0), 0x01000193) >>> 0;
  }
  return value.toString(16).padStart(8, "0").toUpperCase();
}

// ---------------------------------------------------------------------------------------------
// Function roles: one each, nothing shared. KMS use is granted in the key policies (which name
// these roles), so the roles reference queues and the topic by ARN built from their names.

function functionRoles(
  inputs: StackInputs,
  names: ResourceNames,
  replica: ReplicaFacts,
): Resources {
  const primaries = names.buckets.map((pair) => pair.primaryBucket);
  const replicas = names.buckets.map((pair) => pair.replicaBucket);
  const validationQueue = sqsQueueArn(names.validationQueue);
  const failureQueue = sqsQueueArn(names.failureQueue);
  // HeadObject with ChecksumMode ENABLED on an SSE-KMS object returns the checksum only if the
  // caller may kms:Decrypt with the object's key ("If you enable checksum mode and the object is
  // ... encrypted with an AWS KMS key, you must have permission to use the kms:Decrypt action").
  // https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html
  const decryptThroughS3 = (sid: string, keyArn: unknown, region: string): PolicyStatement => ({
    Sid: sid,
    Effect: "Allow",
    Action: ["kms:Decrypt"],
    Resource: keyArn,
    Condition: { StringEquals: { "kms:ViaService": `s3.${region}.amazonaws.com` } },
  });
  const checksumsOfKmsObjects =
    inputs.bucketEncryption === "SSE-KMS"
      ? [
          decryptThroughS3(
            "ReadChecksumsOfKmsPrimaryObjects",
            getAtt(DATA_KEY, "Arn"),
            inputs.primaryRegion,
          ),
          decryptThroughS3(
            "ReadChecksumsOfKmsReplicaObjects",
            replica.dataKeyArn,
            inputs.replicaRegion,
          ),
        ]
      : [];
  return {
    [LOGICAL_IDS.roles["checksum-validator"]]: lambdaRole(names, "checksum-validator", [
      {
        // HeadObject needs s3:GetObject (s3:GetObjectVersion for a version id); s3:ListBucket
        // turns a missing key into 404 instead of 403.
        Sid: "HeadPrimaryAndReplicaObjects",
        Effect: "Allow",
        Action: ["s3:GetObject", "s3:GetObjectVersion"],
        Resource: [...primaries, ...replicas].map(s3ObjectsArn),
      },
      {
        Sid: "ListPairedBuckets",
        Effect: "Allow",
        Action: ["s3:ListBucket"],
        Resource: [...primaries, ...replicas].map(s3BucketArn),
      },
      ...checksumsOfKmsObjects,
      {
        Sid: "ConsumeValidationQueue",
        Effect: "Allow",
        Action: ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"],
        Resource: validationQueue,
      },
      {
        Sid: "RequeuePendingChecksAndReportFailures",
        Effect: "Allow",
        Action: ["sqs:SendMessage"],
        Resource: [validationQueue, failureQueue],
      },
    ]),
    [LOGICAL_IDS.roles["failure-notifier"]]: lambdaRole(names, "failure-notifier", [
      {
        Sid: "ConsumeFailureQueue",
        Effect: "Allow",
        Action: ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"],
        Resource: failureQueue,
      },
      {
        Sid: "PublishAlerts",
        Effect: "Allow",
        Action: ["sns:Publish"],
        Resource: snsTopicArn(names.alertTopic),
      },
    ]),
  };
}

function lambdaRole(
  names: ResourceNames,
  fn: FunctionKey,
  statements: PolicyStatement[],
): Resource {
  return {
    Type: "AWS::IAM::Role",
    Properties: {
      Description: `${names.functions[fn]} (Lambda)`,
      AssumeRolePolicyDocument: {
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Principal: { Service: "lambda.amazonaws.com" },
            Action: "sts:AssumeRole",
          },
        ],
      },
      Policies: [
        {
          PolicyName: fn,
          PolicyDocument: policyDocument([
            {
              Sid: "WriteOwnLogs",
              Effect: "Allow",
              Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
              Resource: logGroupArn(lambdaLogGroupName(names.functions[fn])),
            },
            ...statements,
          ]),
        },
      ],
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Alarms and dashboard

function alarmResources(inputs: StackInputs, names: ResourceNames): Resources {
  const { periodSeconds } = settings.alarms;
  const actions = [ref(LOGICAL_IDS.topic)];
  const stage = inputs.stage;
  const alarm = (
    name: string,
    description: string,
    metric: {
      namespace: string;
      metricName: string;
      dimensions: Record<string, unknown>;
      statistic: "Sum" | "Maximum";
      threshold: number;
    },
  ): Resource => ({
    Type: "AWS::CloudWatch::Alarm",
    Properties: {
      AlarmName: `${names.primaryStack}-${name}`,
      AlarmDescription: description,
      Namespace: metric.namespace,
      MetricName: metric.metricName,
      Dimensions: Object.entries(metric.dimensions).map(([Name, Value]) => ({ Name, Value })),
      Statistic: metric.statistic,
      Period: periodSeconds,
      EvaluationPeriods: 1,
      Threshold: metric.threshold,
      ComparisonOperator: "GreaterThanThreshold",
      // No data (idle queue, no replication traffic) is not a failure.
      TreatMissingData: "notBreaching",
      ActionsEnabled: true,
      AlarmActions: actions,
      OKActions: actions,
    },
  });
  const dlqAlarm = (queue: "validation" | "failure", dlqId: string) =>
    alarm(
      `${queue}-dlq-not-empty`,
      `Messages are waiting in the ${queue} dead-letter queue. Inspect: npm run dlq -- inspect --stage ${stage} --queue ${queue}; then redrive: npm run redrive -- --stage ${stage} --queue ${queue}`,
      {
        namespace: "AWS/SQS",
        metricName: "ApproximateNumberOfMessagesVisible",
        dimensions: { QueueName: getAtt(dlqId, "QueueName") },
        statistic: "Maximum",
        threshold: 0,
      },
    );
  const errorsAlarm = (fn: FunctionKey) =>
    alarm(`${fn}-errors`, `${names.functions[fn]} failed (errors or timeouts); see its logs.`, {
      namespace: "AWS/Lambda",
      metricName: "Errors",
      dimensions: { FunctionName: names.functions[fn] },
      statistic: "Sum",
      threshold: 0,
    });
  const resources: Resources = {
    ValidationDlqNotEmptyAlarm: dlqAlarm("validation", LOGICAL_IDS.validationDlq),
    FailureDlqNotEmptyAlarm: dlqAlarm("failure", LOGICAL_IDS.failureDlq),
    ChecksumValidatorErrorsAlarm: errorsAlarm("checksum-validator"),
    FailureNotifierErrorsAlarm: errorsAlarm("failure-notifier"),
    ValidationQueueOldestMessageAlarm: alarm(
      "validation-queue-backlog",
      `The oldest message in the validation queue is older than ${settings.alarms.oldestValidationMessageAgeSeconds} s: the checksum-validator is not keeping up or not running.`,
      {
        namespace: "AWS/SQS",
        metricName: "ApproximateAgeOfOldestMessage",
        dimensions: { QueueName: getAtt(LOGICAL_IDS.validationQueue, "QueueName") },
        statistic: "Maximum",
        threshold: settings.alarms.oldestValidationMessageAgeSeconds,
      },
    ),
  };
  for (const pair of names.buckets) {
    const dimensions = {
      SourceBucket: sub(pair.primaryBucket),
      DestinationBucket: sub(pair.replicaBucket),
      RuleId: replicationRuleId(pair.category),
    };
    const category = pascalCase(pair.category);
    resources[`ReplicationFailed${category}Alarm`] = alarm(
      `${pair.category}-replication-failed`,
      `S3 failed to replicate objects of the ${pair.category} category (permissions or KMS). Check: npm run verify -- s3://<primary-bucket>/<key> --stage ${stage}`,
      {
        namespace: "AWS/S3",
        metricName: "OperationsFailedReplication",
        dimensions,
        statistic: "Sum",
        threshold: 0,
      },
    );
    resources[`ReplicationLatency${category}Alarm`] = alarm(
      `${pair.category}-replication-late`,
      `Replication of the ${pair.category} category takes longer than ${settings.replicationDeadlineSeconds} s.`,
      {
        namespace: "AWS/S3",
        metricName: "ReplicationLatency",
        dimensions,
        statistic: "Maximum",
        threshold: settings.replicationDeadlineSeconds,
      },
    );
  }
  return resources;
}

function dashboard(inputs: StackInputs, names: ResourceNames): Resource {
  const region = `\${AWS::Region}`;
  const widget = (title: string, metrics: unknown[][], y: number, x: number) => ({
    type: "metric",
    x,
    y,
    width: 12,
    height: 6,
    properties: { title, region, view: "timeSeries", stat: "Sum", period: 300, metrics },
  });
  const sqs = (metric: string, queue: string, stat: string) => [
    "AWS/SQS",
    metric,
    "QueueName",
    queue,
    { stat, label: queue },
  ];
  const lambda = (metric: string, stat: string) =>
    Object.values(names.functions).map((fn) => [
      "AWS/Lambda",
      metric,
      "FunctionName",
      fn,
      { stat },
    ]);
  const replication = (metric: string, stat: string) =>
    names.buckets.map((pair) => [
      "AWS/S3",
      metric,
      "SourceBucket",
      pair.primaryBucket,
      "DestinationBucket",
      pair.replicaBucket,
      "RuleId",
      replicationRuleId(pair.category),
      { stat, label: pair.category },
    ]);
  const body = {
    widgets: [
      widget(
        "Queue depth",
        [
          sqs("ApproximateNumberOfMessagesVisible", names.validationQueue, "Maximum"),
          sqs("ApproximateNumberOfMessagesVisible", names.failureQueue, "Maximum"),
        ],
        0,
        0,
      ),
      widget(
        "Dead-letter queues",
        [
          sqs("ApproximateNumberOfMessagesVisible", names.validationDlq, "Maximum"),
          sqs("ApproximateNumberOfMessagesVisible", names.failureDlq, "Maximum"),
        ],
        0,
        12,
      ),
      widget(
        "Oldest validation message (s)",
        [sqs("ApproximateAgeOfOldestMessage", names.validationQueue, "Maximum")],
        6,
        0,
      ),
      widget("Function errors", lambda("Errors", "Sum"), 6, 12),
      widget("Replication latency (s)", replication("ReplicationLatency", "Maximum"), 12, 0),
      widget("Failed replications", replication("OperationsFailedReplication", "Sum"), 12, 12),
    ],
  };
  return {
    Type: "AWS::CloudWatch::Dashboard",
    Properties: {
      DashboardName: `${names.dashboard}`,
      // Bucket names carry ${AWS::AccountId}; the JSON body is substituted as a whole.
      DashboardBody: sub(JSON.stringify(body)),
    },
    Metadata: { stage: inputs.stage },
  };
}

// ---------------------------------------------------------------------------------------------
// Outputs (names fixed by the contract; the on-call tooling reads them with DescribeStacks)

function outputs(inputs: StackInputs, names: ResourceNames): Outputs {
  const queue = (id: string, label: string): Outputs => ({
    [`${id}Url`]: { Description: `${label} URL`, Value: ref(id) },
    [`${id}Arn`]: { Description: `${label} ARN`, Value: getAtt(id, "Arn") },
  });
  const result: Outputs = {
    ...queue(LOGICAL_IDS.validationQueue, "Validation queue"),
    ...queue(LOGICAL_IDS.validationDlq, "Validation dead-letter queue"),
    ...queue(LOGICAL_IDS.failureQueue, "Failure queue"),
    ...queue(LOGICAL_IDS.failureDlq, "Failure dead-letter queue"),
    AlertTopicArn: { Description: "Alert topic ARN", Value: ref(LOGICAL_IDS.topic) },
    ReplicaRegion: { Description: "Region of the replica buckets", Value: inputs.replicaRegion },
    Stage: { Description: "Deployment stage", Value: inputs.stage },
    // The validator's deadline, so `npm run verify` calls a missing replica overdue as it does.
    ReplicationDeadlineSeconds: {
      Description: "Seconds a missing replica is PENDING before REPLICATION_OVERDUE",
      Value: String(settings.replicationDeadlineSeconds),
    },
    BucketPairs: {
      Description: "BUCKET_PAIRS JSON: primary bucket → replica bucket and category",
      Value: bucketPairsValue(names),
    },
    ReplicationRoleArn: {
      Description: "Role S3 uses to replicate",
      Value: getAtt(LOGICAL_IDS.replicationRole, "Arn"),
    },
    AccessLogsBucketName: {
      Description: "S3 server access logs of this region's buckets",
      Value: ref(ACCESS_LOGS_BUCKET),
    },
    DashboardName: { Description: "CloudWatch dashboard", Value: ref(LOGICAL_IDS.dashboard) },
  };
  for (const pair of names.buckets) {
    const category = pascalCase(pair.category);
    result[`PrimaryBucket${category}`] = {
      Description: `Primary bucket of the ${pair.category} category`,
      Value: ref(primaryBucketLogicalId(pair.category)),
    };
    result[`ReplicaBucket${category}`] = {
      Description: `Replica bucket of the ${pair.category} category (in ${inputs.replicaRegion})`,
      Value: sub(pair.replicaBucket),
    };
  }
  return result;
}

/** The BUCKET_PAIRS JSON (shared/config/bucket-pairs.ts), account id substituted at deploy. */
export function bucketPairsValue(names: ResourceNames) {
  const pairs = names.buckets.map((pair) => [
    pair.primaryBucket,
    { replica: pair.replicaBucket, category: pair.category },
  ]);
  return sub(JSON.stringify(Object.fromEntries(pairs)));
}

/** Environment of each function (serverless.yml `environment:`). */
export function functionEnvironment(inputs: StackInputs, fn: FunctionKey) {
  const names = namesFor(inputs);
  const common = {
    STAGE: inputs.stage,
    POWERTOOLS_SERVICE_NAME: fn,
    POWERTOOLS_METRICS_NAMESPACE: settings.powertools.metricsNamespace,
    POWERTOOLS_LOG_LEVEL: settings.powertools.logLevel,
    // The bundles ship source maps; this makes stack traces point at the TypeScript.
    NODE_OPTIONS: "--enable-source-maps",
  };
  if (fn === "failure-notifier") return { ...common, ALERT_TOPIC_ARN: ref(LOGICAL_IDS.topic) };
  return {
    ...common,
    BUCKET_PAIRS: bucketPairsValue(names),
    REPLICA_REGION: inputs.replicaRegion,
    VALIDATION_QUEUE_URL: ref(LOGICAL_IDS.validationQueue),
    FAILURE_QUEUE_URL: ref(LOGICAL_IDS.failureQueue),
    REPLICATION_DEADLINE_SECONDS: String(settings.replicationDeadlineSeconds),
  };
}
