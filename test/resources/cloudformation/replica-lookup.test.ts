/**
 * The deploy-time path: the primary stack reads the replica stack's outputs through osls's
 * `${cf(<region>):<stack>.<output>}`. A local HTTP server stands in for the CloudFormation API
 * (DescribeStacks), so this runs without AWS.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resourceNames } from "../../../resources/settings.ts";
import { packageStacks } from "../../../scripts/infra/stacks.ts";
import { ACCOUNT_ID, resource, type Template } from "../../helpers/packaged.ts";

const REPLICA_KEY_ARN = `arn:aws:kms:us-west-2:${ACCOUNT_ID}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
const replicaOutputs: Record<string, string> = {
  ReplicaBucketNames: resourceNames("dev", { accountId: ACCOUNT_ID })
    .buckets.map((pair) => pair.replicaBucket)
    .join(","),
  ReplicaBucketEncryption: "SSE-KMS",
  ReplicaDataKeyArn: REPLICA_KEY_ARN,
};

let server: Server;
let endpoint: string;
const requests: string[] = [];
const work = mkdtempSync(join(tmpdir(), "backup-validator-lookup-"));

/** DescribeStacks in the query protocol CloudFormation speaks. */
function fakeCloudFormation(body: string): { status: number; xml: string } {
  const params = new URLSearchParams(body);
  const stackName = params.get("StackName") ?? "";
  requests.push(`${params.get("Action")} ${stackName}`);
  if (stackName !== "backup-validator-replica-dev") {
    return {
      status: 400,
      xml: `<ErrorResponse><Error><Type>Sender</Type><Code>ValidationError</Code><Message>Stack with id ${stackName} does not exist</Message></Error><RequestId>r</RequestId></ErrorResponse>`,
    };
  }
  const outputs = Object.entries(replicaOutputs)
    .map(
      ([key, value]) =>
        `<member><OutputKey>${key}</OutputKey><OutputValue>${value}</OutputValue></member>`,
    )
    .join("");
  return {
    status: 200,
    xml: `<DescribeStacksResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><DescribeStacksResult><Stacks><member><StackName>${stackName}</StackName><StackId>arn:aws:cloudformation:us-west-2:${ACCOUNT_ID}:stack/${stackName}/1</StackId><CreationTime>2026-01-01T00:00:00Z</CreationTime><StackStatus>CREATE_COMPLETE</StackStatus><Outputs>${outputs}</Outputs></member></Stacks></DescribeStacksResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></DescribeStacksResponse>`,
  };
}

beforeAll(async () => {
  server = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk) => {
      body += chunk;
    });
    request.on("end", () => {
      const { status, xml } = fakeCloudFormation(body);
      response.writeHead(status, { "content-type": "text/xml" }).end(xml);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  rmSync(work, { recursive: true, force: true });
});

const lookupEnv = () => ({
  AWS_ACCESS_KEY_ID: "test",
  AWS_SECRET_ACCESS_KEY: "test",
  AWS_SESSION_TOKEN: "",
  AWS_PROFILE: "",
  AWS_EC2_METADATA_DISABLED: "true",
  AWS_ENDPOINT_URL_CLOUDFORMATION: endpoint,
});

describe("primary stack packaged as a deploy does", () => {
  it("replicates with the replica stack's KMS key read from its outputs", async () => {
    // Act
    const { primary } = await packageStacks(
      join(work, "found"),
      { params: ["bucketEncryption=SSE-KMS"] },
      { quiet: true, lookup: { env: lookupEnv() } },
    );

    // Assess
    const template: Template = JSON.parse(readFileSync(primary, "utf8"));
    const [rule] = resource(template, "PrimaryBucketDocuments").Properties.ReplicationConfiguration
      .Rules;
    expect(rule.Destination.EncryptionConfiguration).toEqual({ ReplicaKmsKeyID: REPLICA_KEY_ARN });
    expect(requests).toContain("DescribeStacks backup-validator-replica-dev");
  }, 120_000);

  it("stops with a clear message when the replica stack was not deployed first", async () => {
    await expect(
      packageStacks(
        join(work, "missing"),
        { stage: "qa" },
        { quiet: true, lookup: { env: lookupEnv() } },
      ),
    ).rejects.toThrow(
      /ReplicaBucketNames: is not an output of stack backup-validator-replica-qa in us-west-2\. Deploy the replica stack first: npm run deploy -- --stage qa/,
    );
  }, 120_000);
});
