import { readFileSync } from "node:fs";
import type { SQSEvent, SQSRecord } from "aws-lambda";

const fixturesDir = new URL("../fixtures/", import.meta.url);

/** A fixture file as it is (test/fixtures/). */
export function fixtureText(name: string): string {
  return readFileSync(new URL(name, fixturesDir), "utf8");
}

/** A JSON fixture file, parsed fresh on each call so tests can change it freely. */
export function fixture<T = Record<string, unknown>>(name: string): T {
  return JSON.parse(fixtureText(name)) as T;
}

export interface ObjectFields {
  bucket: string;
  key: string;
  size?: number;
  etag?: string;
  versionId?: string;
  time?: string;
  reason?: string;
}

/** The S3 user guide's EventBridge "Object Created" example, with the given object. */
export function eventBridgeObjectCreated(fields: ObjectFields): Record<string, unknown> {
  const event = fixture<Record<string, any>>("eventbridge-object-created.json");
  event.resources = [`arn:aws:s3:::${fields.bucket}`];
  event.detail.bucket.name = fields.bucket;
  event.detail.object = { ...event.detail.object, key: fields.key };
  setOrDelete(event.detail.object, "size", fields.size);
  setOrDelete(event.detail.object, "etag", fields.etag);
  setOrDelete(event.detail.object, "version-id", fields.versionId);
  if (fields.time) event.time = fields.time;
  if (fields.reason) event.detail.reason = fields.reason;
  return event;
}

/** A classic S3 event notification with one record per object. */
export function s3Notification(objects: ObjectFields[]): Record<string, unknown> {
  const template = fixture<{ Records: Record<string, any>[] }>("s3-notification-put.json")
    .Records[0];
  return {
    Records: objects.map((fields) => {
      const record = structuredClone(template) as Record<string, any>;
      record.s3.bucket.name = fields.bucket;
      record.s3.bucket.arn = `arn:aws:s3:::${fields.bucket}`;
      record.s3.object = { ...record.s3.object, key: fields.key };
      setOrDelete(record.s3.object, "size", fields.size);
      setOrDelete(record.s3.object, "eTag", fields.etag);
      setOrDelete(record.s3.object, "versionId", fields.versionId);
      if (fields.time) record.eventTime = fields.time;
      return record;
    }),
  };
}

function setOrDelete(target: Record<string, unknown>, name: string, value: unknown): void {
  if (value === undefined) delete target[name];
  else target[name] = value;
}

let messageCounter = 0;

/** An SQS record (Lambda event source shape) carrying `body`. */
export function sqsRecord(body: unknown, overrides: Partial<SQSRecord> = {}): SQSRecord {
  const envelope = fixture<{ Records: SQSRecord[] }>("sqs-event-envelope.json")
    .Records[0] as SQSRecord;
  messageCounter += 1;
  return {
    ...envelope,
    messageId: `message-${messageCounter}`,
    body: typeof body === "string" ? body : JSON.stringify(body),
    ...overrides,
  };
}

export function sqsEvent(...records: SQSRecord[]): SQSEvent {
  return { Records: records };
}

export interface TaskFields {
  readonly bucket: string;
  /** As S3 Batch Operations sends it: URL-encoded. */
  readonly s3Key: string;
  readonly versionId?: string;
  readonly taskId?: string;
}

/**
 * The S3 user guide's LambdaInvoke example (invocation schema 2.0: bucket by name, the job's
 * user arguments), one task per invocation, with the given object and arguments.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/batch-ops-invoke-lambda.html
 */
export function batchOperationsEvent(
  task: TaskFields,
  userArguments?: Record<string, string>,
): Record<string, any> {
  const event = fixture<Record<string, any>>("batch-operations-invocation-2.0.json");
  if (userArguments !== undefined) event.job.userArguments = userArguments;
  event.tasks = [
    {
      taskId: task.taskId ?? event.tasks[0].taskId,
      s3Key: task.s3Key,
      s3VersionId: task.versionId ?? null,
      s3Bucket: task.bucket,
    },
  ];
  return event;
}
