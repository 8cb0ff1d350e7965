/**
 * Local stand-in for a regional S3 outage: an HTTP proxy in front of the emulator's S3 that
 * answers 503 SlowDown for the requests an outage covers, and forwards everything else. The
 * validator's S3 clients are pointed at it (AWS_ENDPOINT_URL_S3), so the outage hits exactly
 * what it would in AWS: the SDK retries, the record fails, SQS redelivers it, and after
 * maxReceiveCount it lands in the dead-letter queue, ready to be redriven when S3 is back.
 */
import { createServer, type IncomingMessage, request, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** Path-style request target: emulator endpoints are IP addresses, so the SDK uses paths. */
export interface S3Target {
  readonly method: string;
  readonly bucket: string;
  readonly key: string;
}

export interface S3OutageProxy {
  readonly endpoint: string;
  /** Starts failing the requests `covers` selects; `undefined` ends the outage. */
  setOutage(covers: ((target: S3Target) => boolean) | undefined): void;
  /** Requests answered with 503 so far. */
  readonly failedRequests: number;
  stop(): Promise<void>;
}

export async function startS3OutageProxy(upstream: string): Promise<S3OutageProxy> {
  const upstreamUrl = new URL(upstream);
  let covers: ((target: S3Target) => boolean) | undefined;
  let failedRequests = 0;

  const server = createServer((incoming, outgoing) => {
    const target = s3Target(incoming);
    if (covers && target && covers(target)) {
      failedRequests += 1;
      // https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html (SlowDown, 503)
      outgoing.writeHead(503, {
        "content-type": "application/xml",
        "x-amz-request-id": "LOCALOUTAGE",
      });
      outgoing.end(
        incoming.method === "HEAD"
          ? undefined
          : "<Error><Code>SlowDown</Code><Message>Local outage stand-in: please reduce your request rate.</Message></Error>",
      );
      return;
    }
    forward(incoming, outgoing, upstreamUrl);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    setOutage(selector) {
      covers = selector;
    },
    get failedRequests() {
      return failedRequests;
    },
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) =>
        server.close((error) => (error ? reject(error) : resolve())),
      );
    },
  };
}

function s3Target(incoming: IncomingMessage): S3Target | undefined {
  const path = new URL(incoming.url ?? "/", "http://local").pathname;
  const [, bucket = "", ...key] = path.split("/");
  if (!bucket) return undefined;
  return { method: incoming.method ?? "GET", bucket, key: decodeURIComponent(key.join("/")) };
}

/** Sends a request on to `upstream` as it came, and its answer back (also the latency proxy's). */
export function forward(incoming: IncomingMessage, outgoing: ServerResponse, upstream: URL): void {
  const proxied = request(
    {
      host: upstream.hostname,
      port: upstream.port,
      method: incoming.method,
      path: incoming.url,
      headers: { ...incoming.headers, host: upstream.host },
    },
    (response) => {
      outgoing.writeHead(response.statusCode ?? 502, response.headers);
      response.pipe(outgoing);
    },
  );
  proxied.on("error", (error) => {
    outgoing.writeHead(502, { "content-type": "text/plain" });
    outgoing.end(`local S3 proxy: ${error.message}`);
  });
  incoming.pipe(proxied);
}
