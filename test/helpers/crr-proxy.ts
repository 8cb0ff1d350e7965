/**
 * keepVersionIds (test/helpers/moto.ts) for code that builds its own S3 clients, such as a
 * Lambda handler: an HTTP proxy in front of moto_server that shows the replica buckets' copies
 * the way CRR writes replicas, with the source's version id and the replication status REPLICA.
 * A request naming a source version id for a replica bucket is sent on with the copy's id; an
 * answer carrying a copy's id is given the source's. Versions written without `replicated` (an
 * overwrite) pass unchanged, as on S3. moto does not check SigV4 signatures, so the rewritten
 * query string is accepted.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-what-is-isnot-replicated.html
 */
import { createServer, request } from "node:http";
import { listenOnLoopback } from "../../scripts/local/fault-proxy.ts";

export interface CrrProxy {
  readonly endpoint: string;
  /** The test wrote `copyVersionId` to the replica bucket as the replica of `sourceVersionId`. */
  replicated(sourceVersionId: string, copyVersionId: string): void;
  stop(): Promise<void>;
}

export async function startCrrProxy(
  upstream: string,
  replicaBuckets: readonly string[],
): Promise<CrrProxy> {
  const upstreamUrl = new URL(upstream);
  const toCopy = new Map<string, string>();
  const toSource = new Map<string, string>();
  const server = createServer((incoming, outgoing) => {
    const url = new URL(incoming.url ?? "/", "http://proxy");
    const bucket = url.pathname.split("/")[1] ?? "";
    const replica = replicaBuckets.includes(bucket);
    const asked = url.searchParams.get("versionId");
    const copy = asked === null ? undefined : toCopy.get(asked);
    if (replica && copy !== undefined) url.searchParams.set("versionId", copy);
    const proxied = request(
      {
        host: upstreamUrl.hostname,
        port: upstreamUrl.port,
        method: incoming.method,
        path: `${url.pathname}${url.search}`,
        headers: { ...incoming.headers, host: upstreamUrl.host },
      },
      (response) => {
        const headers = { ...response.headers };
        const answered = headers["x-amz-version-id"];
        const source = replica && typeof answered === "string" ? toSource.get(answered) : undefined;
        if (source !== undefined) {
          headers["x-amz-version-id"] = source;
          headers["x-amz-replication-status"] = "REPLICA";
        }
        outgoing.writeHead(response.statusCode ?? 502, headers);
        response.pipe(outgoing);
      },
    );
    proxied.on("error", () => outgoing.destroy());
    incoming.pipe(proxied);
  });
  const listening = await listenOnLoopback(server);
  return {
    endpoint: listening.endpoint,
    replicated(sourceVersionId, copyVersionId) {
      toCopy.set(sourceVersionId, copyVersionId);
      toSource.set(copyVersionId, sourceVersionId);
    },
    stop: () => listening.close(),
  };
}
