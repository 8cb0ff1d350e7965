/**
 * Serverless conventions on the packaged stacks: the `params:` block of serverless.yml is
 * honoured for every stack parameter (the stage's section, then `default`; a `--param` on the
 * command line wins), in both stacks; frameworkVersion and the stack tags are set.
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { type Packaged, packaged, resourcesOfType } from "../../helpers/packaged.ts";

let pkg: Packaged;

beforeAll(async () => {
  pkg = await packaged(["alertEmails=cli@example.org"], {
    stage: "prod",
    paramsBlock: {
      default: { replicaRegion: "eu-west-1", alertEmails: "default@example.org" },
      prod: { alertEmails: "prod@example.org", bucketEncryption: "SSE-KMS" },
      dev: { categories: "ignored-for-prod" },
    },
  });
}, 180_000);

const stateOf = (stack: "primary" | "replica") =>
  JSON.parse(readFileSync(join(dirname(pkg.paths[stack]), "serverless-state.json"), "utf8"));

describe("the params: block of serverless.yml", () => {
  it("sets parameters from the stage's section and from default, in both stacks", () => {
    // Assess: bucketEncryption from params.prod, replicaRegion from params.default
    expect(resourcesOfType(pkg.primary, "AWS::KMS::Key").map(([id]) => id)).toContain("DataKey");
    expect(resourcesOfType(pkg.replica, "AWS::KMS::Key").map(([id]) => id)).toContain("DataKey");
    expect(pkg.primary.Outputs.ReplicaRegion?.Value).toBe("eu-west-1");
    expect(stateOf("replica").service.provider.region).toBe("eu-west-1");
    // Another stage's section does not apply.
    expect(JSON.stringify(pkg.primary)).not.toContain("ignored-for-prod");
  });

  it("loses to --param on the command line", () => {
    // Assess
    const subscriptions = resourcesOfType(pkg.primary, "AWS::SNS::Subscription")
      .filter(([, subscription]) => subscription.Properties.Protocol === "email")
      .map(([, subscription]) => subscription.Properties.Endpoint);
    expect(new Set(subscriptions)).toEqual(new Set(["cli@example.org"]));
  });
});

describe("service files", () => {
  it("pin the framework major version and tag the stacks and functions with service and stage", () => {
    for (const stack of ["primary", "replica"] as const) {
      // Prepare
      const { service } = stateOf(stack);

      // Assess
      expect(service.initialServerlessConfig.frameworkVersion).toBe("4");
      expect(service.provider.stackTags).toEqual({ service: "backup-validator", stage: "prod" });
    }
    expect(stateOf("primary").service.provider.tags).toEqual({
      service: "backup-validator",
      stage: "prod",
    });
    for (const [id, fn] of resourcesOfType(pkg.primary, "AWS::Lambda::Function")) {
      expect({ id, tags: fn.Properties.Tags }).toEqual({
        id,
        tags: expect.arrayContaining([
          { Key: "service", Value: "backup-validator" },
          { Key: "stage", Value: "prod" },
        ]),
      });
    }
  });
});
