/**
 * moto_server (scripts/local/moto-server.ts) for the tests: one server per test file, S3 clients
 * for the primary and the replica region, and stand-ins for what moto does not do.
 *
 * moto differs from AWS in ways the tests must not inherit (measured with moto 5.2.1; expected
 * verdicts are always written from AWS's documentation):
 * - it never replicates, so "replicas" are written by the test, and it gives them new version
 *   IDs where CRR keeps the source's: `keepVersionIds` stands in for that;
 * - HeadObject shows a composite checksum without its `-N` and without ChecksumType unless the
 *   upload named the type: uploads name it;
 * - it stores checksums without verifying them and computes CRC32C and CRC64NVME wrongly on its
 *   own: tests send values the SDK computed (ChecksumAlgorithm on single-part uploads) and use
 *   CRC32, SHA-1 or SHA-256 for multipart ones, which moto computes right;
 * - SSE-KMS ETags are MD5 digests in moto (on AWS they are not): the validator never reads them
 *   as evidence, whatever they look like, so the tests expect what AWS semantics give;
 * - HeadObject with PartNumber answers the part's size and PartsCount (as AWS), but the part's
 *   own MD5 as ETag: nothing reads that ETag.
 */

import { Sha512 } from "@aws-sdk/checksums/sha";
import { Xxh3_64, Xxh3_128, Xxh64 } from "@aws-sdk/checksums/xxh";
import {
  CreateBucketCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  type PutObjectCommandInput,
  S3Client,
  type S3ClientConfig,
} from "@aws-sdk/client-s3";
import { type MotoServer, startMoto } from "../../scripts/local/moto-server.ts";
import { TEST_CREDENTIALS } from "./emulator.ts";

export const PRIMARY_REGION = "us-east-1";
export const REPLICA_REGION = "us-west-2";

export interface MotoS3 {
  readonly server: MotoServer;
  /** Clients of the primary and the replica region, as the validator would build them. */
  readonly primary: S3Client;
  readonly replica: S3Client;
  /** Another client of moto, e.g. one that sends no checksum (the caller destroys it). */
  client(region: string, config?: Partial<S3ClientConfig>): S3Client;
  /** Buckets in both regions; versioned unless told otherwise. */
  createBuckets(pair: { primary: string; replica: string }, versioned?: boolean): Promise<void>;
  /** PutObject; returns the version ID moto gave. */
  put(client: S3Client, input: PutObjectCommandInput): Promise<string | undefined>;
  stop(): Promise<void>;
}

/** Starts moto_server on a free port (in beforeAll, with a generous hook timeout). */
export async function startMotoS3(): Promise<MotoS3> {
  const server = await startMoto();
  const client = (region: string, config: Partial<S3ClientConfig> = {}) =>
    new S3Client({
      endpoint: server.endpoint,
      region,
      forcePathStyle: true,
      credentials: TEST_CREDENTIALS,
      // The SDK computes SHA-512 and the xxHash family only with implementations given to it.
      checksumAlgorithms: {
        SHA512: Sha512,
        XXHASH64: Xxh64,
        XXHASH3: Xxh3_64,
        XXHASH128: Xxh3_128,
      },
      ...config,
    });
  const primary = client(PRIMARY_REGION);
  const replica = client(REPLICA_REGION);
  return {
    server,
    primary,
    replica,
    client,
    async createBuckets(pair, versioned = true) {
      for (const [s3, bucket, region] of [
        [primary, pair.primary, PRIMARY_REGION],
        [replica, pair.replica, REPLICA_REGION],
      ] as const) {
        await s3.send(
          new CreateBucketCommand({
            Bucket: bucket,
            ...(region === "us-east-1"
              ? {}
              : { CreateBucketConfiguration: { LocationConstraint: region } }),
          }),
        );
        if (versioned) {
          await s3.send(
            new PutBucketVersioningCommand({
              Bucket: bucket,
              VersioningConfiguration: { Status: "Enabled" },
            }),
          );
        }
      }
    },
    async put(s3, input) {
      return (await s3.send(new PutObjectCommand(input))).VersionId;
    },
    async stop() {
      primary.destroy();
      replica.destroy();
      await server.stop();
    },
  };
}

/**
 * CRR gives a replica the source's version ID and marks it with the replication status REPLICA;
 * moto gives the test's copy a new version ID and no status. This maps, on the replica client,
 * the source's version ID to the copy's in requests, and back in answers, and shows the copies
 * it maps as REPLICA, so the validator sees what CRR would show. A version the test writes
 * without `replicated` (an overwrite) keeps moto's id and has no status, as on S3.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-what-is-isnot-replicated.html
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-status.html
 */
export function keepVersionIds(
  replica: S3Client,
  /** With it, the source versions replicated show the status COMPLETED, as CRR sets it. */
  primary?: S3Client,
): CrrStandIn {
  const crr = crrStandIn();
  crr.attachReplica(replica);
  if (primary) crr.attachPrimary(primary);
  return crr;
}

/** keepVersionIds for clients made later (by the code under test): attach each as it comes. */
export interface CrrStandIn {
  /** The test wrote `copyVersionId` on the replica as the replica of `sourceVersionId`. */
  replicated(sourceVersionId: string, copyVersionId: string): void;
  /** Source versions replicated show the replication status COMPLETED. */
  attachPrimary(client: S3Client): void;
  /** Copies answer (HEAD, GET, ListObjectVersions) with the source's version id and REPLICA. */
  attachReplica(client: S3Client): void;
}

export function crrStandIn(): CrrStandIn {
  const toCopy = new Map<string, string>();
  const toSource = new Map<string, string>();
  return {
    replicated(sourceVersionId, copyVersionId) {
      toCopy.set(sourceVersionId, copyVersionId);
      toSource.set(copyVersionId, sourceVersionId);
    },
    attachPrimary(client) {
      client.middlewareStack.add(
        (next) => async (args) => {
          const result = await next(args);
          const output = result.output as { VersionId?: string; ReplicationStatus?: string };
          if (output.VersionId !== undefined && toCopy.has(output.VersionId)) {
            output.ReplicationStatus = "COMPLETED";
          }
          return result;
        },
        { step: "initialize", name: "crrMarksSourcesCompleted", override: true },
      );
    },
    attachReplica(client) {
      client.middlewareStack.add(
        (next) => async (args) => {
          const input = args.input as { VersionId?: string };
          const copy = input.VersionId === undefined ? undefined : toCopy.get(input.VersionId);
          const result = await next(
            copy
              ? { ...args, input: { ...args.input, VersionId: copy } as typeof args.input }
              : args,
          );
          const output = result.output as {
            VersionId?: string;
            ReplicationStatus?: string;
            Versions?: { VersionId?: string }[];
          };
          const source =
            output.VersionId === undefined ? undefined : toSource.get(output.VersionId);
          if (source) {
            output.VersionId = source;
            output.ReplicationStatus = "REPLICA";
          }
          for (const version of output.Versions ?? []) {
            const listed = version.VersionId && toSource.get(version.VersionId);
            if (listed) version.VersionId = listed;
          }
          return result;
        },
        { step: "initialize", name: "crrKeepsVersionIds", override: true },
      );
    },
  };
}

/**
 * Records each request the client sends, as `<side> <Command>` (`<side> HeadObject part` for a
 * part HEAD), into `log`: what a test asserts about the requests the code under test made.
 */
export function recordRequests(client: S3Client, side: string, log: string[]): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as { PartNumber?: number };
      const command = String(context.commandName).replace(/Command$/, "");
      log.push(`${side} ${command}${input.PartNumber ? " part" : ""}`);
      return next(args);
    },
    { step: "initialize", name: `recordRequests-${side}` },
  );
}

/**
 * Writes an object on the primary and its replica as CRR would: the same bytes (or
 * `replicaBody`, for a replica that went wrong), the source's version id kept through `crr`
 * in a versioned pair. Returns the source's version id (none in an unversioned pair).
 */
export async function putReplicated(
  moto: MotoS3,
  crr: Pick<CrrStandIn, "replicated">,
  pair: { readonly primary: string; readonly replica: string },
  key: string,
  body: string | Uint8Array,
  replicaBody: string | Uint8Array = body,
): Promise<string | undefined> {
  const source = await moto.put(moto.primary, { Bucket: pair.primary, Key: key, Body: body });
  const copy = await moto.put(moto.replica, { Bucket: pair.replica, Key: key, Body: replicaBody });
  if (source && copy) crr.replicated(source, copy);
  return source;
}
