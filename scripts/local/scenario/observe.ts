/**
 * What the scenario sees of the local stack, as an operator would: the validator's own log
 * records (the CloudWatch Logs stand-in), the alert emails, the events that reached the
 * validation queue, what was dead-lettered, and the queues' depths.
 */
import { parseMessageBody } from "../../../shared/events/parse-message.ts";
import type { LocalStack } from "../stack.ts";

/** The validator's last verdict for the object, as its log records (CloudWatch Logs) show it. */
export function lastLoggedVerdict(
  stack: LocalStack,
  object: { bucket: string; key: string },
): string | undefined {
  const service = "checksum-validator";
  const verdicts = stack.functionLogs.records.filter(
    (record) =>
      record.service === service &&
      typeof record.outcome === "string" &&
      record.bucket === object.bucket &&
      record.key === object.key,
  );
  return verdicts.at(-1)?.outcome as string | undefined;
}

/** Alert emails that name the object (a digest may name several). */
export function alertsFor(stack: LocalStack, object: { bucket: string; key: string }): string[] {
  const uri = `s3://${object.bucket}/${object.key}`;
  return stack.outbox.emails.filter((email) => email.body.includes(uri)).map((email) => email.path);
}

export function malformedAlerts(stack: LocalStack): string[] {
  return stack.outbox.emails
    .filter((email) => email.attributes.verdict === "MALFORMED_EVENT")
    .map((email) => email.path);
}

/**
 * Distinct Object Created events (by EventBridge event id) that reached the validation queue
 * for the object; a redriven copy of the same event does not count twice.
 */
export function eventsFor(stack: LocalStack, object: { bucket: string; key: string }): number {
  const eventIds = new Set<string>();
  for (const message of stack.server.spy.getAllMessages()) {
    if (message.service !== "sqs" || message.status !== "published") continue;
    if (message.queueName !== stack.queues.validation.name) continue;
    const parsed = parseMessageBody(message.body);
    if (parsed.kind !== "objects" || parsed.attempt !== 1 || !parsed.eventId) continue;
    if (parsed.objects.some((ref) => ref.bucket === object.bucket && ref.key === object.key)) {
      eventIds.add(parsed.eventId);
    }
  }
  return eventIds.size;
}

/** Objects whose validation messages SQS moved to the DLQ (maxReceiveCount exceeded). */
export function deadLetteredObjects(stack: LocalStack): Set<string> {
  const objects = new Set<string>();
  for (const message of stack.server.spy.getAllMessages()) {
    if (message.service !== "sqs" || message.status !== "dlq") continue;
    const parsed = parseMessageBody(message.body);
    if (parsed.kind !== "objects") continue;
    for (const ref of parsed.objects) objects.add(`${ref.bucket}/${ref.key}`);
  }
  return objects;
}

export function depthsOf(stack: LocalStack): Record<string, number> {
  const depth = (name: string) => {
    const queue = stack.server.inspectQueue(name);
    if (!queue) return 0;
    return (
      queue.messages.ready.length + queue.messages.delayed.length + queue.messages.inflight.length
    );
  };
  return {
    validation: depth(stack.queues.validation.name),
    validationDlq: depth(stack.queues.validation.dlqName),
    failure: depth(stack.queues.failure.name),
    failureDlq: depth(stack.queues.failure.dlqName),
  };
}

export async function waitFor(
  check: () => { done: boolean; status: string },
  timeoutMs: number,
  log: (line: string) => void,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  let lastStatus = "";
  let lastPrinted = 0;
  for (;;) {
    const { done, status } = check();
    if (status !== lastStatus || Date.now() - lastPrinted > 5000) {
      log(`  … ${status}`);
      lastStatus = status;
      lastPrinted = Date.now();
    }
    if (done) return true;
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
