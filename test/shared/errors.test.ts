/**
 * The one error vocabulary of the functions: how an error is said in a log line, and whether
 * retrying can help (shared/errors.ts). AWS errors are built as the SDK builds them: a name and
 * `$metadata.httpStatusCode`.
 */
import { describe, expect, it } from "vitest";
import { DeadlineError, describeError, isPermanent } from "../../shared/errors.ts";

function awsError(name: string, message: string, httpStatusCode: number): Error {
  return Object.assign(new Error(message), { name, $metadata: { httpStatusCode } });
}

describe("describeError", () => {
  it("adds the HTTP status a HEAD's error lacks (no body: S3's 503 arrives as UnknownError)", () => {
    expect(describeError(awsError("UnknownError", "UnknownError", 503))).toBe(
      "UnknownError: UnknownError (HTTP 503)",
    );
  });

  it("does not repeat a status the message already says", () => {
    expect(describeError(awsError("ServiceError", "S3 answered 503", 503))).toBe(
      "ServiceError: S3 answered 503",
    );
  });

  it("says name and message of an error without a status, and any other thrown value", () => {
    expect(describeError(new DeadlineError("time is up"))).toBe("DeadlineError: time is up");
    expect(describeError("plain text")).toBe("plain text");
    expect(describeError(42)).toBe("42");
  });

  it("never throws, even for a value that cannot be turned into a string", () => {
    const hostile = { toString: 1 };
    expect(describeError(hostile)).toBe("[object Object]");
  });
});

describe("isPermanent", () => {
  it.each([
    ["a 400 S3 answers to a HEAD (a version id it rejects)", awsError("BadRequest", "", 400), true],
    ["a key that cannot be encoded", new URIError("URI malformed"), true],
    ["a 400 about the moment (a slow upload)", awsError("RequestTimeout", "", 400), false],
    ["expired credentials", awsError("ExpiredToken", "", 400), false],
    ["throttling", awsError("SlowDown", "Please reduce your request rate.", 503), false],
    ["a 500", awsError("InternalError", "", 500), false],
    ["access denied (someone fixes it, then redrives)", awsError("AccessDenied", "", 403), false],
    ["the record's time running out", new DeadlineError("time is up"), false],
    ["something that is not an error", "boom", false],
  ])("%s", (_what, error, permanent) => {
    expect(isPermanent(error)).toBe(permanent);
  });
});
