/**
 * fauxqs names queues `http://sqs.<region>.localhost:<port>/<account>/<name>`, a host that does
 * not resolve everywhere. The SQS client sends each call to its QueueUrl's host unless an
 * endpoint is set in code (AWS_ENDPOINT_URL does not count), so code configured only through
 * the environment — the Lambda handlers — would miss the emulator. The same path on the
 * emulator's own origin reaches the same queue.
 */
export function onEmulatorOrigin(queueUrl: string, endpoint: string): string {
  return `${endpoint}${new URL(queueUrl).pathname}`;
}
