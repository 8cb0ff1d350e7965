import type { Context } from "aws-lambda";

/**
 * A Lambda context for invoking a handler outside Lambda (local stack, CLIs, tests). Its clock
 * runs as Lambda's does: `getRemainingTimeInMillis` counts down from the function's timeout.
 */
export function lambdaContext(
  functionName: string,
  requestId = "local-request",
  timeoutMs = 60_000,
): Context {
  const endsAt = Date.now() + timeoutMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: "$LATEST",
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${functionName}`,
    memoryLimitInMB: "256",
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: "local",
    getRemainingTimeInMillis: () => Math.max(0, endsAt - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
