/** Small builders for CloudFormation JSON, so the stack modules read like the template. */

export type Value = unknown;
export interface Resource {
  readonly Type: string;
  readonly Properties?: Record<string, Value>;
  readonly DependsOn?: string | readonly string[];
  readonly DeletionPolicy?: "Retain" | "Delete";
  readonly UpdateReplacePolicy?: "Retain" | "Delete";
  readonly Metadata?: Record<string, Value>;
}
export interface Output {
  readonly Description: string;
  readonly Value: Value;
}
export type Resources = Record<string, Resource>;
export type Outputs = Record<string, Output>;

export interface PolicyStatement {
  readonly Sid: string;
  readonly Effect: "Allow" | "Deny";
  readonly Principal?: Value;
  readonly Action: string | readonly string[];
  readonly Resource: Value;
  readonly Condition?: Record<string, Value>;
}

export const sub = (text: string) => ({ "Fn::Sub": text });
export const ref = (logicalId: string) => ({ Ref: logicalId });
export const getAtt = (logicalId: string, attribute: string) => ({
  "Fn::GetAtt": [logicalId, attribute],
});

export const policyDocument = (statements: readonly PolicyStatement[]) => ({
  Version: "2012-10-17",
  Statement: statements,
});

/** "media-archive" → "MediaArchive", for logical ids and output names. */
export function pascalCase(text: string): string {
  return text
    .split(/[^a-zA-Z0-9]+/)
    .filter((part) => part !== "")
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join("");
}

// ARNs are built from names (Fn::Sub) rather than with GetAtt where a GetAtt would make a
// function role depend on the resource whose KMS key policy names that role: a cycle.
export const s3BucketArn = (bucketName: string) => sub(`arn:\${AWS::Partition}:s3:::${bucketName}`);
export const s3ObjectsArn = (bucketName: string) =>
  sub(`arn:\${AWS::Partition}:s3:::${bucketName}/*`);
/**
 * The KMS encryption context S3 uses for objects of these buckets: the bucket ARN with S3 Bucket
 * Keys, the object ARN without. A `StringLike` condition on it limits a key grant to them.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html#encryption-context
 */
export const s3EncryptionContext = (bucketNames: readonly string[]) => ({
  "kms:EncryptionContext:aws:s3:arn": bucketNames.flatMap((bucket) => [
    s3BucketArn(bucket),
    s3ObjectsArn(bucket),
  ]),
});
export const sqsQueueArn = (queueName: string) =>
  sub(`arn:\${AWS::Partition}:sqs:\${AWS::Region}:\${AWS::AccountId}:${queueName}`);
export const snsTopicArn = (topicName: string) =>
  sub(`arn:\${AWS::Partition}:sns:\${AWS::Region}:\${AWS::AccountId}:${topicName}`);
export const iamRoleArn = (roleName: string) =>
  sub(`arn:\${AWS::Partition}:iam::\${AWS::AccountId}:role/${roleName}`);
export const eventRuleArn = (ruleName: string) =>
  sub(`arn:\${AWS::Partition}:events:\${AWS::Region}:\${AWS::AccountId}:rule/${ruleName}`);
export const dynamoDbTableArn = (tableName: string) =>
  sub(`arn:\${AWS::Partition}:dynamodb:\${AWS::Region}:\${AWS::AccountId}:table/${tableName}`);
export const lambdaFunctionArn = (functionName: string) =>
  sub(`arn:\${AWS::Partition}:lambda:\${AWS::Region}:\${AWS::AccountId}:function:${functionName}`);
export const lambdaLogGroupName = (functionName: string) => `/aws/lambda/${functionName}`;
export const logGroupArn = (logGroupName: string) =>
  sub(`arn:\${AWS::Partition}:logs:\${AWS::Region}:\${AWS::AccountId}:log-group:${logGroupName}:*`);

/**
 * Every IAM role among `resources` with `PermissionsBoundary` set (unchanged when no boundary is
 * given). A boundary caps what the role's own policies can grant, so whoever may write those
 * policies (the GitHub deploy role) cannot grant more than the boundary.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html
 */
export function withPermissionsBoundary(
  resources: Resources,
  boundaryArn: string | undefined,
): Resources {
  if (boundaryArn === undefined) return resources;
  return Object.fromEntries(
    Object.entries(resources).map(([logicalId, resource]) => [
      logicalId,
      resource.Type === "AWS::IAM::Role"
        ? { ...resource, Properties: { ...resource.Properties, PermissionsBoundary: boundaryArn } }
        : resource,
    ]),
  );
}
