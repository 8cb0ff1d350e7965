import { describe, expect, it } from "vitest";
import {
  checkBucketName,
  checkCategory,
  checkRegion,
  checkStage,
  isAccountId,
  isBucketName,
} from "../../../shared/contracts/names.ts";

describe("the name rules both sides of the deploy boundary check", () => {
  it.each(["dev", "prod", "local", "ci-42", "0test"])("accepts the stage %s", (stage) => {
    expect(checkStage(stage)).toBe(stage);
  });

  it.each(["Prod", "-dev", "a b", "", "x".repeat(65)])("refuses the stage %j", (stage) => {
    expect(() => checkStage(stage, "STAGE")).toThrow(/^STAGE: must be 1-64 lowercase/);
  });

  it.each(["us-east-1", "eu-central-2", "us-gov-west-1", "ap-southeast-5"])(
    "accepts the region %s",
    (region) => expect(checkRegion(region)).toBe(region),
  );

  it.each(["Oregon", "us-east", "useast1"])("refuses the region %j", (region) => {
    expect(() => checkRegion(region, "REPLICA_REGION")).toThrow(
      "REPLICA_REGION: must be an AWS region",
    );
  });

  it("follows S3's bucket naming rules", () => {
    expect(isBucketName("backup-validator-documents-dev")).toBe(true);
    for (const bad of ["ab", "Bad_Name", "a..b", "192.168.1.1", "-start", `${"a".repeat(64)}`]) {
      expect(isBucketName(bad), bad).toBe(false);
    }
    expect(() => checkBucketName("a..b", "BUCKET")).toThrow("BUCKET: must be 3-63");
  });

  it("keeps categories short enough for bucket names and logical ids", () => {
    expect(checkCategory("media-archive")).toBe("media-archive");
    expect(() => checkCategory("Media")).toThrow("category");
    expect(() => checkCategory("a".repeat(21))).toThrow("category");
    expect(isAccountId("123456789012")).toBe(true);
    expect(isAccountId("1234")).toBe(false);
  });
});
