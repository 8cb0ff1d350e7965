import { describe, expect, it } from "vitest";
import {
  decideFromListing,
  type ListedObject,
  listingEtagsUnusable,
  replicaIsNewer,
  UNKNOWN_ENCRYPTION,
} from "../../../shared/integrity/listing.ts";

const MD5 = '"9b2cf535f27731c974343645a3985328"';
const OTHER_MD5 = '"0cc175b9c0f1b6a831c399e269772661"';
const PLAIN = { primary: "AES256", replica: undefined };

function listed(overrides: Partial<ListedObject> = {}): ListedObject {
  return {
    key: "reports/q3.pdf",
    size: 1024,
    etag: MD5,
    lastModified: Date.parse("2024-03-04T10:15:30.000Z"),
    ...overrides,
  };
}

describe("what a listing proves", () => {
  it("proves a MATCH by equal MD5 ETags of the same shape and equal sizes", () => {
    expect(decideFromListing(listed(), listed(), PLAIN)?.basis?.kind).toBe("etag");
    const multipart = listed({ etag: '"9b2cf535f27731c974343645a3985328-3"' });
    expect(decideFromListing(multipart, multipart, PLAIN)?.verdict).toBe("MATCH");
  });

  it.each([
    ["sizes differ", listed({ size: 1025 })],
    [
      "single-part ETags differ (an SSE-KMS object's ETag may, for equal content)",
      listed({ etag: OTHER_MD5 }),
    ],
    ["the part layouts differ", listed({ etag: '"9b2cf535f27731c974343645a3985328-2"' })],
    ["the ETag is no MD5", listed({ etag: '"not-an-md5"' })],
    [
      "the replica is newer than its source (CRR keeps the time)",
      listed({ lastModified: Date.parse("2024-03-05T00:00:00.000Z") }),
    ],
  ])("leaves it to a HEAD when %s", (_why, replica) => {
    expect(decideFromListing(listed(), replica, PLAIN)).toBeUndefined();
  });

  it("never counts an ETag of a bucket encrypted with SSE-KMS by default", () => {
    const kms = { primary: "aws:kms", replica: "aws:kms" };

    expect(decideFromListing(listed(), listed(), kms)).toBeUndefined();
    expect(listingEtagsUnusable(kms)).toContain("aws:kms by default");
    expect(listingEtagsUnusable({ primary: undefined, replica: UNKNOWN_ENCRYPTION })).toContain(
      "could not be read",
    );
    expect(listingEtagsUnusable(PLAIN)).toBeUndefined();
  });

  it("tells a replica newer than its source only when both times are known", () => {
    expect(
      replicaIsNewer(listed(), listed({ lastModified: Date.parse("2024-03-04T10:15:31.000Z") })),
    ).toBe(true);
    expect(
      replicaIsNewer(listed(), listed({ lastModified: Date.parse("2024-03-04T10:15:29.000Z") })),
    ).toBe(false);
    expect(replicaIsNewer(listed({ lastModified: undefined }), listed())).toBe(false);
  });
});
