/**
 * The checksum-validator Lambda against mocked S3 and SQS, for the states and faults an
 * emulator cannot produce: replication statuses, SSE-KMS, version IDs, throttling, 500s and
 * failed sends. Behaviour on real objects is covered by test/integration.
 */
import {
  GetObjectCommand,
  HeadObjectCommand,
  type HeadObjectCommandOutput,
  S3Client,
  S3ServiceException,
} from "@aws-sdk/client-s3";
import { SendMessageBatchCommand, SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ConfigurationError } from "../../../shared/errors.ts";
import {
  eventBridgeObjectCreated,
  fixture,
  s3Notification,
  sqsEvent,
  sqsRecord,
} from "../../helpers/events.ts";
import { lambdaContext } from "../../helpers/lambda-context.ts";
import {
  FAILURE_QUEUE_URL,
  type Handler,
  loadValidatorHandler,
  PRIMARY,
  REPLICA,
  VALIDATION_QUEUE_URL,
  validatorEnvironment,
} from "../../helpers/validator-handler.ts";

const s3 = mockClient(S3Client);
const sqs = mockClient(SQSClient);
const MD5 = '"b1946ac92492d2347c6235b4d2611184"';
const OTHER_MD5 = '"d41d8cd98f00b204e9800998ecf8427e"';

function head(overrides: Partial<HeadObjectCommandOutput> = {}): HeadObjectCommandOutput {
  return {
    $metadata: { httpStatusCode: 200 },
    ContentLength: 5,
    ETag: MD5,
    LastModified: new Date(),
    VersionId: "v1",
    ...overrides,
  };
}

function notFound(): S3ServiceException {
  return new S3ServiceException({
    name: "NotFound",
    $fault: "client",
    $metadata: { httpStatusCode: 404 },
  });
}

/** Every message sent to the queue, alone (SendMessage) or in batches (SendMessageBatch). */
function sentTo(queueUrl: string): Record<string, any>[] {
  const single = sqs
    .commandCalls(SendMessageCommand)
    .map((call) => call.args[0].input)
    .filter((input) => input.QueueUrl === queueUrl);
  const batched = sqs
    .commandCalls(SendMessageBatchCommand)
    .map((call) => call.args[0].input)
    .filter((input) => input.QueueUrl === queueUrl)
    .flatMap((input) => input.Entries ?? []);
  return [...single, ...batched];
}

function reportsSent(): Record<string, any>[] {
  return sentTo(FAILURE_QUEUE_URL).map((input) => JSON.parse(input.MessageBody));
}

function objectEvent(key = "reports/q3.pdf", versionId = "v1") {
  return eventBridgeObjectCreated({ bucket: PRIMARY, key, size: 5, versionId });
}

let handler: Handler;

beforeEach(async () => {
  s3.reset();
  sqs.reset();
  sqs.on(SendMessageCommand).resolves({ MessageId: "sent" });
  sqs.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });
  handler = await loadValidatorHandler(validatorEnvironment());
});

afterEach(() => {
  vi.unstubAllEnvs();
});

describe("checksum-validator with S3 states the emulator cannot produce", () => {
  it("reports REPLICATION_FAILED at once when the source says FAILED", async () => {
    // Prepare
    s3.on(HeadObjectCommand, { Bucket: PRIMARY }).resolves(head({ ReplicationStatus: "FAILED" }));
    s3.on(HeadObjectCommand, { Bucket: REPLICA }).rejects(notFound());
    // Act
    const response = await handler(
      sqsEvent(sqsRecord(objectEvent())),
      lambdaContext("checksum-validator"),
    );
    // Assess
    expect(response.batchItemFailures).toEqual([]);
    const [report] = reportsSent();
    expect(report).toMatchObject({
      schema: "backup-validator.failure-report",
      verdict: "REPLICATION_FAILED",
      severity: "critical",
      category: "documents",
      object: {
        bucket: PRIMARY,
        key: "reports/q3.pdf",
        versionId: "v1",
        replicaBucket: REPLICA,
        replicaRegion: "us-west-2",
      },
      primary: { present: true, replicationStatus: "FAILED", size: 5 },
      replica: { present: false, bucket: REPLICA },
      attempts: 1,
    });
    expect(sentTo(FAILURE_QUEUE_URL)[0]?.MessageAttributes).toEqual({
      verdict: { DataType: "String", StringValue: "REPLICATION_FAILED" },
      severity: { DataType: "String", StringValue: "critical" },
      bucket: { DataType: "String", StringValue: PRIMARY },
      category: { DataType: "String", StringValue: "documents" },
    });
  });

  it("re-queues a delayed pending check while the source says PENDING, even if a replica exists", async () => {
    s3.on(HeadObjectCommand, { Bucket: PRIMARY }).resolves(head({ ReplicationStatus: "PENDING" }));
    s3.on(HeadObjectCommand, { Bucket: REPLICA }).resolves(head({ ReplicationStatus: "REPLICA" }));

    const response = await handler(
      sqsEvent(sqsRecord(objectEvent())),
      lambdaContext("checksum-validator"),
    );

    expect(response.batchItemFailures).toEqual([]);
    expect(reportsSent()).toEqual([]);
    const [requeued] = sentTo(VALIDATION_QUEUE_URL);
    expect(requeued?.DelaySeconds).toBe(30);
    expect(JSON.parse(requeued?.MessageBody)).toMatchObject({
      type: "backup-validator.pending-check",
      version: 1,
      attempt: 2,
      eventId: "17793124-05d4-b198-2fde-7ededc63b103",
      object: { bucket: PRIMARY, key: "reports/q3.pdf", versionId: "v1" },
    });
  });

  it("keeps backing off on later pending checks and keeps the first check time", async () => {
    s3.on(HeadObjectCommand, { Bucket: PRIMARY }).resolves(head({ ReplicationStatus: "PENDING" }));
    s3.on(HeadObjectCommand, { Bucket: REPLICA }).rejects(notFound());
    const pendingCheck = {
      type: "backup-validator.pending-check",
      version: 1,
      attempt: 3,
      firstCheckedAt: "2026-11-21T10:00:00.000Z",
      object: { bucket: PRIMARY, key: "reports/q3.pdf", versionId: "v1" },
      originalEvent: objectEvent(),
    };

    await handler(sqsEvent(sqsRecord(pendingCheck)), lambdaContext("checksum-validator"));

    const [requeued] = sentTo(VALIDATION_QUEUE_URL);
    expect(requeued?.DelaySeconds).toBe(120);
    expect(JSON.parse(requeued?.MessageBody)).toMatchObject({
      attempt: 4,
      firstCheckedAt: "2026-11-21T10:00:00.000Z",
    });
  });

  it("reports REPLICATION_OVERDUE once the object is older than the deadline", async () => {
    const twentyMinutesAgo = new Date(Date.now() - 20 * 60 * 1000);
    s3.on(HeadObjectCommand, { Bucket: PRIMARY }).resolves(
      head({ ReplicationStatus: "PENDING", LastModified: twentyMinutesAgo }),
    );
    s3.on(HeadObjectCommand, { Bucket: REPLICA }).rejects(notFound());

    await handler(sqsEvent(sqsRecord(objectEvent())), lambdaContext("checksum-validator"));

    const [report] = reportsSent();
    expect(report?.verdict).toBe("REPLICATION_OVERDUE");
    expect(report?.severity).toBe("high");
    expect(report?.summary).toBe(
      "S3 reports replication PENDING 20 min after upload, past the 15 min replication deadline",
    );
    expect(report?.objectAgeSeconds).toBeGreaterThanOrEqual(1200);
    expect(sentTo(VALIDATION_QUEUE_URL)).toEqual([]);
  });

  it("reports REPLICA_MISSING when the source says COMPLETED but the replica is gone", async () => {
    s3.on(HeadObjectCommand, { Bucket: PRIMARY }).resolves(
      head({ ReplicationStatus: "COMPLETED" }),
    );
    s3.on(HeadObjectCommand, { Bucket: REPLICA }).rejects(notFound());

    await handler(sqsEvent(sqsRecord(objectEvent())), lambdaContext("checksum-validator"));

    expect(reportsSent().map((report) => report.verdict)).toEqual(["REPLICA_MISSING"]);
  });

  it("calls SSE-KMS objects with differing ETags UNVERIFIABLE, not MISMATCH, when their bytes may not be read", async () => {
    // Prepare: SSE-KMS replicas with moto's answers are covered in
    // test/shared/validator/validate-object.moto.test.ts; here deep verification is off.
    handler = await loadValidatorHandler(validatorEnvironment({ DEEP_VERIFY_MAX_BYTES: "0" }));
    s3.on(HeadObjectCommand, { Bucket: PRIMARY }).resolves(
      head({ ReplicationStatus: "COMPLETED", ServerSideEncryption: "aws:kms" }),
    );
    s3.on(HeadObjectCommand, { Bucket: REPLICA }).resolves(
      head({ ReplicationStatus: "REPLICA", ServerSideEncryption: "aws:kms", ETag: OTHER_MD5 }),
    );

    // Act
    await handler(sqsEvent(sqsRecord(objectEvent())), lambdaContext("checksum-validator"));

    // Assess
    const [report] = reportsSent();
    expect(report).toMatchObject({ verdict: "UNVERIFIABLE", severity: "warning" });
    expect(report?.evidence.notComparable).toContain(
      "ETag: primary is encrypted with aws:kms, so its ETag is not an MD5 of the content; replica is encrypted with aws:kms, so its ETag is not an MD5 of the content",
    );
    expect(report?.summary).toMatch(
      /deep verification is turned off; settle it by reading the bytes from a workstation: npm run verify -- s3:\/\/bv-test-documents-primary\/reports\/q3\.pdf --version-id v1 --stage test --deep$/,
    );
    expect(s3).not.toHaveReceivedCommand(GetObjectCommand);
  });

  it("finds SSE-KMS corruption through a full-object checksum", async () => {
    const kms = { ServerSideEncryption: "aws:kms" as const, ChecksumType: "FULL_OBJECT" as const };
    s3.on(HeadObjectCommand, { Bucket: PRIMARY }).resolves(
      head({ ...kms, ReplicationStatus: "COMPLETED", ChecksumCRC64NVME: "AAAAAAAAAAA=" }),
    );
    s3.on(HeadObjectCommand, { Bucket: REPLICA }).resolves(
      head({ ...kms, ReplicationStatus: "REPLICA", ChecksumCRC64NVME: "BBBBBBBBBBB=" }),
    );

    await handler(sqsEvent(sqsRecord(objectEvent())), lambdaContext("checksum-validator"));

    const [report] = reportsSent();
    expect(report?.verdict).toBe("MISMATCH");
    expect(report?.evidence.basis).toEqual({
      kind: "full-object-checksum",
      algorithm: "CRC64NVME",
      primary: "AAAAAAAAAAA=",
      replica: "BBBBBBBBBBB=",
      agrees: false,
    });
  });

  it("looks up the event's version on both sides, with checksums requested", async () => {
    s3.on(HeadObjectCommand).resolves(head({ VersionId: "3HL4kqtJvjVBH40Nrjfkd" }));

    await handler(
      sqsEvent(sqsRecord(fixture("eventbridge-object-created-multipart.json"))),
      lambdaContext("checksum-validator"),
    );

    // The multipart fixture names a media bucket this environment does not map.
    expect(reportsSent().map((report) => report.verdict)).toEqual(["UNMAPPED_BUCKET"]);
    s3.reset();
    s3.on(HeadObjectCommand).resolves(head({ VersionId: "v-42" }));
    await handler(
      sqsEvent(sqsRecord(objectEvent("a.txt", "v-42"))),
      lambdaContext("checksum-validator"),
    );
    expect(s3).toHaveReceivedCommandWith(HeadObjectCommand, {
      Bucket: PRIMARY,
      Key: "a.txt",
      VersionId: "v-42",
      ChecksumMode: "ENABLED",
    });
    expect(s3).toHaveReceivedCommandWith(HeadObjectCommand, {
      Bucket: REPLICA,
      Key: "a.txt",
      VersionId: "v-42",
      ChecksumMode: "ENABLED",
    });
  });

  it("asks the replica without waiting for the primary's answer when the event names a version", async () => {
    // Prepare
    const replicaAskedBeforePrimaryAnswered: boolean[] = [];
    s3.on(HeadObjectCommand, { Bucket: PRIMARY }).callsFake(() => {
      const asked = s3.commandCalls(HeadObjectCommand, { Bucket: REPLICA }).length > 0;
      replicaAskedBeforePrimaryAnswered.push(asked);
      return head();
    });
    s3.on(HeadObjectCommand, { Bucket: REPLICA }).resolves(head());

    // Act
    await handler(sqsEvent(sqsRecord(objectEvent("v.txt", "v1"))), lambdaContext("validator"));
    s3.resetHistory();
    await handler(
      sqsEvent(sqsRecord(eventBridgeObjectCreated({ bucket: PRIMARY, key: "no-version.txt" }))),
      lambdaContext("validator"),
    );

    // Assess: with a version, one round trip for both sides; without, the primary names it.
    expect(replicaAskedBeforePrimaryAnswered).toEqual([true, false]);
    expect(reportsSent()).toEqual([]);
  });

  it("falls back to the raw key when the decoded key does not exist", async () => {
    s3.on(HeadObjectCommand).rejects(notFound());
    s3.on(HeadObjectCommand, { Bucket: PRIMARY, Key: "reports/red+flower.jpg" }).resolves(head());
    s3.on(HeadObjectCommand, { Bucket: REPLICA, Key: "reports/red+flower.jpg" }).resolves(head());
    const event = s3Notification([
      { bucket: PRIMARY, key: "reports/red+flower.jpg", versionId: "v1" },
    ]);

    const response = await handler(sqsEvent(sqsRecord(event)), lambdaContext("checksum-validator"));

    expect(response.batchItemFailures).toEqual([]);
    expect(reportsSent()).toEqual([]);
    const keysTried = s3
      .commandCalls(HeadObjectCommand)
      .map((call) => `${call.args[0].input.Bucket}/${call.args[0].input.Key}`);
    expect(keysTried).toEqual([
      // With a version ID, the replica is looked up together with the primary's first key.
      `${REPLICA}/reports/red flower.jpg`,
      `${PRIMARY}/reports/red flower.jpg`,
      `${PRIMARY}/reports/red+flower.jpg`,
      `${REPLICA}/reports/red+flower.jpg`,
    ]);
  });
});

describe("checksum-validator faults", () => {
  it("fails only the records whose checks were throttled or hit a 500", async () => {
    s3.on(HeadObjectCommand).resolves(head());
    s3.on(HeadObjectCommand, { Key: "throttled.txt" }).rejects(
      new S3ServiceException({
        name: "SlowDown",
        $fault: "server",
        $metadata: { httpStatusCode: 503 },
      }),
    );
    s3.on(HeadObjectCommand, { Key: "broken.txt" }).rejects(
      new S3ServiceException({
        name: "InternalError",
        $fault: "server",
        $metadata: { httpStatusCode: 500 },
      }),
    );
    s3.on(HeadObjectCommand, { Key: "denied.txt" }).rejects(
      new S3ServiceException({
        name: "Forbidden",
        $fault: "client",
        $metadata: { httpStatusCode: 403 },
      }),
    );
    const good = sqsRecord(objectEvent("good.txt"));
    const throttled = sqsRecord(objectEvent("throttled.txt"));
    const broken = sqsRecord(objectEvent("broken.txt"));
    const denied = sqsRecord(objectEvent("denied.txt"));

    const response = await handler(
      sqsEvent(good, throttled, broken, denied),
      lambdaContext("checksum-validator"),
    );

    expect(response.batchItemFailures).toEqual([
      { itemIdentifier: throttled.messageId },
      { itemIdentifier: broken.messageId },
      { itemIdentifier: denied.messageId },
    ]);
  });

  it("reports every failed record of an all-failed batch instead of throwing", async () => {
    s3.on(HeadObjectCommand).rejects(new Error("socket hang up"));
    const records = [sqsRecord(objectEvent("a")), sqsRecord(objectEvent("b"))];

    const response = await handler(sqsEvent(...records), lambdaContext("checksum-validator"));

    expect(response.batchItemFailures.map((failure) => failure.itemIdentifier)).toEqual(
      records.map((record) => record.messageId),
    );
  });

  it("fails the record when the failure report cannot be sent, so nothing is lost", async () => {
    s3.on(HeadObjectCommand, { Bucket: PRIMARY }).resolves(head());
    s3.on(HeadObjectCommand, { Bucket: REPLICA }).resolves(head({ ETag: OTHER_MD5 }));
    sqs
      .on(SendMessageCommand, { QueueUrl: FAILURE_QUEUE_URL })
      .rejects(new Error("KMS.ThrottlingException"));
    const record = sqsRecord(objectEvent());

    const response = await handler(sqsEvent(record), lambdaContext("checksum-validator"));

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: record.messageId }]);
  });

  it("fails the record when a pending check cannot be re-queued", async () => {
    s3.on(HeadObjectCommand, { Bucket: PRIMARY }).resolves(head());
    s3.on(HeadObjectCommand, { Bucket: REPLICA }).rejects(notFound());
    sqs
      .on(SendMessageCommand, { QueueUrl: VALIDATION_QUEUE_URL })
      .rejects(new Error("AccessDenied"));
    const record = sqsRecord(objectEvent());

    const response = await handler(sqsEvent(record), lambdaContext("checksum-validator"));

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: record.messageId }]);
  });

  it("splits a notification naming several objects into one check each, so retries stay apart", async () => {
    const record = sqsRecord(
      s3Notification([
        { bucket: "not-a-configured-bucket", key: "x.txt" },
        { bucket: PRIMARY, key: "a+b.txt", versionId: "v7" },
      ]),
    );

    const response = await handler(sqsEvent(record), lambdaContext("checksum-validator"));

    expect(response.batchItemFailures).toEqual([]);
    expect(s3.commandCalls(HeadObjectCommand)).toEqual([]);
    const checks = sentTo(VALIDATION_QUEUE_URL);
    expect(checks.map((input) => input.DelaySeconds)).toEqual([0, 0]);
    expect(checks.map((input) => JSON.parse(input.MessageBody))).toEqual([
      expect.objectContaining({
        type: "backup-validator.pending-check",
        attempt: 1,
        object: expect.objectContaining({ bucket: "not-a-configured-bucket", key: "x.txt" }),
      }),
      expect.objectContaining({
        attempt: 1,
        object: expect.objectContaining({ bucket: PRIMARY, key: "a+b.txt", versionId: "v7" }),
      }),
    ]);
    expect(checks[0] && JSON.parse(checks[0].MessageBody)).not.toHaveProperty("firstCheckedAt");
  });

  it("fails a multi-object notification whose split could not be queued, reporting nothing yet", async () => {
    sqs
      .on(SendMessageBatchCommand, { QueueUrl: VALIDATION_QUEUE_URL })
      .rejects(new Error("throttled"));
    const body = s3Notification([
      { bucket: PRIMARY, key: "a.txt" },
      { bucket: PRIMARY, key: "b.txt" },
    ]);
    (body.Records as Record<string, any>[]).push({ eventSource: "aws:sqs" });
    const record = sqsRecord(body);

    const response = await handler(sqsEvent(record), lambdaContext("checksum-validator"));

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: record.messageId }]);
    expect(reportsSent()).toEqual([]);
  });
});

describe("checksum-validator input handling", () => {
  it("acknowledges s3:TestEvent and non-created events without sending anything", async () => {
    const records = [
      sqsRecord(fixture("s3-test-event.json")),
      sqsRecord({ ...objectEvent(), "detail-type": "Object Deleted" }),
    ];

    const response = await handler(sqsEvent(...records), lambdaContext("checksum-validator"));

    expect(response.batchItemFailures).toEqual([]);
    expect(s3.commandCalls(HeadObjectCommand)).toEqual([]);
    expect(sentTo(VALIDATION_QUEUE_URL)).toEqual([]);
    expect(sentTo(FAILURE_QUEUE_URL)).toEqual([]);
  });

  it("reports malformed bodies with the body attached instead of retrying them", async () => {
    const record = sqsRecord("this is not an event");

    const response = await handler(sqsEvent(record), lambdaContext("checksum-validator"));

    expect(response.batchItemFailures).toEqual([]);
    expect(reportsSent()).toEqual([
      expect.objectContaining({
        verdict: "MALFORMED_EVENT",
        summary: "a message on the validation queue could not be read: the body is not JSON",
        rawBody: "this is not an event",
        source: {
          messageId: record.messageId,
          eventSourceArn: record.eventSourceARN,
          receiveCount: 1,
        },
      }),
    ]);
  });

  it("acknowledges a source that no longer exists without reporting it", async () => {
    s3.on(HeadObjectCommand).rejects(notFound());

    const response = await handler(
      sqsEvent(sqsRecord(objectEvent())),
      lambdaContext("checksum-validator"),
    );

    expect(response.batchItemFailures).toEqual([]);
    expect(sqs.commandCalls(SendMessageCommand)).toEqual([]);
  });
});

describe("checksum-validator cold start", () => {
  it("refuses to start with a bad setting and names it", async () => {
    await expect(
      loadValidatorHandler(validatorEnvironment({ REPLICA_REGION: "mars" })),
    ).rejects.toThrow(
      new ConfigurationError("REPLICA_REGION", "must be an AWS region such as us-west-2", "mars"),
    );
  });
});
