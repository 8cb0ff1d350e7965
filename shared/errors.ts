/**
 * Errors this project raises on purpose. Each says whether trying again can help: that flag,
 * not the message text, decides between retry (the record fails and SQS redelivers it) and
 * report/dead-letter.
 */
export abstract class BackupValidatorError extends Error {
  abstract readonly retryable: boolean;

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A setting is missing or malformed. Raised at cold start so the function never half-works. */
export class ConfigurationError extends BackupValidatorError {
  readonly retryable = false;
  readonly variable: string;

  constructor(variable: string, problem: string, value?: string) {
    const shown = value === undefined ? "" : ` (got ${JSON.stringify(truncate(value, 200))})`;
    super(`${variable}: ${problem}${shown}`);
    this.variable = variable;
  }
}

/** A queue message whose body is not an event we understand. Retrying cannot fix it. */
export class MalformedMessageError extends BackupValidatorError {
  readonly retryable = false;
}

/** Sending to a queue or topic failed; the record must fail so that SQS redelivers it. */
export class DeliveryError extends BackupValidatorError {
  readonly retryable = true;
}

export function truncate(text: string, maxLength: number): string {
  return text.length <= maxLength ? text : `${text.slice(0, Math.max(0, maxLength - 1))}…`;
}

/** Human-readable one-liner for any thrown value. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
