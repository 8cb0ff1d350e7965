/**
 * The functions' SDK client settings against a real stalled endpoint: a server that accepts
 * connections and never answers. A request must fail with a timeout after its retries, not wait
 * for the Lambda to time out.
 */

import type { AddressInfo } from "node:net";
import { createServer, type Server, type Socket } from "node:net";
import { HeadObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, expect, it } from "vitest";
import { functionClientOptions, MAX_ATTEMPTS } from "../../shared/clients.ts";

let server: Server;
let endpoint: string;
let connections = 0;
const sockets = new Set<Socket>();

beforeAll(async () => {
  server = createServer((socket) => {
    connections += 1;
    sockets.add(socket);
    socket.on("error", () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => server.close(resolve));
});

it("throws a TimeoutError for a request that is never answered, after its retries", async () => {
  // Prepare
  const client = new S3Client({
    ...functionClientOptions("us-east-1", 200),
    endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
  });
  const started = Date.now();

  // Act
  const failure = await client
    .send(new HeadObjectCommand({ Bucket: "stalled", Key: "object" }))
    .then(
      () => undefined,
      (error: Error) => error,
    );

  // Assess
  expect(failure?.name).toBe("TimeoutError");
  expect(connections).toBeGreaterThanOrEqual(MAX_ATTEMPTS);
  expect(Date.now() - started).toBeLessThan(10_000);
  client.destroy();
});
