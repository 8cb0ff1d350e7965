/** The replica stack as osls packages it (offline). */
import { beforeAll, describe, expect, it } from "vitest";
import { resourceNames } from "../../../resources/settings.ts";
import {
  ACCOUNT_ID,
  KMS_VARIANT,
  type Packaged,
  packaged,
  resolveSub,
  resource,
  resourcesOfType,
  type Template,
} from "../../helpers/packaged.ts";

const REGION = "us-west-2";
const names = resourceNames("dev", { accountId: ACCOUNT_ID });
const sub = (value: unknown) => resolveSub(value, REGION);

let t: Template;
let kms: Packaged;

beforeAll(async () => {
  const [plain, withKms] = await Promise.all([packaged(), packaged(KMS_VARIANT)]);
  t = plain.replica;
  kms = withKms;
}, 180_000);

describe("replica buckets", () => {
  it("are one per category, named as the primary stack and the validator expect", () => {
    const replicas = resourcesOfType(t, "AWS::S3::Bucket").filter(([id]) =>
      id.startsWith("ReplicaBucket"),
    );
    expect(replicas.map(([, bucket]) => sub(bucket.Properties.BucketName))).toEqual(
      names.buckets.map((pair) => pair.replicaBucket),
    );
    expect(sub(t.Outputs.ReplicaBucketNames?.Value)).toBe(
      names.buckets.map((pair) => pair.replicaBucket).join(","),
    );
  });

  it("are versioned, encrypted, private, owner-enforced, logged, lifecycled and retained", () => {
    for (const pair of names.buckets) {
      const id = `ReplicaBucket${pair.category.charAt(0).toUpperCase()}${pair.category.slice(1)}`;
      const bucket = resource(t, id);
      expect(bucket.DeletionPolicy).toBe("Retain");
      expect(bucket.UpdateReplacePolicy).toBe("Retain");
      expect(bucket.Properties).toMatchObject({
        VersioningConfiguration: { Status: "Enabled" },
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [
            { ServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" } },
          ],
        },
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        OwnershipControls: { Rules: [{ ObjectOwnership: "BucketOwnerEnforced" }] },
        LoggingConfiguration: { DestinationBucketName: { Ref: "AccessLogsBucket" } },
        LifecycleConfiguration: {
          Rules: [
            {
              NoncurrentVersionTransitions: [{ StorageClass: "GLACIER_IR", TransitionInDays: 30 }],
              NoncurrentVersionExpiration: { NoncurrentDays: 365 },
              AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 },
            },
          ],
        },
      });
      // Replicas do not replicate further.
      expect(bucket.Properties.ReplicationConfiguration).toBeUndefined();
    }
  });

  it("deny requests without TLS", () => {
    for (const [id] of resourcesOfType(t, "AWS::S3::Bucket")) {
      const policy = resourcesOfType(t, "AWS::S3::BucketPolicy").find(
        ([, candidate]) => candidate.Properties.Bucket?.Ref === id,
      )?.[1];
      expect(policy?.Properties.PolicyDocument.Statement[0], id).toMatchObject({
        Effect: "Deny",
        Action: "s3:*",
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      });
    }
  });

  it("let only S3 log delivery of this account write access logs", () => {
    const statement = resource(t, "AccessLogsBucketPolicy").Properties.PolicyDocument.Statement[1];
    expect(statement).toMatchObject({
      Effect: "Allow",
      Principal: { Service: "logging.s3.amazonaws.com" },
      Action: "s3:PutObject",
      Condition: { StringEquals: { "aws:SourceAccount": { Ref: "AWS::AccountId" } } },
    });
  });
});

describe("with SSE-KMS", () => {
  it("encrypt replicas with a retained, rotating key that the primary stack reads", () => {
    const key = resource(kms.replica, "DataKey");
    expect(key.Properties.EnableKeyRotation).toBe(true);
    expect(key.DeletionPolicy).toBe("Retain");
    expect(
      resource(kms.replica, "ReplicaBucketLedgers").Properties.BucketEncryption
        .ServerSideEncryptionConfiguration[0],
    ).toEqual({
      ServerSideEncryptionByDefault: {
        SSEAlgorithm: "aws:kms",
        KMSMasterKeyID: { "Fn::GetAtt": ["DataKey", "Arn"] },
      },
      BucketKeyEnabled: true,
    });
    expect(kms.replica.Outputs.ReplicaDataKeyArn?.Value).toEqual({
      "Fn::GetAtt": ["DataKey", "Arn"],
    });
    expect(kms.replica.Outputs.ReplicaBucketEncryption?.Value).toBe("SSE-KMS");
  });
});

describe("contents", () => {
  it("hold no functions, queues or roles: those live in the primary stack", () => {
    const types = new Set(Object.values(t.Resources).map((r) => r.Type));
    expect([...types].sort()).toEqual(["AWS::S3::Bucket", "AWS::S3::BucketPolicy"]);
  });
});

describe("backup protection: nobody but replication changes the replicas", () => {
  const policyOf = (template: Template) =>
    resource(template, "ReplicaBucketDocumentsPolicy").Properties.PolicyDocument.Statement as {
      Sid: string;
      Effect: string;
      Principal: unknown;
      Action: string | string[];
      Condition?: Record<string, Record<string, unknown>>;
    }[];
  const statement = (template: Template, sid: string) => {
    const found = policyOf(template).find((candidate) => candidate.Sid === sid);
    if (!found) throw new Error(`no statement ${sid}`);
    return found;
  };

  it("denies every object write, delete, re-tag and re-lock to everyone, with no way round by default", () => {
    // Act
    const changes = statement(t, "OnlyBreakGlassChangesReplicas");

    // Assess
    expect(changes).toMatchObject({ Effect: "Deny", Principal: "*" });
    expect(changes.Action).toEqual(
      expect.arrayContaining(["s3:PutObject", "s3:DeleteObject", "s3:DeleteObjectVersion"]),
    );
    expect(changes.Action).toContain("s3:BypassGovernanceRetention");
    expect(changes.Condition).toBeUndefined();
  });

  it("lets only the stage's replication role replicate into the bucket", () => {
    const replicate = statement(t, "OnlyTheStageReplicationRoleReplicates");
    expect(replicate).toMatchObject({ Effect: "Deny", Principal: "*" });
    expect(replicate.Action).toEqual([
      "s3:ReplicateObject",
      "s3:ReplicateDelete",
      "s3:ReplicateTags",
    ]);
    expect(sub(replicate.Condition?.ArnNotEquals?.["aws:PrincipalArn"])).toBe(
      `arn:aws:iam::${ACCOUNT_ID}:role/${names.replicationRole}`,
    );
  });

  it("lets the bucket's protection change only through CloudFormation", () => {
    const protection = statement(t, "ProtectionChangesOnlyThroughCloudFormation");
    expect(protection).toMatchObject({ Effect: "Deny", Principal: "*" });
    expect(protection.Action).toEqual(
      expect.arrayContaining(["s3:PutBucketPolicy", "s3:PutReplicationConfiguration"]),
    );
    expect(protection.Condition).toEqual({
      StringNotEqualsIfExists: { "aws:CalledViaFirst": "cloudformation.amazonaws.com" },
    });
  });

  it("excepts the named break-glass role from the object and protection denials only", () => {
    const role = "arn:aws:iam::123456789012:role/backup-break-glass";
    const except = { ArnNotEquals: { "aws:PrincipalArn": role } };
    expect(statement(kms.replica, "OnlyBreakGlassChangesReplicas").Condition).toEqual(except);
    expect(statement(kms.replica, "ProtectionChangesOnlyThroughCloudFormation").Condition).toEqual({
      StringNotEqualsIfExists: { "aws:CalledViaFirst": "cloudformation.amazonaws.com" },
      ...except,
    });
    expect(
      JSON.stringify(statement(kms.replica, "OnlyTheStageReplicationRoleReplicates")),
    ).not.toContain("break-glass");
  });

  it("locks replica versions with the chosen mode and period, and only when asked", () => {
    expect(
      resource(t, "ReplicaBucketDocuments").Properties.ObjectLockConfiguration,
    ).toBeUndefined();
    expect(resource(kms.replica, "ReplicaBucketLedgers").Properties).toMatchObject({
      ObjectLockEnabled: true,
      ObjectLockConfiguration: {
        ObjectLockEnabled: "Enabled",
        Rule: { DefaultRetention: { Mode: "GOVERNANCE", Days: 90 } },
      },
    });
  });
});
