/**
 * The deployed stack's resources on an emulator, named and configured from the same settings as
 * the stacks (resources/settings.ts): the bucket pairs, the validation and failure queues with
 * their dead-letter queues and redrive policies, and the alert topic with a mailbox queue
 * subscribed to it. The local stack and the on-call tests both build their world with this, so
 * what the tools are tested against is what `npm start` runs.
 */
import { CreateBucketCommand, type S3Client } from "@aws-sdk/client-s3";
import { CreateTopicCommand, type SNSClient, SubscribeCommand } from "@aws-sdk/client-sns";
import { CreateQueueCommand, GetQueueAttributesCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { queueSettingsFor, type ResourceNames, resourceNames } from "../../resources/settings.ts";
import type { StackOutputValues } from "../../resources/stack-outputs.ts";
import { formatBucketPairs } from "../../shared/contracts/bucket-pairs.ts";
import { onEmulatorOrigin } from "./emulator-urls.ts";

export interface QueuePair {
  readonly name: string;
  readonly url: string;
  readonly arn: string;
  readonly dlqName: string;
  readonly dlqUrl: string;
  readonly dlqArn: string;
}

export interface TopologyOptions {
  readonly stage: string;
  /** The emulator's address: queue URLs are put on its origin (see emulator-urls.ts). */
  readonly endpoint: string;
  readonly clients: { readonly s3: S3Client; readonly sqs: SQSClient; readonly sns: SNSClient };
  /** Locally shortened; the deployed value comes from settings.json. */
  readonly visibilityTimeoutSeconds?: number;
  readonly replicationDeadlineSeconds: number;
}

export interface Topology {
  readonly names: ResourceNames;
  /** The BUCKET_PAIRS JSON of the stage. */
  readonly bucketPairs: string;
  readonly queues: { readonly validation: QueuePair; readonly failure: QueuePair };
  readonly alertTopicArn: string;
  /** An SQS queue subscribed to the alert topic: what an email subscriber would receive. */
  readonly mailbox: { readonly url: string; readonly arn: string };
  /** The primary stack's outputs, as the on-call commands read them. */
  readonly outputs: StackOutputValues;
}

export async function createTopology(options: TopologyOptions): Promise<Topology> {
  const { s3, sqs, sns } = options.clients;
  const names = resourceNames(options.stage);
  for (const pair of names.buckets) {
    await s3.send(new CreateBucketCommand({ Bucket: pair.primaryBucket }));
    await s3.send(new CreateBucketCommand({ Bucket: pair.replicaBucket }));
  }
  const createQueue = async (name: string, attributes: Record<string, string>) => {
    const { QueueUrl } = await sqs.send(
      new CreateQueueCommand({ QueueName: name, Attributes: attributes }),
    );
    const url = onEmulatorOrigin(QueueUrl ?? "", options.endpoint);
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["QueueArn"] }),
    );
    return { url, arn: Attributes?.QueueArn ?? "" };
  };
  const queueSettings = queueSettingsFor(options.stage);
  const createQueuePair = async (key: "validation" | "failure"): Promise<QueuePair> => {
    const queue = queueSettings[key];
    const dlq = await createQueue(queue.dlq.name, {
      MessageRetentionPeriod: String(queue.dlq.messageRetentionSeconds),
    });
    const main = await createQueue(queue.name, {
      VisibilityTimeout: String(options.visibilityTimeoutSeconds ?? queue.visibilityTimeoutSeconds),
      MessageRetentionPeriod: String(queue.messageRetentionSeconds),
      RedrivePolicy: JSON.stringify({
        deadLetterTargetArn: dlq.arn,
        maxReceiveCount: String(queue.maxReceiveCount),
      }),
    });
    return { name: queue.name, ...main, dlqName: queue.dlq.name, dlqUrl: dlq.url, dlqArn: dlq.arn };
  };
  const queues = {
    validation: await createQueuePair("validation"),
    failure: await createQueuePair("failure"),
  };

  const { TopicArn: alertTopicArn = "" } = await sns.send(
    new CreateTopicCommand({ Name: names.alertTopic }),
  );
  const mailbox = await createQueue(`${names.alertTopic}-email-outbox`, {});
  await sns.send(
    new SubscribeCommand({ TopicArn: alertTopicArn, Protocol: "sqs", Endpoint: mailbox.arn }),
  );
  const bucketPairs = formatBucketPairs(names.buckets);
  return {
    names,
    bucketPairs,
    queues,
    alertTopicArn,
    mailbox,
    outputs: {
      Stage: options.stage,
      ReplicaRegion: names.replicaRegion,
      BucketPairs: bucketPairs,
      ValidationQueueUrl: queues.validation.url,
      ValidationQueueArn: queues.validation.arn,
      ValidationDlqUrl: queues.validation.dlqUrl,
      ValidationDlqArn: queues.validation.dlqArn,
      FailureQueueUrl: queues.failure.url,
      FailureQueueArn: queues.failure.arn,
      FailureDlqUrl: queues.failure.dlqUrl,
      FailureDlqArn: queues.failure.dlqArn,
      AlertTopicArn: alertTopicArn,
      // The validator's deadline here, so `npm run verify` judges overdue replicas the same way.
      ReplicationDeadlineSeconds: String(options.replicationDeadlineSeconds),
    },
  };
}
