/**
 * An HTTP proxy in front of the emulator that the functions' AWS calls go through (S3, SQS, SNS),
 * and that can make any of them fail the ways AWS does on a bad day: a 503 SlowDown, a 500, a
 * throttle (429), a connection reset, a stall that never answers. What fails is decided per
 * request by a policy: a regional outage (s3-outage.ts) or random faults (the soak).
 * https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html
 * https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html
 */
import {
  createServer,
  type IncomingMessage,
  request,
  type Server,
  type ServerResponse,
} from "node:http";
import type { AddressInfo, Socket } from "node:net";

export type Fault = "slow-down" | "internal-error" | "throttle" | "reset" | "stall";
export const FAULTS: readonly Fault[] = [
  "slow-down",
  "internal-error",
  "throttle",
  "reset",
  "stall",
];

/** A request as the policy sees it: S3 path-style targets carry bucket and key. */
export interface ProxiedRequest {
  readonly method: string;
  /** `s3` for path-style S3 requests; `api` for SQS and SNS (posted to the root). */
  readonly service: "s3" | "api";
  readonly bucket?: string;
  readonly key?: string;
}

export type FaultPolicy = (request: ProxiedRequest) => Fault | undefined;

export interface FaultProxy {
  readonly endpoint: string;
  /** Starts answering with the faults `policy` picks; `undefined` forwards everything again. */
  setPolicy(policy: FaultPolicy | undefined): void;
  /** Faults injected so far, by kind. */
  readonly injected: Readonly<Record<Fault, number>>;
  stop(): Promise<void>;
}

export interface FaultProxyOptions {
  /** How long a stalled request is held before its connection is dropped. */
  readonly stallMs?: number;
}

export async function startFaultProxy(
  upstream: string,
  options: FaultProxyOptions = {},
): Promise<FaultProxy> {
  const upstreamUrl = new URL(upstream);
  const stallMs = options.stallMs ?? 30_000;
  let policy: FaultPolicy | undefined;
  const injected: Record<Fault, number> = {
    "slow-down": 0,
    "internal-error": 0,
    throttle: 0,
    reset: 0,
    stall: 0,
  };
  const stalls = new Set<NodeJS.Timeout>();

  const server = createServer((incoming, outgoing) => {
    const fault = policy?.(describe(incoming));
    if (fault === undefined) {
      forward(incoming, outgoing, upstreamUrl);
      return;
    }
    injected[fault] += 1;
    answerWith(fault, incoming, outgoing, stallMs, stalls);
  });
  const listening = await listenOnLoopback(server);

  return {
    endpoint: listening.endpoint,
    setPolicy(next) {
      policy = next;
    },
    injected,
    async stop() {
      for (const timer of stalls) clearTimeout(timer);
      await listening.close();
    },
  };
}

/**
 * Listens on a free loopback port; `close` drops the connections still open (kept alive by the
 * SDK, or stalled) before closing, so a test or the local stack ends at once.
 */
export async function listenOnLoopback(
  server: Server,
): Promise<{ readonly endpoint: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve, reject) =>
        server.close((error) => (error ? reject(error) : resolve())),
      );
    },
  };
}

function answerWith(
  fault: Fault,
  incoming: IncomingMessage,
  outgoing: ServerResponse,
  stallMs: number,
  stalls: Set<NodeJS.Timeout>,
): void {
  // Drain the request body so the client is not blocked writing it.
  incoming.resume();
  // S3's XML error body; an answer to a HEAD has none (the SDK then sees only the status).
  const s3Error = (status: number, code: string, message: string) => {
    outgoing.writeHead(status, { "content-type": "application/xml", "x-amz-request-id": "FAULT" });
    outgoing.end(
      incoming.method === "HEAD"
        ? undefined
        : `<Error><Code>${code}</Code><Message>${message}</Message></Error>`,
    );
  };
  switch (fault) {
    case "slow-down":
      s3Error(503, "SlowDown", "Please reduce your request rate.");
      return;
    case "internal-error":
      s3Error(500, "InternalError", "We encountered an internal error.");
      return;
    case "throttle":
      // 429 is a throttling error for every AWS SDK, whatever the service's protocol.
      outgoing.writeHead(429, { "x-amz-request-id": "FAULT" });
      outgoing.end();
      return;
    case "reset":
      incoming.socket.destroy();
      return;
    case "stall": {
      const timer = setTimeout(() => {
        stalls.delete(timer);
        incoming.socket.destroy();
      }, stallMs);
      stalls.add(timer);
      return;
    }
  }
}

function describe(incoming: IncomingMessage): ProxiedRequest {
  const method = incoming.method ?? "GET";
  const path = new URL(incoming.url ?? "/", "http://local").pathname;
  const [, bucket = "", ...key] = path.split("/");
  // SQS and SNS requests are POSTs to the root (or to a queue path with a JSON target header).
  if (bucket === "" || incoming.headers["x-amz-target"] || /^\d{12}$/.test(bucket)) {
    return { method, service: "api" };
  }
  return { method, service: "s3", bucket, key: decodeURIComponent(key.join("/")) };
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
    if (outgoing.headersSent) {
      outgoing.destroy();
      return;
    }
    outgoing.writeHead(502, { "content-type": "text/plain" });
    outgoing.end(`local fault proxy: ${error.message}`);
  });
  incoming.pipe(proxied);
}

/** Random faults at `rate` (0..1), the kinds taken in turn from FAULTS; deterministic per seed. */
export function randomFaults(rate: number, seed: number, kinds = FAULTS): FaultPolicy {
  let state = seed >>> 0 || 1;
  const next = () => {
    // xorshift32: reproducible, and good enough to pick which request fails.
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 0x1_0000_0000;
  };
  let turn = 0;
  return () => {
    if (next() >= rate) return undefined;
    const kind = kinds[turn % kinds.length];
    turn += 1;
    return kind;
  };
}
