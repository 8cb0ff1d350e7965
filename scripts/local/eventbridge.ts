/**
 * Local stand-in for S3 → EventBridge → the validation rule → SQS: for each object written to a
 * primary bucket it sends the documented "Object Created" event, whole, to the validation queue
 * (an SQS target without an input transformer receives the full event as the body).
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/ev-events.html
 */
import { randomUUID } from "node:crypto";
import { HeadObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { SendMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";
import type { MessageSpyReader } from "fauxqs";
import { normaliseEtag, parseMd5Etag } from "../../shared/integrity/compare.ts";
import { type UploadWatcher, watchUploads } from "./upload-watcher.ts";

export interface EventBridgeStandInOptions {
  readonly spy: MessageSpyReader;
  readonly s3: S3Client;
  readonly sqs: SQSClient;
  /** The rule's filter: `detail.bucket.name` is one of these. */
  readonly primaryBuckets: ReadonlySet<string>;
  readonly validationQueueUrl: string;
  readonly account: string;
  readonly region: string;
  readonly onEvent?: (event: ObjectCreatedEvent) => void;
  readonly onError: (error: unknown, where: string) => void;
}

export interface ObjectCreatedEvent {
  readonly version: "0";
  readonly id: string;
  readonly "detail-type": "Object Created";
  readonly source: "aws.s3";
  readonly account: string;
  readonly time: string;
  readonly region: string;
  readonly resources: string[];
  readonly detail: {
    readonly version: "0";
    readonly bucket: { readonly name: string };
    readonly object: {
      readonly key: string;
      readonly size: number;
      readonly etag: string;
      readonly "version-id"?: string;
      readonly sequencer: string;
    };
    readonly "request-id": string;
    readonly requester: string;
    readonly "source-ip-address": string;
    readonly reason: "PutObject" | "CompleteMultipartUpload";
  };
}

export function startEventBridgeStandIn(options: EventBridgeStandInOptions): UploadWatcher {
  let sequence = 0;
  return watchUploads(
    options.spy,
    options.primaryBuckets,
    async (upload) => {
      const head = await options.s3.send(
        new HeadObjectCommand({ Bucket: upload.bucket, Key: upload.key }),
      );
      sequence += 1;
      const etag = normaliseEtag(head.ETag ?? "");
      const event: ObjectCreatedEvent = {
        version: "0",
        id: randomUUID(),
        "detail-type": "Object Created",
        source: "aws.s3",
        account: options.account,
        // EventBridge times have second precision.
        time: new Date(upload.timestamp).toISOString().replace(/\.\d{3}Z$/, "Z"),
        region: options.region,
        resources: [`arn:aws:s3:::${upload.bucket}`],
        detail: {
          version: "0",
          bucket: { name: upload.bucket },
          object: {
            key: upload.key,
            size: head.ContentLength ?? 0,
            // The event's ETag comes without quotes, unlike HeadObject's.
            etag,
            ...(head.VersionId ? { "version-id": head.VersionId } : {}),
            sequencer: sequence.toString(16).toUpperCase().padStart(18, "0"),
          },
          "request-id": randomUUID().replaceAll("-", "").slice(0, 16).toUpperCase(),
          requester: options.account,
          "source-ip-address": "127.0.0.1",
          reason: parseMd5Etag(etag)?.parts === undefined ? "PutObject" : "CompleteMultipartUpload",
        },
      };
      await options.sqs.send(
        new SendMessageCommand({
          QueueUrl: options.validationQueueUrl,
          MessageBody: JSON.stringify(event),
        }),
      );
      options.onEvent?.(event);
    },
    (error, upload) =>
      options.onError(error, `EventBridge event for s3://${upload.bucket}/${upload.key}`),
  );
}
