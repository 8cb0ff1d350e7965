import { truncate } from "./text.ts";

/**
 * Errors this project raises on purpose, so that callers can tell them from the SDK's and say
 * what went wrong in plain words. In the Lambda handlers any thrown error fails its SQS record
 * (SQS retries it, then dead-letters it); input that retrying cannot fix is reported instead of
 * thrown, so it never needs a flag to tell the two apart.
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

/** Human-readable one-liner for any thrown value. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
