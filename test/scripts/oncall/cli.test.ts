/** What every on-call command shares: where the deployment is, how to reach it, typo hints. */
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  type ClientSettings,
  closest,
  createAwsClients,
  DEPLOYMENT_OPTIONS,
  openDeployment,
  parseCommandLine,
} from "../../../scripts/oncall/cli.ts";
import { testIo } from "../../helpers/oncall-stack.ts";

async function outputsFile(values: Record<string, string>): Promise<string> {
  const file = join(await mkdtemp(join(tmpdir(), "bv-cli-")), "outputs.json");
  await writeFile(file, JSON.stringify(values));
  return file;
}

function recordingIo() {
  const seen: ClientSettings[] = [];
  const { io } = testIo({
    createClients: (settings) => {
      seen.push(settings);
      return createAwsClients(settings);
    },
  });
  return { io, seen };
}

describe("openDeployment", () => {
  it("takes the local stack's endpoints from its outputs file, with placeholder credentials", async () => {
    // Prepare
    const file = await outputsFile({
      Stage: "local",
      EndpointUrl: "http://127.0.0.1:4566",
      CloudWatchEndpointUrl: "http://127.0.0.1:4567",
    });
    const { io, seen } = recordingIo();

    // Act
    const deployment = await openDeployment({ stage: "local", "stack-outputs": file }, io);
    deployment.clients.destroy();

    // Assess: real credentials are never sent to an emulator
    expect(seen).toEqual([
      {
        region: "us-east-1",
        local: true,
        endpoint: "http://127.0.0.1:4566",
        cloudWatchEndpoint: "http://127.0.0.1:4567",
        credentials: { accessKeyId: "test", secretAccessKey: "test" },
      },
    ]);
  });

  it("lets --endpoint-url (or its older spelling --endpoint) win, with the caller's credentials and profile", async () => {
    // Prepare
    const file = await outputsFile({ Stage: "local", EndpointUrl: "http://127.0.0.1:4566" });
    const { io, seen } = recordingIo();

    // Act
    for (const option of ["endpoint-url", "endpoint"] as const) {
      const deployment = await openDeployment(
        {
          stage: "local",
          "stack-outputs": file,
          [option]: "http://127.0.0.1:5000",
          profile: "ops",
        },
        io,
      );
      deployment.clients.destroy();
    }

    // Assess
    for (const settings of seen) {
      expect(settings).toEqual({
        region: "us-east-1",
        local: true,
        endpoint: "http://127.0.0.1:5000",
        profile: "ops",
      });
    }
  });

  it("refuses an endpoint that is not a URL, naming the option", async () => {
    const { io } = recordingIo();
    await expect(openDeployment({ "endpoint-url": "localhost 4566" }, io)).rejects.toThrow(
      '--endpoint-url must be a URL such as http://127.0.0.1:4566 (got "localhost 4566")',
    );
  });
});

describe("did you mean", () => {
  it.each([
    ["--stgae", "--stage"],
    ["--stack-output", "--stack-outputs"],
    ["--endpoint-ur", "--endpoint-url"],
    ["--proflie", "--profile"],
  ])("suggests %s → %s for a mistyped option", (typed, meant) => {
    expect(() => parseCommandLine([typed, "x"], DEPLOYMENT_OPTIONS, false)).toThrow(
      `unknown option ${typed} (did you mean ${meant}?)`,
    );
  });

  it("suggests nothing when nothing is close", () => {
    expect(closest("--zzzzzzzzz", ["--stage", "--region"])).toBeUndefined();
    expect(() => parseCommandLine(["--zzzzzzzzz"], DEPLOYMENT_OPTIONS, false)).toThrow(
      /^unknown option --zzzzzzzzz$/,
    );
  });
});
