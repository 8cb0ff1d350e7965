/**
 * An HTTP proxy in front of the in-process emulator that adds a network round trip to every
 * request, by the region the request is signed for (SigV4 credential scope), so a benchmark
 * sees what AWS looks like from a Lambda: e.g. 20 ms to S3 in its own region, 70 ms to the
 * replica region. Each request waits one round trip before it is forwarded (connections are
 * kept alive, as the SDK keeps them).
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html
 */
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { forward } from "../local/fault-proxy.ts";

export interface LatencyProxy {
  readonly endpoint: string;
  /** Requests forwarded so far, by region. */
  readonly requests: Readonly<Record<string, number>>;
  stop(): Promise<void>;
}

export async function startLatencyProxy(
  upstream: string,
  roundTripMs: Readonly<Record<string, number>>,
): Promise<LatencyProxy> {
  const upstreamUrl = new URL(upstream);
  const requests: Record<string, number> = {};
  const server = createServer((incoming, outgoing) => {
    const region = signedRegion(incoming) ?? "unsigned";
    requests[region] = (requests[region] ?? 0) + 1;
    void sleep(roundTripMs[region] ?? 0).then(() => forward(incoming, outgoing, upstreamUrl));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) =>
        server.close((error) => (error ? reject(error) : resolve())),
      );
    },
  };
}

/** `Credential=AKID/20240304/us-west-2/s3/aws4_request` → us-west-2. */
export function signedRegion(incoming: Pick<IncomingMessage, "headers">): string | undefined {
  const authorization = incoming.headers.authorization ?? "";
  return /Credential=[^/]+\/\d{8}\/([^/]+)\//.exec(authorization)?.[1];
}
