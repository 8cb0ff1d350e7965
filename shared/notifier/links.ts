/**
 * AWS console links for an alert. These are the addresses the console itself uses (there is no
 * documented console URL API); a console that does not know a parameter ignores it and still
 * opens the bucket or queue.
 */

interface Arn {
  readonly partition: string;
  readonly service: string;
  readonly region: string;
  readonly account: string;
  readonly resource: string;
}

export function parseArn(arn: string | undefined): Arn | undefined {
  const parts = arn?.split(":");
  if (!parts || parts.length < 6 || parts[0] !== "arn") return undefined;
  const [, partition = "", service = "", region = "", account = ""] = parts;
  return { partition, service, region, account, resource: parts.slice(5).join(":") };
}

function partitionOfRegion(region: string): string {
  if (region.startsWith("cn-")) return "aws-cn";
  if (region.startsWith("us-gov-")) return "aws-us-gov";
  return "aws";
}

function consoleHome(partition: string, region: string): string {
  if (partition === "aws-cn") return "https://console.amazonaws.cn";
  if (partition === "aws-us-gov") return "https://console.amazonaws-us-gov.com";
  return `https://${region}.console.aws.amazon.com`;
}

/** The object's page (Properties, Versions) in the S3 console. */
export function s3ObjectConsoleUrl(
  bucket: string,
  key: string,
  region: string,
  versionId?: string,
): string {
  // encodeURIComponent, not URLSearchParams: a "+" for a space would be ambiguous in a key.
  const query = [
    `region=${region}`,
    "bucketType=general",
    `prefix=${encode(key)}`,
    ...(versionId ? [`versionId=${encode(versionId)}`] : []),
  ].join("&");
  return `${consoleHome(partitionOfRegion(region), region)}/s3/object/${encode(bucket)}?${query}`;
}

/** The queue's page (Send and receive messages, Monitoring) in the SQS console. */
export function sqsQueueConsoleUrl(queueArn: string | undefined): string | undefined {
  const arn = parseArn(queueArn);
  if (arn?.service !== "sqs" || !arn.region || !arn.account || !arn.resource) {
    return undefined;
  }
  // Queue URLs are https://sqs.<region>.<domain>/<account>/<name>:
  // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-queue-message-identifiers.html
  const domain = arn.partition === "aws-cn" ? "amazonaws.com.cn" : "amazonaws.com";
  const queueUrl = `https://sqs.${arn.region}.${domain}/${arn.account}/${arn.resource}`;
  return `${consoleHome(arn.partition, arn.region)}/sqs/v3/home?region=${arn.region}#/queues/${encode(queueUrl)}`;
}

/** The queue name from its ARN, for plain-text mentions. */
export function queueName(queueArn: string | undefined): string | undefined {
  const arn = parseArn(queueArn);
  return arn?.service === "sqs" && arn.resource ? arn.resource : undefined;
}

/** encodeURIComponent that cannot throw: a lone surrogate (URIError) becomes U+FFFD first. */
function encode(text: string): string {
  return encodeURIComponent(text.toWellFormed());
}
