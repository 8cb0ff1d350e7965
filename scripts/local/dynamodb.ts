/**
 * Local stand-in for DynamoDB: dynalite, an in-process, in-memory DynamoDB implementation,
 * serving the notifier's alerts-sent table with the stack's key schema, so Powertools
 * idempotency runs against a real DynamoDB API over HTTP (conditional puts included). What it
 * lacks and we do not need: UpdateTimeToLive (expired records are judged by Powertools itself),
 * and it leaves the old item out of a failed condition's error, so Powertools reads it back
 * with one GetItem more than DynamoDB needs.
 * https://github.com/architect/dynalite
 */
import { createRequire } from "node:module";
import type { AddressInfo, Server } from "node:net";
import { CreateTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { ALERTS_SENT_KEY } from "../../resources/cloudformation/primary/alerts-sent.ts";

// dynalite is CommonJS without types: a function returning an http.Server.
const dynalite = createRequire(import.meta.url)("dynalite") as (options: {
  createTableMs: number;
  deleteTableMs: number;
  updateTableMs: number;
}) => Server;

export interface DynamoDbStandIn {
  readonly endpoint: string;
  readonly tableName: string;
  /** A client of it, destroyed on stop. */
  readonly client: DynamoDBClient;
  stop(): Promise<void>;
}

export async function startDynamoDbStandIn(options: {
  readonly tableName: string;
  readonly region?: string;
}): Promise<DynamoDbStandIn> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new DynamoDBClient({
    endpoint,
    region: options.region ?? "us-east-1",
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
  });
  // The table as the stack declares it (resources/cloudformation/primary/alerts-sent.ts).
  await client.send(
    new CreateTableCommand({
      TableName: options.tableName,
      BillingMode: "PAY_PER_REQUEST",
      AttributeDefinitions: [{ AttributeName: ALERTS_SENT_KEY, AttributeType: "S" }],
      KeySchema: [{ AttributeName: ALERTS_SENT_KEY, KeyType: "HASH" }],
    }),
  );
  return {
    endpoint,
    tableName: options.tableName,
    client,
    async stop() {
      client.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
