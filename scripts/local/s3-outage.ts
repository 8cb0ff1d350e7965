/**
 * Local stand-in for a regional S3 outage: S3 answers 503 SlowDown for the requests an outage
 * covers, through the fault proxy every function call goes through (fault-proxy.ts). The outage
 * hits exactly what it would in AWS: the SDK retries, the record fails, SQS redelivers it, and
 * after maxReceiveCount it lands in the dead-letter queue, ready to be redriven when S3 is back.
 */
import type { FaultPolicy, FaultProxy } from "./fault-proxy.ts";

/** Path-style request target: emulator endpoints are IP addresses, so the SDK uses paths. */
export interface S3Target {
  readonly method: string;
  readonly bucket: string;
  readonly key: string;
}

export interface S3Outage {
  /** Starts failing the S3 requests `covers` selects; `undefined` ends the outage. */
  setOutage(covers: ((target: S3Target) => boolean) | undefined): void;
  /** Requests answered with 503 so far. */
  readonly failedRequests: number;
}

export function s3Outage(proxy: FaultProxy): S3Outage {
  return {
    setOutage(covers) {
      proxy.setPolicy(covers ? outagePolicy(covers) : undefined);
    },
    get failedRequests() {
      return proxy.injected["slow-down"];
    },
  };
}

function outagePolicy(covers: (target: S3Target) => boolean): FaultPolicy {
  return (request) =>
    request.service === "s3" &&
    request.bucket !== undefined &&
    covers({ method: request.method, bucket: request.bucket, key: request.key ?? "" })
      ? "slow-down"
      : undefined;
}
