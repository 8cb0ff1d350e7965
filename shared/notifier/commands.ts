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

/**
 * `npm run audit -- s3://bucket/key --stage …`: audits every object under that key prefix as
 * the audit does (what re-checks a REPLICA_OVERWRITTEN: the replica bucket's current version).
 */
export function auditCommand(
  stage: string | undefined,
  object: { readonly bucket: string; readonly key: string },
): string {
  const stageOption = stage === undefined ? "" : ` --stage ${shellQuote(stage)}`;
  return `npm run audit -- ${shellQuote(`s3://${object.bucket}/${object.key}`)}${stageOption}`;
}

/** Where an object's versions are, for the AWS CLI commands an alert quotes. */
export interface VersionedLocation {
  readonly bucket: string;
  readonly key: string;
  readonly region?: string;
}

function regionOption(location: VersionedLocation): string {
  return location.region ? ` --region ${shellQuote(location.region)}` : "";
}

/** `aws s3api list-object-versions …`: every version and delete marker under the key. */
export function listVersionsCommand(location: VersionedLocation): string {
  return `aws s3api list-object-versions --bucket ${shellQuote(location.bucket)} --prefix ${shellQuote(location.key)}${regionOption(location)}`;
}

/** `aws s3api delete-object … --version-id …`: removes one version (or delete marker) for good. */
export function deleteVersionCommand(location: VersionedLocation, versionId: string): string {
  return `aws s3api delete-object --bucket ${shellQuote(location.bucket)} --key ${shellQuote(location.key)} --version-id ${versionId.startsWith("<") ? versionId : shellQuote(versionId)}${regionOption(location)}`;
}
