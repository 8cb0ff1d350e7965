import { BackupValidatorError, describeError } from "../../shared/errors.ts";

/**
 * Exit codes shared by `dlq`, `redrive` and `verify`, so that a script (or the local stack)
 * can tell "the command ran and found a problem" from "the command could not run".
 */
export const EXIT = {
  /** Done: inspected; moved everything asked; verified MATCH. */
  ok: 0,
  /** Ran, but something is wrong: a message was not moved, a verdict is not MATCH. */
  problem: 1,
  /** Nothing was done: bad arguments, or a move refused or declined. */
  usage: 2,
  /** Nothing was done: stack, credentials, queue or endpoint problem. */
  environment: 3,
  /** Stopped by Ctrl-C before the end (128 + SIGINT, as shells report it); what was done holds. */
  interrupted: 130,
} as const;

/** Bad or missing arguments; also a refused or declined move. Nothing was done. */
export class UsageError extends BackupValidatorError {
  readonly exitCode: number = EXIT.usage;
}

/** The command could not reach what it needs (stack, credentials, queue, endpoint). */
export class EnvironmentError extends BackupValidatorError {
  readonly exitCode: number = EXIT.environment;
}

interface AwsLikeError {
  name?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}

const CREDENTIAL_PROBLEMS = new Set([
  "CredentialsProviderError",
  "ExpiredToken",
  "ExpiredTokenException",
  "InvalidClientTokenId",
  "UnrecognizedClientException",
  "SignatureDoesNotMatch",
  "InvalidSignatureException",
]);

const ACCESS_DENIED = new Set([
  "AccessDenied",
  "AccessDeniedException",
  "AuthorizationError",
  // HeadObject has no body, so S3's 403 arrives as a bare "Forbidden".
  "Forbidden",
  "KmsAccessDenied",
]);

/**
 * Turns an AWS SDK error into a sentence an on-call engineer can act on. `doing` says what
 * the command was trying ("reading queue X"). Errors it does not recognise are returned as is.
 */
export function explainAwsError(error: unknown, doing: string): unknown {
  if (error instanceof BackupValidatorError || error === null || typeof error !== "object") {
    return error;
  }
  const { name = "", code } = error as AwsLikeError;
  const detail = describeError(error);
  if (CREDENTIAL_PROBLEMS.has(name)) {
    return new EnvironmentError(
      `${doing}: no valid AWS credentials (${detail}). Log in (aws sso login --profile <p>, then AWS_PROFILE=<p>) or export AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY; against a local emulator any values do (AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test).`,
      { cause: error },
    );
  }
  if (ACCESS_DENIED.has(name)) {
    return new EnvironmentError(
      `${doing}: access denied (${detail}). Use a role that may read the stack outputs and the queues.`,
      { cause: error },
    );
  }
  if (name === "NoSuchBucket") {
    const bucket = (error as { BucketName?: unknown }).BucketName;
    return new EnvironmentError(
      `${doing}: the bucket ${typeof bucket === "string" ? `${bucket} ` : ""}does not exist. Check the bucket name and --region (or the stack outputs).`,
      { cause: error },
    );
  }
  if (name === "QueueDoesNotExist" || name === "AWS.SimpleQueueService.NonExistentQueue") {
    return new EnvironmentError(
      `${doing}: the queue does not exist. Was the stack removed, or are --stage/--region (or the stack outputs file) for another deployment?`,
      { cause: error },
    );
  }
  if (code === "ECONNREFUSED" || code === "ENOTFOUND" || code === "EAI_AGAIN") {
    return new EnvironmentError(
      `${doing}: cannot reach the endpoint (${detail}). Check the network, --region and --endpoint; for an emulator, that it is running.`,
      { cause: error },
    );
  }
  return error;
}
