/**
 * The accounting at the end of a scenario: for every planned object, what the pipeline did
 * (the validator's logged verdict, alerts, events, dead letters) against what was expected, and
 * a fresh check with the validator's own comparison.
 */
import { settings } from "../../../resources/settings.ts";
import { deepVerificationSettings } from "../../../shared/integrity/settle.ts";
import { s3ObjectReader } from "../../../shared/s3/object-state.ts";
import { validateObject } from "../../../shared/validator/validate-object.ts";
import type { ObjectVerdict } from "../../../shared/verdicts.ts";
import type { LocalStack } from "../stack.ts";
import { alertsFor, deadLetteredObjects, eventsFor, lastLoggedVerdict } from "./observe.ts";
import type { PlannedObject } from "./plan.ts";

export interface ObjectAccount extends PlannedObject {
  /** The checksum-validator's last verdict for the object, from its own log records. */
  readonly pipelineVerdict?: string;
  /** A fresh check at the end, with the same comparison (`npm run verify`'s). */
  readonly finalVerdict?: ObjectVerdict;
  readonly events: number;
  readonly alerts: readonly string[];
  readonly deadLettered: boolean;
  readonly ok: boolean;
}

export async function accountFor(
  stack: LocalStack,
  planned: readonly PlannedObject[],
): Promise<ObjectAccount[]> {
  const context = {
    primary: s3ObjectReader(stack.clients.s3),
    replica: s3ObjectReader(stack.clients.s3),
    replicationDeadlineSeconds: stack.timings.replicationDeadlineSeconds,
    deepVerification: deepVerificationSettings(settings.deepVerification),
    now: () => new Date(),
  };
  const deadLettered = deadLetteredObjects(stack);
  const accounts: ObjectAccount[] = [];
  for (const object of planned) {
    const pair = stack.bucketPairs.get(object.bucket);
    if (!pair) throw new Error(`s3://${object.bucket} is not a primary bucket of the local stack`);
    const result = await validateObject(context, { pair, key: object.key });
    const pipelineVerdict = lastLoggedVerdict(stack, object);
    const alerts = alertsFor(stack, object);
    const events = eventsFor(stack, object);
    const wasDeadLettered = deadLettered.has(`${object.bucket}/${object.key}`);
    accounts.push({
      ...object,
      pipelineVerdict,
      finalVerdict: result.verdict,
      events,
      alerts,
      deadLettered: wasDeadLettered,
      ok:
        pipelineVerdict === object.expectedVerdict &&
        result.verdict === object.expectedVerdict &&
        events === 1 &&
        alerts.length === (object.expectAlert ? 1 : 0) &&
        wasDeadLettered === object.expectDeadLetter,
    });
  }
  return accounts;
}

export function describeAccount(account: ObjectAccount): string {
  return `expected ${account.expectedVerdict}${account.expectAlert ? " with one alert" : ""}${account.expectDeadLetter ? " via the DLQ" : ""}; the validator said ${account.pipelineVerdict ?? "nothing"}, a fresh check says ${account.finalVerdict}; ${account.alerts.length} alert(s), ${account.events} event(s)${account.deadLettered ? ", dead-lettered" : ""}`;
}
