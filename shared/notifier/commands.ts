import { shellQuote } from "../text.ts";

/** The on-call commands (npm scripts) the alerts quote, exactly as the README documents them. */

export type OnCallQueue = "validation" | "failure";

export function verifyCommand(
  stage: string,
  object: { readonly bucket: string; readonly key: string; readonly versionId?: string },
): string {
  const version = object.versionId ? ` --version-id ${shellQuote(object.versionId)}` : "";
  return `npm run verify -- ${shellQuote(`s3://${object.bucket}/${object.key}`)}${version} --stage ${shellQuote(stage)}`;
}

export function dlqInspectCommand(stage: string, queue: OnCallQueue): string {
  return `npm run dlq -- inspect --stage ${shellQuote(stage)} --queue ${queue}`;
}

export function redriveCommand(
  stage: string,
  queue: OnCallQueue,
  to: "source" | "failure",
): string {
  return `npm run redrive -- --stage ${shellQuote(stage)} --queue ${queue} --to ${to}`;
}
