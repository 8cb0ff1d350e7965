import { describe, expect, it } from "vitest";
import { stackArgs } from "../../../scripts/infra/stacks.ts";

describe("stackArgs", () => {
  it("deploys the primary stack to --region and tells the replica stack where the primary is", () => {
    const options = { stage: "prod", region: "eu-west-1", params: ["replicaRegion=eu-central-1"] };
    expect(stackArgs("primary", options)).toEqual([
      "--stage",
      "prod",
      "--region",
      "eu-west-1",
      "--param=replicaRegion=eu-central-1",
    ]);
    expect(stackArgs("replica", options)).toEqual([
      "--stage",
      "prod",
      "--param=replicaRegion=eu-central-1",
      "--param=primaryRegion=eu-west-1",
    ]);
  });

  it("treats --param primaryRegion as --region, so names and the deployed region agree", () => {
    expect(stackArgs("primary", { params: ["primaryRegion=eu-west-1"] })).toEqual([
      "--region",
      "eu-west-1",
    ]);
  });

  it("refuses a primaryRegion param that contradicts --region", () => {
    expect(() =>
      stackArgs("primary", { region: "us-east-1", params: ["primaryRegion=eu-west-1"] }),
    ).toThrow('--param primaryRegion: differs from --region us-east-1 (got "eu-west-1")');
  });
});
