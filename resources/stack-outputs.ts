/**
 * The primary stack's outputs that tools read: the contract between the stack that writes them
 * (resources/cloudformation/primary/outputs.ts), the local stack that writes the same names to
 * its outputs file (scripts/local/stack.ts), and the on-call commands that read them
 * (scripts/oncall/stack-outputs.ts). Each is typed here, so a name cannot drift on one side.
 */

/** What every deployment has; the on-call commands refuse a stack without them. */
export const REQUIRED_OUTPUTS = {
  ValidationQueueUrl: "Validation queue URL",
  ValidationQueueArn: "Validation queue ARN",
  ValidationDlqUrl: "Validation dead-letter queue URL",
  ValidationDlqArn: "Validation dead-letter queue ARN",
  FailureQueueUrl: "Failure queue URL",
  FailureQueueArn: "Failure queue ARN",
  FailureDlqUrl: "Failure dead-letter queue URL",
  FailureDlqArn: "Failure dead-letter queue ARN",
  AlertTopicArn: "Alert topic ARN",
  ReplicaRegion: "Region of the replica buckets",
  Stage: "Deployment stage",
  BucketPairs: "BUCKET_PAIRS JSON: primary bucket → replica bucket and category",
} as const;

/**
 * Read when present: stacks deployed by older versions lack them, so the commands fall back
 * (see each use) instead of refusing.
 */
export const OPTIONAL_OUTPUTS = {
  /** The checksum-validator's REPLICATION_DEADLINE_SECONDS as deployed. */
  ReplicationDeadlineSeconds: "Seconds a missing replica is PENDING before REPLICATION_OVERDUE",
  /** Where the alarms go (the alerts have their own topic). */
  AlarmTopicArn: "Alarm topic ARN",
  /** Every alarm of the stage is named with this prefix: `npm run status` lists those in ALARM. */
  AlarmNamePrefix: "Prefix of the stage's CloudWatch alarm names",
  /** The scheduled audit: invoking this function starts an audit job per primary bucket now. */
  AuditStarterFunctionName:
    "Function that starts an S3 Batch Operations audit of every primary bucket",
  /** The primary buckets' S3 Inventory and the audit jobs' completion reports (inventory/, reports/). */
  InventoryBucketName:
    "Bucket of the primary buckets' inventories and the audit jobs' completion reports",
  /**
   * Only in the local stack's outputs file: the emulator every AWS call goes to, so the
   * on-call commands need no --endpoint-url against it.
   */
  EndpointUrl: "AWS endpoint of the local stack (emulator)",
  /** Only in the local stack's outputs file: its CloudWatch stand-in (metrics, no alarms). */
  CloudWatchEndpointUrl: "CloudWatch endpoint of the local stack (its metrics stand-in)",
} as const;

export type RequiredOutput = keyof typeof REQUIRED_OUTPUTS;
export type OptionalOutput = keyof typeof OPTIONAL_OUTPUTS;
export type OutputName = RequiredOutput | OptionalOutput;

export const REQUIRED_OUTPUT_NAMES = Object.keys(REQUIRED_OUTPUTS) as RequiredOutput[];
export const OPTIONAL_OUTPUT_NAMES = Object.keys(OPTIONAL_OUTPUTS) as OptionalOutput[];
/** Outputs only the local stack's file has: a deployed stack never does. */
export const LOCAL_ONLY_OUTPUT_NAMES: readonly OptionalOutput[] = [
  "EndpointUrl",
  "CloudWatchEndpointUrl",
];

/** A value for every required output and any optional one; `V` is a string or a CFN value. */
export type StackOutputValues<V = string> = { readonly [K in RequiredOutput]: V } & {
  readonly [K in OptionalOutput]?: V;
};

/** CloudFormation `Outputs` entries for the contract's outputs, with their descriptions. */
export function contractOutputs<V>(
  values: StackOutputValues<V>,
): Record<string, { Description: string; Value: V }> {
  const descriptions: Record<string, string> = { ...REQUIRED_OUTPUTS, ...OPTIONAL_OUTPUTS };
  const outputs: Record<string, { Description: string; Value: V }> = {};
  for (const [name, value] of Object.entries(values) as [OutputName, V | undefined][]) {
    if (value !== undefined)
      outputs[name] = { Description: descriptions[name] ?? name, Value: value };
  }
  return outputs;
}
