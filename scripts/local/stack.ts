/**
 * The whole pipeline on one machine: the fauxqs emulator with the same buckets, queues (and
 * redrive policies), topic and subscription as the deployed stack — named from the same
 * settings (resources/settings.ts) — the real Lambda handlers, and small stand-ins for what the
 * emulator lacks (EventBridge, replication, Lambda's SQS polling, email, a regional outage,
 * DynamoDB for the notifier's alerts-sent table, CloudWatch metrics).
 */
import { mkdir, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { S3Client } from "@aws-sdk/client-s3";
import { SNSClient } from "@aws-sdk/client-sns";
import { SQSClient } from "@aws-sdk/client-sqs";
import { type FauxqsServer, startFauxqs } from "fauxqs";
import {
  type ConsumerFunctionKey,
  type ResourceNames,
  resourceNames,
  settings,
} from "../../resources/settings.ts";
import type { StackOutputValues } from "../../resources/stack-outputs.ts";
import type { BucketPairs } from "../../shared/contracts/bucket-pairs.ts";
import {
  deepVerificationValues,
  notifierEnvironment,
  validatorEnvironment,
} from "../../shared/contracts/environment.ts";
import { LOCAL_STAGE } from "../oncall/stack-outputs.ts";
import { startCloudWatchStandIn } from "./cloudwatch.ts";
import { startDynamoDbStandIn } from "./dynamodb.ts";
import { type Email, type EmailOutbox, startEmailOutbox } from "./email-outbox.ts";
import { onEmulatorOrigin } from "./emulator-urls.ts";
import { startEventBridgeStandIn } from "./eventbridge.ts";
import { type FaultProxy, startFaultProxy } from "./fault-proxy.ts";
import { captureFunctionLogs, type FunctionLogRecord, type FunctionLogs } from "./function-logs.ts";
import {
  type EventSource,
  type InvocationResult,
  type SqsHandler,
  startEventSource,
} from "./lambda-event-source.ts";
import { fateByKeyPrefix, type ReplicaFate, startReplicationStandIn } from "./replication.ts";
import { type S3Outage, s3Outage } from "./s3-outage.ts";
import { createTopology, type QueuePair } from "./topology.ts";
import type { UploadWatcher } from "./upload-watcher.ts";

export type { QueuePair } from "./topology.ts";

/**
 * Durations that differ from the deployed settings so that a local run takes seconds, not
 * the quarter of an hour replication is allowed. Everything else comes from settings.json.
 */
export interface LocalTimings {
  readonly replicationLagMs: number;
  /** Deployed: 6 × function timeout + batching window (minutes); locally seconds. */
  readonly visibilityTimeoutSeconds: number;
  readonly batchingWindowMs: number;
  /** Deployed: 900 s (S3 RTC's promise). */
  readonly replicationDeadlineSeconds: number;
  /** Deployed: 30 s, doubling. */
  readonly retryBaseDelaySeconds: number;
  /** Deployed: 10 s (SDK_REQUEST_TIMEOUT_MS); locally short, so a stalled call fails fast. */
  readonly sdkRequestTimeoutMs: number;
  /**
   * Pollers per function. Deployed: the mappings' maximum concurrency. Locally 1 by default:
   * with a visibility timeout of seconds, a slow batch would otherwise be handed to a second
   * poller while the first still works on it (AWS avoids that with visibility ≥ 6 × timeout).
   */
  readonly pollers: number;
  /** The functions' timeout as their context counts it. Deployed (and by default): settings.json. */
  readonly functionTimeoutSeconds?: number;
}

export const DEFAULT_LOCAL_TIMINGS: LocalTimings = {
  replicationLagMs: 500,
  visibilityTimeoutSeconds: 2,
  batchingWindowMs: 250,
  replicationDeadlineSeconds: 6,
  retryBaseDelaySeconds: 1,
  sdkRequestTimeoutMs: 2000,
  pollers: 1,
};

export { LOCAL_STAGE } from "../oncall/stack-outputs.ts";

const CREDENTIALS = { accessKeyId: "test", secretAccessKey: "test" };

export interface LocalStackOptions {
  readonly timings?: Partial<LocalTimings>;
  /** 0 (default) picks a free port. */
  readonly port?: number;
  readonly outboxDirectory: string;
  /** Where to write the stack outputs file the on-call commands read (--stack-outputs). */
  readonly stackOutputsFile: string;
  readonly fateOf?: (bucket: string, key: string) => ReplicaFate;
  /** Print the functions' log records as they are written (they are always collected). */
  readonly echoFunctionLogs?: boolean;
  readonly log: (line: string) => void;
  readonly onInvoke?: (result: InvocationResult) => void;
  readonly onEmail?: (email: Email) => void;
  /** Each log record a function writes, as it is written. */
  readonly onFunctionLog?: (record: FunctionLogRecord) => void;
}

export interface LocalStack {
  readonly endpoint: string;
  readonly server: FauxqsServer;
  readonly names: ResourceNames;
  readonly timings: LocalTimings;
  /** Primary bucket → its pair, as BUCKET_PAIRS says. */
  readonly bucketPairs: BucketPairs;
  readonly queues: { readonly validation: QueuePair; readonly failure: QueuePair };
  readonly alertTopicArn: string;
  readonly outbox: EmailOutbox;
  /** The proxy every function call goes through; its policy decides what fails. */
  readonly faults: FaultProxy;
  /** A regional S3 outage on top of it. */
  readonly outage: S3Outage;
  /** Everything the functions logged (the CloudWatch Logs stand-in). */
  readonly functionLogs: FunctionLogs;
  readonly clients: { readonly s3: S3Client; readonly sqs: SQSClient; readonly sns: SNSClient };
  readonly stackOutputsFile: string;
  /** Environment for any AWS CLI or SDK pointed at the local stack. */
  readonly userEnvironment: Readonly<Record<string, string>>;
  stop(): Promise<void>;
}

export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const timings = { ...DEFAULT_LOCAL_TIMINGS, ...options.timings };
  const names = resourceNames(LOCAL_STAGE);
  const server = await startFauxqs({
    port: options.port ?? 0,
    logger: false,
    // The spy feed stands in for S3 event notifications; keep enough of it for bursts.
    messageSpies: { bufferSize: 50_000 },
  });
  const clientConfig = {
    endpoint: server.address,
    region: names.primaryRegion,
    credentials: CREDENTIALS,
  };
  const s3 = new S3Client(clientConfig);
  const sqs = new SQSClient(clientConfig);
  const sns = new SNSClient(clientConfig);
  const stoppers: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const stopper of stoppers.reverse()) await stopper();
  };
  stoppers.push(async () => {
    s3.destroy();
    sqs.destroy();
    sns.destroy();
    await server.stop();
  });

  try {
    const topology = await createTopology({
      stage: LOCAL_STAGE,
      endpoint: server.address,
      clients: { s3, sqs, sns },
      visibilityTimeoutSeconds: timings.visibilityTimeoutSeconds,
      replicationDeadlineSeconds: timings.replicationDeadlineSeconds,
    });
    const { queues, alertTopicArn, mailbox } = topology;

    // Every AWS call the functions make goes through the fault proxy: an outage or a soak
    // decides there what fails. Queue URLs are put on its origin, or the SQS client would send
    // to the emulator directly (it sends to a queue URL's own host).
    const faults = await startFaultProxy(server.address, {
      stallMs: timings.sdkRequestTimeoutMs * 3,
    });
    stoppers.push(() => faults.stop());
    const outage = s3Outage(faults);
    const throughFaults = (url: string) => onEmulatorOrigin(url, faults.endpoint);
    const dynamo = await startDynamoDbStandIn({
      tableName: names.alertsSentTable,
      region: names.primaryRegion,
    });
    stoppers.push(() => dynamo.stop());

    const handlerEnvironment: Record<string, string> = {
      ...validatorEnvironment({
        bucketPairs: topology.bucketPairs,
        replicaRegion: names.replicaRegion,
        failureQueueUrl: throughFaults(queues.failure.url),
        validationQueueUrl: throughFaults(queues.validation.url),
        replicationDeadlineSeconds: String(timings.replicationDeadlineSeconds),
        retryBaseDelaySeconds: String(timings.retryBaseDelaySeconds),
        ...deepVerificationValues(settings.deepVerification),
        stage: LOCAL_STAGE,
        sdkRequestTimeoutMs: String(timings.sdkRequestTimeoutMs),
      }),
      ...notifierEnvironment({
        alertTopicArn,
        stage: LOCAL_STAGE,
        alertsSentTable: names.alertsSentTable,
        sdkRequestTimeoutMs: String(timings.sdkRequestTimeoutMs),
      }),
      AWS_REGION: names.primaryRegion,
      AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
      AWS_ENDPOINT_URL: faults.endpoint,
      // The alerts-sent table is on its own stand-in (dynalite), outside the fault proxy.
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
      // INFO and the global console: the CloudWatch Logs stand-in collects every record.
      POWERTOOLS_LOG_LEVEL: "INFO",
      POWERTOOLS_DEV: "true",
      // Metrics on: their EMF documents feed the CloudWatch stand-in (npm run status).
      POWERTOOLS_METRICS_DISABLED: "false",
    };
    const functionLogs = captureFunctionLogs(
      options.echoFunctionLogs ? (line) => options.log(line) : undefined,
      options.onFunctionLog,
    );
    stoppers.push(async () => functionLogs.restore());
    const cloudWatch = await startCloudWatchStandIn({
      metrics: functionLogs.metrics,
      queue: (name) => {
        const queue = server.inspectQueue(name);
        if (!queue) return undefined;
        const { ready, delayed, inflight } = queue.messages;
        const all = [...ready, ...delayed, ...inflight.map((held) => held.message)];
        const sent = all.map((message) => message.sentTimestamp);
        return {
          messages: all.length,
          ...(sent.length > 0 ? { oldestSentAt: Math.min(...sent) } : {}),
        };
      },
    });
    stoppers.push(() => cloudWatch.stop());
    stoppers.push(applyEnvironment(handlerEnvironment));
    // Imported only now: like a Lambda cold start, each handler reads its configuration and
    // builds its clients when its module loads.
    const validators = await loadInstances("checksum-validator", timings.pollers);
    const notifiers = await loadInstances("failure-notifier", timings.pollers);

    const onError = (error: unknown, where: string) =>
      options.log(`! ${where} failed: ${error instanceof Error ? error.message : String(error)}`);
    // Each function polls its queue as its event source mapping would, with the deployed batch
    // size; the batching window is the deployed one, capped by the local timings.
    const consume = (queue: QueuePair, functionKey: ConsumerFunctionKey, handlers: SqsHandler[]) =>
      startEventSource({
        sqs,
        queueUrl: queue.url,
        queueArn: queue.arn,
        region: names.primaryRegion,
        functionName: names.functions[functionKey],
        // As many execution environments as the mapping's maximum concurrency allows.
        handlers: handlers.slice(0, settings.functions[functionKey].maximumConcurrency),
        batchSize: settings.functions[functionKey].batchSize,
        timeoutMs:
          (timings.functionTimeoutSeconds ?? settings.functions[functionKey].timeoutSeconds) * 1000,
        batchingWindowMs: Math.min(
          timings.batchingWindowMs,
          settings.functions[functionKey].maximumBatchingWindowSeconds * 1000,
        ),
        onInvoke: options.onInvoke,
        onError,
      });
    const eventSources: EventSource[] = [
      consume(queues.validation, "checksum-validator", validators),
      consume(queues.failure, "failure-notifier", notifiers),
    ];
    stoppers.push(async () => {
      await Promise.all(eventSources.map((source) => source.stop()));
    });

    const primaryBuckets = new Set(names.buckets.map((pair) => pair.primaryBucket));
    const watchers: UploadWatcher[] = [
      startEventBridgeStandIn({
        spy: server.spy,
        s3,
        sqs,
        primaryBuckets,
        validationQueueUrl: queues.validation.url,
        account: names.accountId,
        region: names.primaryRegion,
        onError,
      }),
      startReplicationStandIn({
        spy: server.spy,
        s3,
        replicaOf: new Map(names.buckets.map((pair) => [pair.primaryBucket, pair.replicaBucket])),
        lagMs: timings.replicationLagMs,
        fateOf: options.fateOf ?? fateByKeyPrefix,
        onError,
      }),
    ];
    stoppers.push(async () => {
      await Promise.all(watchers.map((watcher) => watcher.stop()));
    });

    const outbox = await startEmailOutbox({
      sqs,
      queueUrl: mailbox.url,
      directory: options.outboxDirectory,
      recipient: "operators@example.com",
      onEmail: options.onEmail,
      onError,
    });
    stoppers.push(() => outbox.stop());

    await writeStackOutputs(options.stackOutputsFile, {
      ...topology.outputs,
      AlarmNamePrefix: names.alarmNamePrefix,
      // The on-call commands take these from the file: no --endpoint-url needed.
      EndpointUrl: server.address,
      CloudWatchEndpointUrl: cloudWatch.endpoint,
    });

    return {
      endpoint: server.address,
      server,
      names,
      timings,
      bucketPairs: new Map(names.buckets.map((pair) => [pair.primaryBucket, pair])),
      queues,
      alertTopicArn,
      outbox,
      faults,
      outage,
      functionLogs,
      clients: { s3, sqs, sns },
      stackOutputsFile: options.stackOutputsFile,
      userEnvironment: {
        AWS_ENDPOINT_URL: server.address,
        AWS_REGION: names.primaryRegion,
        AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
        BACKUP_VALIDATOR_STACK_OUTPUTS: options.stackOutputsFile,
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * Loads a function's handler module `count` times, each its own module instance (its own
 * clients and batch processor), as `count` Lambda execution environments would. Loading reads
 * the configuration and builds the clients, like a cold start.
 */
async function loadInstances(name: ConsumerFunctionKey, count: number): Promise<SqsHandler[]> {
  const handlers: SqsHandler[] = [];
  for (let instance = 1; instance <= count; instance += 1) {
    const url = new URL(`../../functions/${name}/handler.ts`, import.meta.url);
    if (instance > 1) url.searchParams.set("environment", String(instance));
    handlers.push((await import(url.href)).handler as SqsHandler);
  }
  return handlers;
}

/** Sets environment variables for the handlers; returns a function restoring the old values. */
function applyEnvironment(values: Record<string, string>): () => Promise<void> {
  const previous = Object.fromEntries(Object.keys(values).map((name) => [name, process.env[name]]));
  Object.assign(process.env, values);
  return async () => {
    for (const [name, value] of Object.entries(previous)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
}

async function writeStackOutputs(file: string, outputs: StackOutputValues): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, `${JSON.stringify(outputs, null, 2)}\n`);
}
