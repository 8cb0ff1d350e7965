/**
 * Deploy-time parameters of both stacks. Serverless passes them as `--stage`, `--region` and
 * `--param="name=value"`, or from the `params:` block of serverless.yml (per stage, then
 * `default`; a `--param` on the command line wins); each parameter's default comes from
 * resources/settings.json.
 */
import { ConfigurationError } from "../../shared/errors.ts";
import {
  type BucketEncryption,
  CLOUDFORMATION_ACCOUNT_ID,
  parseCategories,
  parseScheduleExpression,
  type ResourceNames,
  resourceNames,
  settings,
} from "../settings.ts";

/**
 * How the primary stack learns the replica stack's outputs. `cloudformation` (deploys) reads
 * them with `${cf(<replicaRegion>):<replicaStack>.<Output>}`; `offline` (only `npm run package`
 * and the tests: no credentials, no network) uses placeholders that must never be deployed.
 */
export type ReplicaLookup = "cloudformation" | "offline";

export interface StackInputs {
  readonly stage: string;
  readonly primaryRegion: string;
  readonly replicaRegion: string;
  readonly categories: readonly string[];
  readonly alertEmails: readonly string[];
  readonly bucketEncryption: BucketEncryption;
  readonly replicationTimeControl: boolean;
  readonly replicaLookup: ReplicaLookup;
  /**
   * ARN of the managed policy set as the permissions boundary of every IAM role the stacks
   * create; absent: no boundary. The GitHub deploy role (resources/github-oidc-deploy-role.yml)
   * may create and change roles only with its boundary, so CI deploys must pass it.
   */
  readonly permissionsBoundary?: string;
  /**
   * S3 Object Lock on the replica buckets (off by default): every replica version is kept
   * unchangeable for `days` in this mode. GOVERNANCE can be lifted by a principal with
   * s3:BypassGovernanceRetention; COMPLIANCE by no one, not even the account root.
   */
  readonly objectLock?: { readonly mode: ObjectLockMode; readonly days: number };
  /**
   * An IAM role allowed, besides replication and CloudFormation, to change replica objects and
   * the replica buckets' protection: the documented way out of a bad day. Absent: no one.
   */
  readonly breakGlassRoleArn?: string;
  /** HTTPS endpoints of a pager (PagerDuty, Opsgenie, ...): critical alerts and every alarm. */
  readonly pagerEndpoints: readonly string[];
  /** Alerts also in AWS Chatbot's custom-notification JSON (for https subscribers). */
  readonly chatNotifications: boolean;
  /** Alarm when no upload event matched the rule for this many hours; absent: no heartbeat. */
  readonly heartbeatHours?: number;
  /**
   * When the scheduled audit starts (an EventBridge Scheduler expression, UTC); absent ("off"):
   * no schedule, audits start only by hand (invoking the audit-starter).
   */
  readonly auditSchedule?: string;
}

export type ObjectLockMode = "GOVERNANCE" | "COMPLIANCE";

export const PARAMETER_NAMES = [
  "primaryRegion",
  "replicaRegion",
  "categories",
  "alertEmails",
  "bucketEncryption",
  "replicationTimeControl",
  "replicaLookup",
  "permissionsBoundary",
  "objectLockMode",
  "objectLockRetentionDays",
  "breakGlassRoleArn",
  "pagerEndpoints",
  "chatNotifications",
  "heartbeatHours",
  "auditSchedule",
] as const;
export type ParameterName = (typeof PARAMETER_NAMES)[number];
/** Parameter values as given, before validation. */
export type ParameterValues = Partial<Record<ParameterName, string>>;

/** The longest heartbeat: CloudWatch evaluates at most 7 days (hourly periods × 168). */
export const MAX_HEARTBEAT_HOURS = 168;

/** The CLI options Serverless hands to a `${file(...)}` function. */
export interface CliOptions {
  readonly stage?: string | null;
  readonly region?: string | null;
  readonly param?: string | readonly string[] | null;
}

// arn:<partition>:iam::<account>:policy/<path/><name>; path and name characters as IAM allows them.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-arns
const IAM_POLICY_ARN = /^arn:aws(-[a-z]+)*:iam::\d{12}:policy\/([\w+=,.@-]+\/)*[\w+=,.@-]{1,128}$/;

// A pragmatic address check: something@domain.tld, no spaces or commas.
const EMAIL = /^[^\s@,]+@[^\s@,]+\.[^\s@,]+$/;

/**
 * The primary stack deploys to `--region` (the primary region); the replica stack deploys to
 * `--param replicaRegion` and learns the primary region from `--param primaryRegion`.
 */
export function readInputs(
  options: CliOptions,
  stack: "primary" | "replica",
  params: ParameterValues = readParams(options.param),
): StackInputs {
  const { defaults } = settings;
  const replicaRegion = params.replicaRegion ?? defaults.replicaRegion;
  const region = options.region ?? undefined;
  if (stack === "replica" && region !== undefined && region !== replicaRegion) {
    throw new ConfigurationError(
      "--region",
      `the replica stack deploys to --param replicaRegion (${replicaRegion}); pass that instead`,
      region,
    );
  }
  if (stack === "primary" && region !== undefined && params.primaryRegion !== undefined) {
    if (region !== params.primaryRegion) {
      throw new ConfigurationError("--param primaryRegion", `differs from --region ${region}`);
    }
  }
  const inputs: StackInputs = {
    stage: options.stage ?? defaults.stage,
    primaryRegion:
      (stack === "primary" ? region : undefined) ?? params.primaryRegion ?? defaults.primaryRegion,
    replicaRegion,
    categories:
      params.categories === undefined
        ? settings.categories
        : parseCategories(params.categories, "--param categories"),
    alertEmails: parseEmails(params.alertEmails ?? ""),
    bucketEncryption: parseEncryption(params.bucketEncryption ?? defaults.bucketEncryption),
    replicationTimeControl: parseBoolean(
      "--param replicationTimeControl",
      params.replicationTimeControl ?? String(defaults.replicationTimeControl),
    ),
    replicaLookup: parseLookup(params.replicaLookup ?? "cloudformation"),
    ...(params.permissionsBoundary === undefined || params.permissionsBoundary === ""
      ? {}
      : { permissionsBoundary: parsePolicyArn(params.permissionsBoundary) }),
    ...parseObjectLock(params.objectLockMode, params.objectLockRetentionDays),
    ...(params.breakGlassRoleArn === undefined || params.breakGlassRoleArn === ""
      ? {}
      : { breakGlassRoleArn: parseRoleArn(params.breakGlassRoleArn) }),
    pagerEndpoints: parseHttpsEndpoints(params.pagerEndpoints ?? ""),
    chatNotifications: parseBoolean(
      "--param chatNotifications",
      params.chatNotifications ?? "false",
    ),
    ...(params.heartbeatHours === undefined || params.heartbeatHours === ""
      ? {}
      : { heartbeatHours: parseHeartbeatHours(params.heartbeatHours) }),
    ...parseAuditSchedule(params.auditSchedule ?? settings.audit.schedule),
  };
  // Validates stage, regions and every bucket name's length before anything is generated.
  namesFor(inputs);
  return inputs;
}

/** Names with the account id left as `${AWS::AccountId}`, for use inside `Fn::Sub`. */
export function namesFor(inputs: StackInputs): ResourceNames {
  return resourceNames(inputs.stage, {
    accountId: CLOUDFORMATION_ACCOUNT_ID,
    primaryRegion: inputs.primaryRegion,
    replicaRegion: inputs.replicaRegion,
    categories: inputs.categories,
  });
}

/**
 * The parameters as osls resolves them: `--param` on the command line, else the stage's
 * section of the `params:` block, else its `default` section. Names given on the command line
 * are checked first, so a typo is an error rather than a silently ignored value.
 * https://github.com/oss-serverless/osls/blob/main/docs/guides/parameters.md
 */
export async function resolveParams(
  options: CliOptions,
  resolveVariable: (variable: string) => Promise<unknown>,
): Promise<ParameterValues> {
  readParams(options.param);
  const params: ParameterValues = {};
  for (const name of PARAMETER_NAMES) {
    const value = await resolveVariable(`param:${name}, null`);
    // A YAML list or boolean in the params block reads as its comma-separated text.
    if (value !== null && value !== undefined) params[name] = [value].flat().join(",").trim();
  }
  return params;
}

function readParams(param: CliOptions["param"]): ParameterValues {
  const items = param === undefined || param === null ? [] : [param].flat();
  const params: ParameterValues = {};
  for (const item of items) {
    const separator = item.indexOf("=");
    const name = item.slice(0, separator);
    if (separator < 1 || !(PARAMETER_NAMES as readonly string[]).includes(name)) {
      throw new ConfigurationError(
        "--param",
        `must be name=value with name one of ${PARAMETER_NAMES.join(", ")}`,
        item,
      );
    }
    params[name as ParameterName] = item.slice(separator + 1).trim();
  }
  return params;
}

/** A comma-separated list ("none" or empty for none), each item checked, duplicates dropped. */
function parseList(
  list: string,
  variable: string,
  problem: string,
  isValid: (item: string) => boolean,
): string[] {
  const items = list
    .split(",")
    .map((item) => item.trim())
    .filter((item) => item !== "" && item !== "none");
  for (const item of items) {
    if (!isValid(item)) throw new ConfigurationError(variable, problem, item);
  }
  return [...new Set(items)];
}

function parseEmails(list: string): string[] {
  return parseList(list, "--param alertEmails", "must be e-mail addresses", (email) =>
    EMAIL.test(email),
  );
}

function parseHttpsEndpoints(list: string): string[] {
  return parseList(
    list,
    "--param pagerEndpoints",
    "must be https:// URLs",
    (endpoint) => URL.canParse(endpoint) && new URL(endpoint).protocol === "https:",
  );
}

function parseHeartbeatHours(value: string): number {
  const hours = Number(value);
  if (!/^\d+$/.test(value) || hours < 1 || hours > MAX_HEARTBEAT_HOURS) {
    throw new ConfigurationError(
      "--param heartbeatHours",
      `must be a whole number of hours from 1 to ${MAX_HEARTBEAT_HOURS}`,
      value,
    );
  }
  return hours;
}

function parseAuditSchedule(value: string): { auditSchedule?: string } {
  const expression = parseScheduleExpression(value, "--param auditSchedule");
  return expression === undefined ? {} : { auditSchedule: expression };
}

function parseEncryption(value: string): BucketEncryption {
  if (value === "SSE-S3" || value === "SSE-KMS") return value;
  throw new ConfigurationError("--param bucketEncryption", "must be SSE-S3 or SSE-KMS", value);
}

function parseBoolean(variable: string, value: string): boolean {
  if (value === "true") return true;
  if (value === "false") return false;
  throw new ConfigurationError(variable, "must be true or false", value);
}

function parsePolicyArn(value: string): string {
  if (IAM_POLICY_ARN.test(value)) return value;
  throw new ConfigurationError(
    "--param permissionsBoundary",
    "must be an IAM policy ARN (arn:aws:iam::<account id>:policy/<name>)",
    value,
  );
}

// arn:<partition>:iam::<account>:role/<path/><name>
const IAM_ROLE_ARN = /^arn:aws(-[a-z]+)*:iam::\d{12}:role\/([\w+=,.@-]+\/)*[\w+=,.@-]{1,64}$/;

function parseRoleArn(value: string): string {
  if (IAM_ROLE_ARN.test(value)) return value;
  throw new ConfigurationError(
    "--param breakGlassRoleArn",
    "must be an IAM role ARN (arn:aws:iam::<account id>:role/<name>)",
    value,
  );
}

/** Object Lock needs both a mode and a period; "off" (or no mode) leaves it off. */
function parseObjectLock(
  mode: string | undefined,
  days: string | undefined,
): { objectLock?: { mode: ObjectLockMode; days: number } } {
  if (mode === undefined || mode === "" || mode === "off") {
    if (days !== undefined && days !== "") {
      throw new ConfigurationError(
        "--param objectLockRetentionDays",
        "needs --param objectLockMode=GOVERNANCE or COMPLIANCE",
        days,
      );
    }
    return {};
  }
  if (mode !== "GOVERNANCE" && mode !== "COMPLIANCE") {
    throw new ConfigurationError(
      "--param objectLockMode",
      "must be GOVERNANCE, COMPLIANCE or off",
      mode,
    );
  }
  // S3 allows up to 100 years; a default retention needs a period.
  // https://docs.aws.amazon.com/AmazonS3/latest/API/API_DefaultRetention.html
  if (days === undefined || !/^\d+$/.test(days) || Number(days) < 1 || Number(days) > 36_500) {
    throw new ConfigurationError(
      "--param objectLockRetentionDays",
      "must be a whole number of days from 1 to 36500 when objectLockMode is set",
      days ?? "",
    );
  }
  return { objectLock: { mode, days: Number(days) } };
}

function parseLookup(value: string): ReplicaLookup {
  if (value === "cloudformation" || value === "offline") return value;
  throw new ConfigurationError("--param replicaLookup", "must be cloudformation or offline", value);
}
