/** What the primary stack learns from the replica stack, deployed first in the other region. */
import { ConfigurationError } from "../../../shared/errors.ts";
import { CLOUDFORMATION_ACCOUNT_ID } from "../../settings.ts";
import { namesFor, type StackInputs } from "../inputs.ts";
import { sub } from "../intrinsics.ts";
import { REPLICA_OUTPUTS } from "../replica.ts";

/** What the primary stack needs from the replica stack (read at deploy time). */
export interface ReplicaFacts {
  /** The replica data key's ARN; only with SSE-KMS. */
  readonly dataKeyArn?: unknown;
}

/** Looks up a replica stack output; given by the osls `${file()}` resolver at deploy time. */
export type ReplicaOutputReader = (outputName: string) => Promise<string | null>;

/**
 * Reads the replica stack's outputs, checking that it was deployed (first) with the same
 * categories and encryption. Offline (`--param replicaLookup=offline`) it returns placeholders.
 */
export async function readReplicaFacts(
  inputs: StackInputs,
  readOutput: ReplicaOutputReader,
): Promise<ReplicaFacts> {
  const names = namesFor(inputs);
  if (inputs.replicaLookup === "offline") {
    return inputs.bucketEncryption === "SSE-KMS"
      ? {
          // Placeholder for packages that are linted and tested, never deployed.
          dataKeyArn: sub(
            `arn:\${AWS::Partition}:kms:${inputs.replicaRegion}:\${AWS::AccountId}:key/00000000-0000-0000-0000-000000000000`,
          ),
        }
      : {};
  }
  const where = `stack ${names.replicaStack} in ${inputs.replicaRegion}`;
  const deployFirst = `Deploy the replica stack first: npm run deploy -- --stage ${inputs.stage}`;
  const read = async (output: string) => {
    const value = await readOutput(output);
    if (value === null || value === "") {
      throw new ConfigurationError(output, `is not an output of ${where}. ${deployFirst}`);
    }
    return value;
  };
  const deployedNames = (await read(REPLICA_OUTPUTS.bucketNames)).split(",");
  const sameBuckets =
    deployedNames.length === names.buckets.length &&
    names.buckets.every((pair, index) =>
      withAnyAccountId(pair.replicaBucket).test(deployedNames[index] ?? ""),
    );
  if (!sameBuckets) {
    throw new ConfigurationError(
      REPLICA_OUTPUTS.bucketNames,
      `of ${where} does not match the categories ${inputs.categories.join(",")}. ${deployFirst}`,
      deployedNames.join(","),
    );
  }
  const encryption = await read(REPLICA_OUTPUTS.bucketEncryption);
  if (encryption !== inputs.bucketEncryption) {
    throw new ConfigurationError(
      REPLICA_OUTPUTS.bucketEncryption,
      `of ${where} differs from --param bucketEncryption=${inputs.bucketEncryption}. ${deployFirst}`,
      encryption,
    );
  }
  return inputs.bucketEncryption === "SSE-KMS"
    ? { dataKeyArn: await read(REPLICA_OUTPUTS.dataKeyArn) }
    : {};
}

/** The name pattern with `${AWS::AccountId}` standing for any 12-digit account id. */
function withAnyAccountId(name: string): RegExp {
  const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`^${name.split(CLOUDFORMATION_ACCOUNT_ID).map(escapeRegExp).join("\\d{12}")}$`);
}
