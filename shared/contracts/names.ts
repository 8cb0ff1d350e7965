/**
 * The rules for names that cross the deploy boundary: stages, regions, account ids, categories
 * and bucket names. The stacks (resources/), the functions' configuration and the on-call
 * commands all check with these, so a value accepted at deploy time is accepted at run time.
 */
import { BucketLocationConstraint } from "@aws-sdk/client-s3";
import { ConfigurationError } from "../errors.ts";

// Stages become part of bucket names, which must be lowercase.
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
const STAGE = /^[a-z0-9][a-z0-9-]{0,63}$/;
// us-east-1, eu-central-2, us-gov-west-1, ap-southeast-5.
const REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;
const ACCOUNT_ID = /^\d{12}$/;
// A data category becomes part of bucket names and of CloudFormation logical ids.
const CATEGORY = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
const MAX_CATEGORY_LENGTH = 20;
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const IP_ADDRESS = /^\d+\.\d+\.\d+\.\d+$/;

export function checkStage(stage: string, variable = "stage"): string {
  if (!STAGE.test(stage)) {
    throw new ConfigurationError(
      variable,
      "must be 1-64 lowercase letters, digits and hyphens, not starting with a hyphen",
      stage,
    );
  }
  return stage;
}

/**
 * Regions S3 can hold a bucket in, as the pinned SDK knows them: the CreateBucket location
 * constraints, plus us-east-1 (the default, never given as a constraint).
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_CreateBucketConfiguration.html
 */
const S3_REGIONS: ReadonlySet<string> = new Set([
  "us-east-1",
  ...Object.values(BucketLocationConstraint).filter((value) => REGION.test(value)),
]);

export function checkRegion(region: string, variable = "region"): string {
  if (!REGION.test(region)) {
    throw new ConfigurationError(variable, "must be an AWS region such as us-west-2", region);
  }
  if (!S3_REGIONS.has(region)) {
    throw new ConfigurationError(
      variable,
      "is not a region S3 knows (the regions of the AWS SDK this version is built with)",
      region,
    );
  }
  return region;
}

export function isAccountId(value: string): boolean {
  return ACCOUNT_ID.test(value);
}

export function checkCategory(category: string, variable = "category"): string {
  if (!CATEGORY.test(category) || category.length > MAX_CATEGORY_LENGTH) {
    throw new ConfigurationError(
      variable,
      `each category must be 1-${MAX_CATEGORY_LENGTH} lowercase letters, digits or single hyphens, starting with a letter`,
      category,
    );
  }
  return category;
}

/** S3's general purpose bucket naming rules. */
export function isBucketName(name: string): boolean {
  return BUCKET_NAME.test(name) && !name.includes("..") && !IP_ADDRESS.test(name);
}

export function checkBucketName(name: string, variable = "bucket name"): string {
  if (!isBucketName(name)) {
    throw new ConfigurationError(
      variable,
      "must be 3-63 lowercase letters, digits, dots or hyphens (S3 bucket naming rules)",
      name,
    );
  }
  return name;
}
