import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  CloudFormationClient,
  DescribeStacksCommand,
  ListStacksCommand,
} from "@aws-sdk/client-cloudformation";
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { S3Client } from "@aws-sdk/client-s3";
import { GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import type { AwsClients, ClientSettings } from "../../../scripts/oncall/cli.ts";
import { dlqMain } from "../../../scripts/oncall/dlq-command.ts";
import { readStackOutputsFile } from "../../../scripts/oncall/stack-outputs.ts";
import { testIo } from "../../helpers/oncall-stack.ts";

// CloudFormation is not on the emulator: DescribeStacks answers come from mocks.
const cloudFormation = new CloudFormationClient({ region: "us-east-1" });
const cfMock = mockClient(cloudFormation);
const sqs = new SQSClient({ region: "us-east-1" });
const sqsMock = mockClient(sqs);
const clients: AwsClients = {
  sqs,
  cloudFormation,
  cloudWatch: new CloudWatchClient({ region: "us-east-1" }),
  s3: () => new S3Client({ region: "us-east-1" }),
  destroy() {},
};

const DLQ_URL =
  "https://sqs.eu-west-1.amazonaws.com/123456789012/backup-validator-prod-validation-dlq";

beforeEach(() => {
  cfMock.reset();
  sqsMock.reset();
  sqsMock.on(GetQueueAttributesCommand).resolves({ Attributes: {} });
  sqsMock.on(ReceiveMessageCommand).resolves({});
});

function inspect(args: string[], env: Record<string, string> = {}) {
  const settings: ClientSettings[] = [];
  const recorder = testIo({
    env,
    createClients: (given) => {
      settings.push(given);
      return clients;
    },
  });
  return { ...recorder, settings, exitCode: dlqMain(["inspect", ...args], recorder.io) };
}

describe("stack outputs from CloudFormation", () => {
  it("reads the queue URL from backup-validator-<stage> in the region from the environment", async () => {
    cfMock.on(DescribeStacksCommand).resolves({
      Stacks: [
        {
          StackName: "backup-validator-prod",
          StackStatus: "UPDATE_COMPLETE",
          CreationTime: new Date(),
          Outputs: [
            { OutputKey: "ValidationDlqUrl", OutputValue: DLQ_URL },
            { OutputKey: "Stage", OutputValue: "prod" },
          ],
        },
      ],
    });

    const { exitCode, settings, stdout } = inspect(["--stage", "prod"], {
      AWS_REGION: "eu-west-1",
    });

    expect(await exitCode).toBe(0);
    expect(cfMock).toHaveReceivedCommandWith(DescribeStacksCommand, {
      StackName: "backup-validator-prod",
    });
    expect(settings).toEqual([{ region: "eu-west-1", local: false }]);
    expect(sqsMock).toHaveReceivedCommandWith(ReceiveMessageCommand, { QueueUrl: DLQ_URL });
    expect(stdout()).toContain(`validation DLQ: ${DLQ_URL}`);
  });

  it("takes --region over the environment and --stack-name over the default name", async () => {
    cfMock.on(DescribeStacksCommand).resolves({
      Stacks: [
        {
          StackName: "bv-custom",
          StackStatus: "CREATE_COMPLETE",
          CreationTime: new Date(),
          Outputs: [{ OutputKey: "ValidationDlqUrl", OutputValue: DLQ_URL }],
        },
      ],
    });

    const { exitCode, settings } = inspect(
      ["--region", "ap-southeast-2", "--stack-name", "bv-custom"],
      { AWS_REGION: "eu-west-1", AWS_DEFAULT_REGION: "eu-west-2" },
    );

    expect(await exitCode).toBe(0);
    expect(settings[0]?.region).toBe("ap-southeast-2");
    expect(cfMock).toHaveReceivedCommandWith(DescribeStacksCommand, { StackName: "bv-custom" });
  });

  it("names the stacks that do exist when the stage is wrong", async () => {
    cfMock.on(DescribeStacksCommand).rejects(
      Object.assign(new Error("Stack with id backup-validator-prd does not exist"), {
        name: "ValidationError",
      }),
    );
    cfMock.on(ListStacksCommand).resolves({
      StackSummaries: ["backup-validator-prod", "other-app", "backup-validator-dev"].map(
        (StackName) => ({ StackName, StackStatus: "CREATE_COMPLETE", CreationTime: new Date() }),
      ),
    });

    const { exitCode, stderr } = inspect(["--stage", "prd"]);

    expect(await exitCode).toBe(3);
    expect(stderr()).toContain(
      "stack backup-validator-prd in us-east-1 does not exist (backup-validator stacks in us-east-1: backup-validator-dev, backup-validator-prod). Check --stage and --region",
    );
  });

  it("still says the stack is missing when listing stacks is not allowed", async () => {
    cfMock.on(DescribeStacksCommand).rejects(
      Object.assign(new Error("Stack with id backup-validator-dev does not exist"), {
        name: "ValidationError",
      }),
    );
    cfMock
      .on(ListStacksCommand)
      .rejects(Object.assign(new Error("denied"), { name: "AccessDenied" }));

    const { exitCode, stderr } = inspect([]);

    expect(await exitCode).toBe(3);
    expect(stderr()).toContain("(no backup-validator stack found in us-east-1)");
  });

  it("tells missing credentials and access denied apart", async () => {
    cfMock
      .on(DescribeStacksCommand)
      .rejectsOnce(
        Object.assign(new Error("Could not load credentials from any providers"), {
          name: "CredentialsProviderError",
        }),
      )
      .rejectsOnce(Object.assign(new Error("User is not authorized"), { name: "AccessDenied" }));

    const noCredentials = inspect([]);
    expect(await noCredentials.exitCode).toBe(3);
    expect(noCredentials.stderr()).toContain(
      "reading stack backup-validator-dev in us-east-1: no valid AWS credentials",
    );

    const denied = inspect([]);
    expect(await denied.exitCode).toBe(3);
    expect(denied.stderr()).toContain(
      "reading stack backup-validator-dev in us-east-1: access denied",
    );
  });

  it("suggests --stack-outputs when the endpoint has no CloudFormation", async () => {
    cfMock
      .on(DescribeStacksCommand)
      .rejects(
        Object.assign(new Error("Unknown action: DescribeStacks"), { name: "InvalidAction" }),
      );

    const { exitCode, stderr, settings } = inspect(["--endpoint", "http://127.0.0.1:4566"]);

    expect(await exitCode).toBe(3);
    expect(settings[0]).toEqual({
      region: "us-east-1",
      endpoint: "http://127.0.0.1:4566",
      local: true,
    });
    expect(stderr()).toContain(
      "Against an emulator without CloudFormation, give --stack-outputs <file>.",
    );
  });

  it("treats AWS_ENDPOINT_URL as a local endpoint too", async () => {
    const file = join(await mkdtemp(join(tmpdir(), "oncall-env-")), "outputs.json");
    await writeFile(file, JSON.stringify({ ValidationDlqUrl: DLQ_URL }));

    const { exitCode, settings } = inspect([], {
      AWS_ENDPOINT_URL: "http://127.0.0.1:4566",
      BACKUP_VALIDATOR_STACK_OUTPUTS: file,
    });

    expect(await exitCode).toBe(0);
    expect(settings[0]).toEqual({ region: "us-east-1", local: true });
    expect(cfMock).toHaveReceivedCommandTimes(DescribeStacksCommand, 0);
  });
});

describe("stack outputs from a file", () => {
  it("accepts an Outputs array and a plain object with BucketPairs as an object", async () => {
    const dir = await mkdtemp(join(tmpdir(), "oncall-file-"));
    const asArray = join(dir, "array.json");
    const asObject = join(dir, "object.json");
    await writeFile(
      asArray,
      JSON.stringify([{ OutputKey: "Stage", OutputValue: "dev" }, { x: 1 }]),
    );
    await writeFile(
      asObject,
      JSON.stringify({ Stage: "dev", BucketPairs: { a1a: "b2b" }, Ignored: 3 }),
    );

    expect((await readStackOutputsFile(asArray)).values).toEqual({ Stage: "dev" });
    expect((await readStackOutputsFile(asObject)).values).toEqual({
      Stage: "dev",
      BucketPairs: '{"a1a":"b2b"}',
    });
  });

  it("rejects files that are missing, not JSON, or not outputs", async () => {
    const dir = await mkdtemp(join(tmpdir(), "oncall-bad-"));
    const notJson = join(dir, "bad.json");
    const scalar = join(dir, "scalar.json");
    await writeFile(notJson, "{ nope");
    await writeFile(scalar, "42");

    await expect(readStackOutputsFile(join(dir, "absent.json"))).rejects.toThrow(
      /cannot read stack outputs file .*absent\.json/,
    );
    await expect(readStackOutputsFile(notJson)).rejects.toThrow(/bad\.json is not JSON/);
    await expect(readStackOutputsFile(scalar)).rejects.toThrow(
      /must hold a JSON object of stack outputs/,
    );
  });
});
