import { describe, expect, it } from "vitest";
import { planAlerts } from "../../../shared/notifier/alert-batch.ts";
import type { Alert } from "../../../shared/notifier/alert-publisher.ts";
import { REPORTED_VERDICTS, type ReportedVerdict } from "../../../shared/verdicts.ts";
import { fixtureText } from "../../helpers/events.ts";
import {
  deepMismatchReport,
  failureQueueRecord,
  PRIMARY_BUCKET,
  records,
  reportFor,
  STAGE,
  words,
} from "../../helpers/reports.ts";

/**
 * Every input kind and verdict, rendered. The full alerts are kept as plain-text files in
 * test/shared/notifier/alerts/ (subject, attributes, body: what the email looks like) so a reviewer
 * can read them; the assertions next to each pin down what must never go missing.
 */

function alertFor(body: string): Alert {
  const planned = planAlerts([failureQueueRecord(body)], { stage: STAGE });
  expect(planned).toHaveLength(1);
  const [only] = planned;
  if (!only) throw new Error("no alert planned");
  return only.alert;
}

function asEmail(alert: Alert): string {
  return `Subject: ${alert.subject}\nAttributes: ${JSON.stringify(alert.attributes)}\n\n${alert.body}`;
}

const snapshot = (name: string) => `./alerts/${name}.txt`;
/** The text with every run of white space as one space: wrapped prose reads as written. */

const SUBJECTS: Record<ReportedVerdict, string> = {
  MISMATCH: "[backup-validator prod] MISMATCH documents: reports/q3.pdf",
  REPLICA_OVERWRITTEN: "[backup-validator prod] REPLICA_OVERWRITTEN documents: reports/q3.pdf",
  REPLICA_MISSING: "[backup-validator prod] REPLICA_MISSING documents: reports/q3.pdf",
  REPLICATION_FAILED: "[backup-validator prod] REPLICATION_FAILED documents: reports/q3.pdf",
  REPLICATION_OVERDUE: "[backup-validator prod] REPLICATION_OVERDUE documents: reports/q3.pdf",
  UNVERIFIABLE: "[backup-validator prod] UNVERIFIABLE documents: reports/q3.pdf",
  UNCHECKABLE: "[backup-validator prod] UNCHECKABLE documents: reports/q3.pdf",
  UNMAPPED_BUCKET:
    "[backup-validator prod] UNMAPPED_BUCKET backup-validator-prod-photos-primary: reports/q3.pdf",
  MALFORMED_EVENT:
    "[backup-validator prod] MALFORMED_EVENT: a message on the validation...e read: the body is not JSON",
};

const VERIFY =
  "npm run verify -- s3://backup-validator-prod-documents-primary/reports/q3.pdf --version-id 3HL4kqtJvjVBH40Nrjfkd.Wq5v1LZg0b --stage prod";

describe("failure reports: one alert per verdict", () => {
  it.each(REPORTED_VERDICTS)("%s", async (verdict) => {
    // Prepare
    const report = reportFor(verdict);

    // Act
    const alert = alertFor(JSON.stringify(report));

    // Assess
    expect(alert.subject).toBe(SUBJECTS[verdict]);
    expect(alert.attributes).toEqual({
      verdict,
      severity: report.severity,
      stage: STAGE,
      ...(report.object ? { bucket: report.object.bucket } : {}),
      ...(report.category ? { category: report.category } : {}),
      alertType: "single",
      reportId: report.reportId,
    });
    expect(alert.body).toMatch(new RegExp(`^${verdict} \\(severity: ${report.severity}\\)`));
    // Prose is wrapped at 78 columns: compare its words, not its line breaks.
    expect(words(alert.body)).toContain(`Finding: ${report.summary}`);
    expect(alert.body).toContain("WHAT TO DO NEXT");
    expect(alert.body).toContain("npm run dlq -- inspect --stage prod --queue validation");
    expect(alert.body).toMatch(new RegExp(`Report ID: +${report.reportId}`));
    await expect(asEmail(alert)).toMatchFileSnapshot(snapshot(`report-${verdict}`));
  });

  it("MISMATCH shows both sides, marks the differing checksum, and links both objects", () => {
    // Act
    const { body } = alertFor(JSON.stringify(reportFor("MISMATCH")));

    // Assess
    expect(body).toContain(`      ${VERIFY}\n`);
    expect(body).toMatch(
      /Checksum SHA256 +n4bQgYhMfWWaL\+qgxVrQFaO\/TxsrC4Is0V1sFbDwCgg= +47DEQpj8HBSa\+\/TImW\+5JCeuQeRkm5NMpJWZG3hSuFU= +<- differs/,
    );
    expect(body).toMatch(/Replication status +COMPLETED +REPLICA\n/);
    expect(body).toContain(
      "Primary object:\n    https://us-east-1.console.aws.amazon.com/s3/object/backup-validator-prod-documents-primary?region=us-east-1&bucketType=general&prefix=reports%2Fq3.pdf&versionId=3HL4kqtJvjVBH40Nrjfkd.Wq5v1LZg0b",
    );
    expect(body).toContain(
      "Replica object:\n    https://us-west-2.console.aws.amazon.com/s3/object/backup-validator-prod-documents-replica?region=us-west-2",
    );
    expect(body).toContain(
      "backup-validator-prod-failure:\n    https://us-east-1.console.aws.amazon.com/sqs/v3/home?region=us-east-1#/queues/https%3A%2F%2Fsqs.us-east-1.amazonaws.com%2F111122223333%2Fbackup-validator-prod-failure",
    );
    expect(body).toContain("Uploaded:    2024-03-04T10:15:30Z (S3 event time)");
    expect(body).toContain("Checks run:  1");
    expect(body).toContain('"reason": "PutObject"');
  });

  it("REPLICA_MISSING says the replica is not there", () => {
    const { body } = alertFor(JSON.stringify(reportFor("REPLICA_MISSING")));
    expect(body).toMatch(/Present +yes +NO \(not found\) +<- replica missing/);
  });

  it("UNVERIFIABLE flags the ETag difference as not comparable, says why the bytes were not read, and quotes the command that reads them", () => {
    // Act
    const { body } = alertFor(JSON.stringify(reportFor("UNVERIFIABLE")));

    // Assess
    expect(body).toContain("<- differs (not comparable, see EVIDENCE)");
    expect(words(body)).toContain("This is NOT evidence of corruption");
    expect(words(body)).toContain(
      "Bytes read: none (5,368,709,120 bytes (5.0 GiB) of the primary's bytes to read is above the deep-verification size limit, DEEP_VERIFY_MAX_BYTES)",
    );
    expect(body).toContain(`    ${VERIFY} --deep\n`);
  });

  it("MISMATCH found by reading the bytes names the read and the record it reproduced", async () => {
    // Act
    const alert = alertFor(JSON.stringify(deepMismatchReport()));

    // Assess
    expect(words(alert.body)).toContain(
      "Verdict based on: replica's CRC32 checksum (full object) reproduced from the primary's bytes: computed kG1xJQ==, replica records 9Yc3aw== -> DIFFER",
    );
    expect(words(alert.body)).toContain(
      "Bytes read: 12,582,912 bytes (12.0 MiB) of the primary's bytes, in 0.4 s",
    );
    // Recorded values of other layouts differ without being evidence.
    expect(alert.body).toMatch(/Checksum CRC32 +hXz8Dg==-2 +9Yc3aw== +<- differs \(not comparable/);
    await expect(asEmail(alert)).toMatchFileSnapshot(snapshot("report-MISMATCH-deep-read"));
  });

  it("falls back to the primary's Last-Modified and the record's region when the report lacks them", () => {
    // Prepare
    const { eventTime: _eventTime, ...report } = reportFor("REPLICATION_FAILED");
    const withoutRegions = {
      ...report,
      object: { bucket: PRIMARY_BUCKET, key: "reports/q3.pdf" },
      primary: { ...report.primary, region: undefined },
    };

    // Act
    const { body } = alertFor(JSON.stringify(withoutRegions));

    // Assess
    expect(body).toContain("Uploaded:    2024-03-04T10:15:30.000Z (primary's Last-Modified)");
    expect(body).toContain(
      "Primary object:\n    https://us-east-1.console.aws.amazon.com/s3/object/backup-validator-prod-documents-primary?region=us-east-1&bucketType=general&prefix=reports%2Fq3.pdf\n",
    );
    expect(body).toContain("Version:         none given (unversioned, or not in the event)");
    expect(body).toContain(
      "npm run verify -- s3://backup-validator-prod-documents-primary/reports/q3.pdf --stage prod",
    );
  });
});

describe("raw messages redriven by hand", () => {
  it("an EventBridge Object Created event: the object has not been checked", async () => {
    // Act
    const alert = alertFor(fixtureText("eventbridge-object-created-multipart.json"));

    // Assess
    expect(alert.subject).toBe(
      "[backup-validator prod] REDRIVEN_EVENT backup-validator-dev-media-primary: videos/202...nch day.mp4",
    );
    expect(alert.attributes).toEqual({
      verdict: "REDRIVEN_EVENT",
      severity: "high",
      stage: STAGE,
      bucket: "backup-validator-dev-media-primary",
      alertType: "single",
    });
    expect(alert.body).toContain(
      "npm run verify -- 's3://backup-validator-dev-media-primary/videos/2024/launch day.mp4' --version-id 3HL4kqtJvjVBH40Nrjfkd --stage prod",
    );
    expect(alert.body).toContain("npm run redrive -- --stage prod --queue validation --to source");
    expect(alert.body).toContain("Size:      62,914,560 bytes (60.0 MiB)");
    await expect(asEmail(alert)).toMatchFileSnapshot(snapshot("redriven-eventbridge"));
  });

  it("a classic S3 notification: the URL-encoded key is decoded, the encoded form is shown too", async () => {
    // Act
    const alert = alertFor(fixtureText("s3-notification-put.json"));

    // Assess
    expect(alert.subject).toBe(
      "[backup-validator prod] REDRIVEN_EVENT backup-validator...documents-primary: reports/red flower.jpg",
    );
    expect(alert.body).toContain(
      "URI:           s3://backup-validator-dev-documents-primary/reports/red flower.jpg",
    );
    expect(alert.body).toContain("Key in event:  reports/red+flower.jpg");
    await expect(asEmail(alert)).toMatchFileSnapshot(snapshot("redriven-s3-notification"));
  });

  it("a notification with several records names every object", () => {
    // Prepare
    const event = JSON.parse(fixtureText("s3-notification-put.json"));
    const second = structuredClone(event.Records[0]);
    second.s3.object.key = "reports/second.jpg";
    event.Records.push(second, { eventSource: "aws:sqs" });

    // Act
    const alert = alertFor(JSON.stringify(event));

    // Assess
    expect(alert.subject).toMatch(/: reports\/red flower\.jpg \+1 more$/);
    expect(alert.body).toContain("OBJECTS (2)");
    expect(alert.body).toContain(
      "      npm run verify -- s3://backup-validator-dev-documents-primary/reports/second.jpg --version-id 096fKKXTRTtl3on89fVO.nfljtsv6qko --stage prod\n",
    );
    expect(alert.body).toContain("s3://backup-validator-dev-documents-primary/reports/second.jpg");
    expect(alert.body).toContain(
      "RECORDS THAT COULD NOT BE READ\n  - Records[2] is not an S3 record",
    );
  });

  it("our own pending-check message is treated like the event it carries", () => {
    // Prepare
    const body = JSON.stringify({
      type: "backup-validator.pending-check",
      version: 1,
      attempt: 4,
      firstCheckedAt: "2024-03-04T10:15:31Z",
      object: { bucket: PRIMARY_BUCKET, key: "reports/q3.pdf", versionId: "v1" },
      originalEvent: {},
    });

    // Act
    const alert = alertFor(body);

    // Assess
    expect(alert.attributes.verdict).toBe("REDRIVEN_EVENT");
    expect(alert.body).toContain(
      `npm run verify -- s3://${PRIMARY_BUCKET}/reports/q3.pdf --version-id v1 --stage prod`,
    );
  });
});

describe("anything else still alerts, showing the body", () => {
  const cases: [name: string, body: string, subject: string, reason: string][] = [
    [
      "not-json",
      "hello\nworld \u0007",
      "[backup-validator prod] UNRECOGNISED_MESSAGE: not JSON",
      "neither a failure report nor an S3 event: the body is not JSON",
    ],
    [
      "unknown-json",
      JSON.stringify({ order: 42, status: "shipped" }),
      "[backup-validator prod] UNRECOGNISED_MESSAGE: unknown shape",
      "neither a failure report nor an S3 event: not an S3 event (no EventBridge detail-type, no Records)",
    ],
    [
      "json-array",
      "[1,2,3]",
      "[backup-validator prod] UNRECOGNISED_MESSAGE: unknown shape",
      "neither a failure report nor an S3 event: the body is not a JSON object",
    ],
    [
      "s3-test-event",
      fixtureText("s3-test-event.json"),
      "[backup-validator prod] UNRECOGNISED_MESSAGE: nothing to validate",
      "an S3 or EventBridge message with nothing to validate: s3:TestEvent (sent when a notification is configured)",
    ],
    [
      "empty",
      "   ",
      "[backup-validator prod] UNRECOGNISED_MESSAGE: empty body",
      "the message body is empty",
    ],
    [
      "future-report",
      JSON.stringify({ ...reportFor("MISMATCH"), schemaVersion: 2 }),
      "[backup-validator prod] UNRECOGNISED_MESSAGE: unreadable failure report",
      "a backup-validator.failure-report message this notifier cannot read (schemaVersion 2 is not 1): it is corrupted or comes from a newer validator",
    ],
  ];

  it.each(cases)("%s", async (name, body, subject, reason) => {
    // Act
    const alert = alertFor(body);

    // Assess
    expect(alert.subject).toBe(subject);
    expect(alert.attributes).toEqual({
      verdict: "UNRECOGNISED_MESSAGE",
      severity: "warning",
      stage: STAGE,
      alertType: "single",
    });
    expect(words(alert.body)).toContain(reason);
    expect(alert.body).toContain("MESSAGE BODY (as received)");
    await expect(asEmail(alert)).toMatchFileSnapshot(snapshot(`unrecognised-${name}`));
  });

  it("shows a non-JSON body with its control characters escaped, line breaks kept", () => {
    const { body } = alertFor("hello\nworld \u0007");
    expect(body).toContain("MESSAGE BODY (as received)\nhello\nworld \\u0007\n");
  });
});

describe("digests", () => {
  it("several same-kind reports in one batch become one email listing each", async () => {
    // Prepare
    const bodies = ["a/1.pdf", "a/2.pdf", "a/3.pdf"].map((key) =>
      JSON.stringify(reportFor("MISMATCH", key)),
    );

    // Act
    const planned = planAlerts(records(bodies), { stage: STAGE });

    // Assess
    expect(planned).toHaveLength(1);
    const [digest] = planned;
    expect(digest?.messageIds).toEqual(["msg-01", "msg-02", "msg-03"]);
    expect(digest?.alert.subject).toBe(
      "[backup-validator prod] 3x MISMATCH documents: a/1.pdf +2 more",
    );
    expect(digest?.alert.attributes).toEqual({
      verdict: "MISMATCH",
      severity: "critical",
      stage: STAGE,
      bucket: PRIMARY_BUCKET,
      category: "documents",
      alertType: "digest",
    });
    for (const key of ["a/1.pdf", "a/2.pdf", "a/3.pdf"]) {
      expect(digest?.alert.body).toContain(
        `     npm run verify -- s3://${PRIMARY_BUCKET}/${key} --version-id 3HL4kqtJvjVBH40Nrjfkd.Wq5v1LZg0b --stage prod\n`,
      );
    }
    expect(digest?.alert.body).toContain(`======== 3 of 3: s3://${PRIMARY_BUCKET}/a/3.pdf`);
    await expect(asEmail(digest?.alert as Alert)).toMatchFileSnapshot(snapshot("digest-MISMATCH"));
  });
});
