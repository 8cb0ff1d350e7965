/**
 * Object keys to try, in order, for a key taken from an event.
 *
 * Classic S3 notifications URL-encode keys (a space becomes `+`). Whether EventBridge does is
 * not documented (Powertools Python decodes with unquote_plus, Powertools TypeScript does not),
 * so we look up the decoded key first and fall back to the key exactly as received.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html
 */
export function keyCandidates(keyFromEvent: string): string[] {
  const decoded = decodeEventKey(keyFromEvent);
  return decoded === undefined || decoded === keyFromEvent
    ? [keyFromEvent]
    : [decoded, keyFromEvent];
}

/** `unquote_plus`: `+` is a space, `%xx` a UTF-8 byte. Undefined when not validly encoded. */
export function decodeEventKey(keyFromEvent: string): string | undefined {
  try {
    return decodeURIComponent(keyFromEvent.replace(/\+/g, " "));
  } catch {
    return undefined;
  }
}
