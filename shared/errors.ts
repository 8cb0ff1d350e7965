import { truncate } from "./text.ts";

/**
 * Errors this project raises on purpose, so that callers can tell them from the SDK's and say
 * what went wrong in plain words. In the Lambda handlers a transient error fails its SQS record
 * (SQS retries it, then dead-letters it); a permanent one (isPermanent) is reported and the
 * record acknowledged, since retrying cannot change it.
 */
export abstract class BackupValidatorError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A setting is missing or malformed. Raised at cold start so the function never half-works. */
export class ConfigurationError extends BackupValidatorError {
  readonly variable: string;

  constructor(variable: string, problem: string, value?: string) {
    const shown = value === undefined ? "" : ` (got ${JSON.stringify(truncate(value, 200))})`;
    super(`${variable}: ${problem}${shown}`);
    this.variable = variable;
  }
}

/** Sending to a queue or topic failed; the record must fail so that SQS redelivers it. */
export class DeliveryError extends BackupValidatorError {}

/** Runs one send; a failure becomes a DeliveryError that names the destination and the cause. */
export async function deliverTo<T>(destination: string, send: () => Promise<T>): Promise<T> {
  try {
    return await send();
  } catch (error) {
    throw new DeliveryError(`sending to ${destination} failed: ${describeError(error)}`, {
      cause: error,
    });
  }
}

/** The time a record may take ran out (the Lambda would time out): transient, retry later. */
export class DeadlineError extends BackupValidatorError {}

/** Human-readable one-liner for any thrown value; never throws itself. */
export function describeError(error: unknown): string {
  if (error instanceof Error) {
    // An answer to a HEAD has no body, so S3's 503 SlowDown reaches the SDK as a bare
    // "UnknownError": the HTTP status is what tells it.
    const status = (error as AwsLikeError).$metadata?.httpStatusCode;
    const said = `${error.name}: ${error.message}`;
    return typeof status === "number" && !said.includes(String(status))
      ? `${said} (HTTP ${status})`
      : said;
  }
  try {
    return String(error);
  } catch {
    return Object.prototype.toString.call(error);
  }
}

interface AwsLikeError {
  readonly name?: unknown;
  readonly $metadata?: { readonly httpStatusCode?: unknown };
}

// 400s that are about the moment, not about the request: a slow upload, expired credentials.
// https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html
const TRANSIENT_400 = new Set(["RequestTimeout", "ExpiredToken", "TokenRefreshRequired"]);

/**
 * Whether retrying cannot help: the request itself is wrong and stays wrong. That is a 400 from
 * AWS (a version id or key S3 rejects; HEAD answers carry no error code, so S3's 400 arrives as
 * a bare "BadRequest"), or a key that cannot even be put into a request (URIError). Everything
 * else is transient — throttling, 5xx, timeouts, network errors, a failed send, and also access
 * denied and KMS errors, which someone fixes before a redrive — and fails the record so SQS
 * retries it and, after maxReceiveCount, keeps it in the dead-letter queue.
 */
export function isPermanent(error: unknown): boolean {
  if (error instanceof URIError) return true;
  if (error === null || typeof error !== "object") return false;
  const { name, $metadata } = error as AwsLikeError;
  return (
    $metadata?.httpStatusCode === 400 && !(typeof name === "string" && TRANSIENT_400.has(name))
  );
}
