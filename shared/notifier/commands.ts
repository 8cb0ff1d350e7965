import { shellQuote } from "../text.ts";

/** The on-call commands (npm scripts) the alerts quote, exactly as the README documents them. */

export type OnCallQueue = "validation" | "failure";

/**
 * `npm run verify -- s3://… --version-id … --stage …`; with `deep`, the object's bytes are read
 * whatever its size (what settles an UNVERIFIABLE object). Without a stage the option is left out.
 */
export function verifyCommand(
  stage: string | undefined,
  object: { readonly bucket: string; readonly key: string; readonly versionId?: string },
  options: { readonly deep?: boolean } = {},
): string {
  const version = object.versionId ? ` --version-id ${shellQuote(object.versionId)}` : "";
  const stageOption = stage === undefined ? "" : ` --stage ${shellQuote(stage)}`;
  return `npm run verify -- ${shellQuote(`s3://${object.bucket}/${object.key}`)}${version}${stageOption}${options.deep ? " --deep" : ""}`;
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
