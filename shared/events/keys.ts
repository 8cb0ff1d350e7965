/**
 * Object keys to try, in order, for a key taken from an event; keys no S3 object can have (not
 * well-formed Unicode, or longer than 1,024 bytes of UTF-8) are left out.
 *
 * Classic S3 notifications URL-encode keys (a space becomes `+`). Whether EventBridge does is
 * not documented (Powertools Python decodes with unquote_plus, Powertools TypeScript does not),
 * so we look up the decoded key first and fall back to the key exactly as received.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-keys.html
 */
export function keyCandidates(keyFromEvent: string): string[] {
  const decoded = decodeEventKey(keyFromEvent);
  const candidates =
    decoded === undefined || decoded === keyFromEvent ? [keyFromEvent] : [decoded, keyFromEvent];
  return candidates.filter(isPossibleS3Key);
}

/** `unquote_plus`: `+` is a space, `%xx` a UTF-8 byte. Undefined when not validly encoded. */
export function decodeEventKey(keyFromEvent: string): string | undefined {
  try {
    return decodeURIComponent(keyFromEvent.replace(/\+/g, " "));
  } catch {
    return undefined;
  }
}

/** Non-empty, well-formed Unicode, at most 1,024 bytes of UTF-8. */
export function isPossibleS3Key(key: string): boolean {
  return key.length > 0 && key.isWellFormed() && Buffer.byteLength(key, "utf8") <= 1024;
}

/**
 * A key as an event would carry it (URL-encoded, `+` for a space), for code that takes event
 * keys (validateObject tries the decoded form first): the first try is then exactly this key,
 * so a key with a literal `+` or `%` is checked as written. For keys typed on a command line or
 * taken from a listing.
 */
export function asEventKey(key: string): string {
  return encodeURIComponent(key).replace(/%20/g, "+");
}
