/**
 * How the functions' AWS SDK clients behave on a bad day. By default the SDK waits forever for
 * a connection or an answer (a HEAD to an endpoint that never answered waited over 150 s), and
 * even a configured requestTimeout only logs a warning unless throwOnRequestTimeout is set; a
 * single stalled request could hold a whole batch until the Lambda timed out. With these, a hung
 * request throws a TimeoutError, is retried with back-off, and in the end fails only its record.
 * https://docs.aws.amazon.com/sdk-for-javascript/v3/developer-guide/node-configuring-maxsockets.html
 * https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html
 */

/** Opening a TCP (and TLS) connection: a healthy regional endpoint answers in milliseconds. */
export const CONNECTION_TIMEOUT_MS = 3_000;
/** Tries per call, the first included. */
export const MAX_ATTEMPTS = 3;

/**
 * Client settings for the functions. Adaptive retries add client-side rate limiting on top of
 * the standard back-off, which is what a throttled S3 prefix (503 SlowDown) wants.
 */
export function functionClientOptions(
  region: string | undefined,
  /** Time without a byte on the socket once a request is sent (SDK_REQUEST_TIMEOUT_MS). */
  requestTimeoutMs: number,
) {
  return {
    ...(region === undefined ? {} : { region }),
    retryMode: "adaptive",
    maxAttempts: MAX_ATTEMPTS,
    requestHandler: {
      connectionTimeout: Math.min(CONNECTION_TIMEOUT_MS, requestTimeoutMs),
      requestTimeout: requestTimeoutMs,
      // Without it the SDK only logs a warning when requestTimeout passes and keeps waiting.
      throwOnRequestTimeout: true,
    },
  } as const;
}
