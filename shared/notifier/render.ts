import { decodeEventKey } from "../events/keys.ts";
import type { ObjectRef } from "../events/parse-message.ts";
import type { Evidence } from "../integrity/compare.ts";
import {
  boundedText,
  type FailureReport,
  type ObjectSide,
  type ReportedVerdict,
  type Severity,
  severityOf,
} from "../reports/failure-report.ts";
import { CHECKSUM_ALGORITHMS } from "../s3/object-state.ts";
import { formatDuration } from "../validator/validate-object.ts";
import { dlqInspectCommand, redriveCommand, verifyCommand } from "./commands.ts";
import type { Delivery, Incident } from "./incident.ts";
import { queueName, s3ObjectConsoleUrl, sqsQueueConsoleUrl } from "./links.ts";
import { displayMultiline, displayText, formatSize, SERVICE_NAME, section, table } from "./text.ts";

/** Verdicts of alerts that do not come from a failure report. */
export const REDRIVEN_EVENT = "REDRIVEN_EVENT";
export const UNRECOGNISED_MESSAGE = "UNRECOGNISED_MESSAGE";
export type AlertVerdict = ReportedVerdict | typeof REDRIVEN_EVENT | typeof UNRECOGNISED_MESSAGE;

/** What the renderer knows about one incident, whatever its input kind. */
export interface IncidentView {
  readonly verdict: AlertVerdict;
  readonly severity: Severity;
  /** Primary bucket, when the incident is about an object. */
  readonly bucket?: string;
  readonly category?: string;
  /** Subject parts: category or bucket, then the key (or a few words). */
  readonly label?: string;
  readonly item?: string;
  /** `+2 more` when one event names several objects. */
  readonly itemSuffix?: string;
  /** One plain sentence about this incident. */
  readonly summary: string;
  /** The object(s) to re-check, for the verify command. */
  readonly objects: readonly ObjectToCheck[];
  /** Where the failure-queue message came from. */
  readonly delivery: Delivery;
  /** Everything about this incident; embedded payloads are cut to the given size. */
  readonly details: (payloadLimitBytes: number) => DetailSections;
}

export interface DetailSections {
  /** OBJECT, PRIMARY VS REPLICA, EVIDENCE, TIMELINE: what a reader needs before acting. */
  readonly facts: readonly string[];
  /** Console links, one per line. */
  readonly links: readonly string[];
  /** REFERENCE and the embedded payload: for digging deeper. */
  readonly appendix: readonly string[];
}

export interface ObjectToCheck {
  readonly bucket: string;
  readonly key: string;
  readonly versionId?: string;
  readonly size?: number;
}

export function viewOf(incident: Incident): IncidentView {
  if (incident.kind === "report") return reportView(incident.report, incident.delivery);
  if (incident.kind === "event") return eventView(incident);
  return unrecognisedView(incident);
}

// ---------------------------------------------------------------------------------------------
// Verdicts in plain words, and what to do about each.

const S3_BATCH_REPLICATION =
  "https://docs.aws.amazon.com/AmazonS3/latest/userguide/s3-batch-replication-batch.html";
const REPLICATION_TROUBLESHOOTING =
  "https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-troubleshoot.html";

const WHAT_HAPPENED: Record<AlertVerdict, string> = {
  MISMATCH:
    "The replica is NOT identical to its original: the size, or a checksum or ETag of the same kind on both sides, differs. Until this is fixed the backup of this version cannot be trusted.",
  REPLICA_MISSING:
    "S3 says this version was replicated (replication status COMPLETED), but the replica does not exist in the replica bucket: it was deleted or expired there. There is no backup of this version.",
  REPLICATION_FAILED:
    "S3 could not replicate this version (replication status FAILED). S3 does not retry failed replications by itself: there is no backup of this version until someone acts.",
  REPLICATION_OVERDUE:
    "The replica has not arrived within the replication deadline. Replication is slow or stuck; this version has no verified backup yet.",
  UNVERIFIABLE:
    "Both copies exist and have the same size, but they share no checksum or ETag that can be compared, so equality could not be proven. This is NOT evidence of corruption; it is a gap in the evidence.",
  UNMAPPED_BUCKET:
    "An upload event arrived for a bucket that is not in the validator's BUCKET_PAIRS, so nothing was checked: the validator does not know which bucket holds its replica.",
  MALFORMED_EVENT:
    "A message on the validation queue was not an S3 event the validator understands, so nothing was checked. Its body is shown at the end.",
  REDRIVEN_EVENT:
    "An S3 upload event reached the notifier without being validated: it was moved from the validation dead-letter queue to the failure queue by hand (npm run redrive -- --to failure), usually after the validator failed on it 3 times (throttling, access denied, a bug). The object has NOT been checked.",
  UNRECOGNISED_MESSAGE:
    "A message on the failure queue is neither a failure report nor an S3 event, so the notifier cannot tell which object it concerns. It is shown at the end as received (truncated if large). Nothing has been validated.",
};

const VERIFY_PLACEHOLDER = "<the verify command listed under each object above>";

/** Numbered steps; `verify` holds the exact commands, or is undefined in a digest (listed per object). */
function nextSteps(
  verdict: AlertVerdict,
  stage: string,
  verify: readonly string[] | undefined,
): string[] {
  // Step lines get a two-space margin; continuation lines of a step carry it themselves.
  const check = (verify ?? [VERIFY_PLACEHOLDER]).join("\n      ");
  const genericVerify = `npm run verify -- s3://<primary-bucket>/<key> --stage ${stage}`;
  const waiting = [
    "See what else is waiting: events the validator could not process, and reports whose alert could not be sent:",
    `    ${dlqInspectCommand(stage, "validation")}`,
    `    ${dlqInspectCommand(stage, "failure")}`,
  ];
  const steps: Record<AlertVerdict, string[][]> = {
    MISMATCH: [
      ["Re-check now (read-only; exit code 0 only if the replica matches):", `    ${check}`],
      [
        "If it still differs, compare both sides in the console (links below) and find what wrote to the replica bucket (CloudTrail data events): only replication should write there.",
      ],
      [
        `Replace the bad replica by replicating this version again with S3 Batch Replication (${S3_BATCH_REPLICATION}), then re-check.`,
      ],
      waiting,
    ],
    REPLICA_MISSING: [
      ["Re-check now:", `    ${check}`],
      [
        "Find what removed the replica: the replica bucket's lifecycle rules, and CloudTrail (DeleteObject on the replica bucket).",
      ],
      [`Replicate it again with S3 Batch Replication (${S3_BATCH_REPLICATION}), then re-check.`],
      waiting,
    ],
    REPLICATION_FAILED: [
      [
        `Fix the cause first, usually permissions: the replication role needs s3:GetObjectVersionForReplication on the source and s3:ReplicateObject on the replica bucket; with SSE-KMS both key policies must allow it (${REPLICATION_TROUBLESHOOTING}).`,
      ],
      [
        `Replicate the failed version again with S3 Batch Replication, which can select objects whose replication status is FAILED (${S3_BATCH_REPLICATION}).`,
      ],
      ["Then re-check:", `    ${check}`],
      waiting,
    ],
    REPLICATION_OVERDUE: [
      [
        "Look at the pair's replication metrics in CloudWatch (namespace AWS/S3: ReplicationLatency, OperationsPendingReplication, OperationsFailedReplication) and at the AWS Health Dashboard for both regions.",
      ],
      ["Re-check; once the replica has arrived this says MATCH:", `    ${check}`],
      ["If the source's replication status turns FAILED, treat it as REPLICATION_FAILED."],
      waiting,
    ],
    UNVERIFIABLE: [
      ["Re-check now:", `    ${check}`],
      [
        "To prove this version equal now, download both copies and compare their SHA-256 hashes (sha256sum).",
      ],
      [
        "To make future uploads verifiable, upload with an additional checksum (e.g. aws s3 cp FILE s3://BUCKET/KEY --checksum-algorithm SHA256); replication keeps it.",
      ],
      waiting,
    ],
    UNMAPPED_BUCKET: [
      [
        "If this bucket should be validated, add it and its replica to the stack's bucket pairs and deploy:",
        `    npm run deploy -- --stage ${stage}`,
      ],
      [
        "Otherwise stop its events from reaching the validation queue (the EventBridge rule's bucket list).",
      ],
      ["Once it is mapped, check the object:", `    ${check}`],
      waiting,
    ],
    MALFORMED_EVENT: [
      [
        "Read the body at the end: if it is a real S3 event in a shape the validator does not know, keep it for a bug report; otherwise find who sends such messages to the validation queue.",
      ],
      ["If it names an object, check that object:", `    ${genericVerify}`],
      waiting,
    ],
    REDRIVEN_EVENT: [
      ["Check the object now:", `    ${check}`],
      [
        "Find why the validator failed on it: the checksum-validator function's logs (search for the key).",
      ],
      [
        "Other events may still wait in the validation DLQ; after fixing the cause, send them back for validation:",
        `    ${dlqInspectCommand(stage, "validation")}`,
        `    ${redriveCommand(stage, "validation", "source")}`,
      ],
    ],
    UNRECOGNISED_MESSAGE: [
      [
        "Read the body at the end and find who sends such messages to the failure queue (or which redrive moved them there).",
      ],
      ["If it names an object, check that object:", `    ${genericVerify}`],
      waiting,
    ],
  };
  return steps[verdict].flatMap((lines, index) =>
    lines.map((line, lineIndex) => (lineIndex === 0 ? `  ${index + 1}. ${line}` : `  ${line}`)),
  );
}

// ---------------------------------------------------------------------------------------------
// Whole alert bodies.

export interface RenderContext {
  readonly stage: string;
}

/** Embedded payloads (original event, raw body) in a one-report alert. */
export const SINGLE_PAYLOAD_LIMIT_BYTES = 64 * 1024;

export function renderSingleBody(view: IncidentView, context: RenderContext): string {
  const verify = view.objects.map((object) => verifyCommand(context.stage, object));
  const details = view.details(SINGLE_PAYLOAD_LIMIT_BYTES);
  return [
    header(view.verdict, view.severity, context.stage),
    section("WHAT HAPPENED", [
      WHAT_HAPPENED[view.verdict],
      "",
      `Finding: ${displayText(view.summary)}`,
    ]),
    ...details.facts,
    section("WHAT TO DO NEXT", nextSteps(view.verdict, context.stage, verify)),
    ...linksSection(details.links),
    ...details.appendix,
  ]
    .join("\n\n")
    .concat("\n");
}

export interface DigestParts {
  readonly header: string;
  readonly index: string;
  readonly details: readonly ((payloadLimitBytes: number) => string)[];
}

/** A digest: summary index of every incident first, then each one in full as space allows. */
export function renderDigestParts(
  views: readonly IncidentView[],
  context: RenderContext,
  part: { readonly number: number; readonly of: number },
): DigestParts {
  const [first] = views;
  const verdict = first?.verdict ?? UNRECOGNISED_MESSAGE;
  const severity = first?.severity ?? "warning";
  const partNote = part.of > 1 ? ` This is part ${part.number} of ${part.of}.` : "";
  const queues = uniqueQueueLinks(views.map((view) => view.delivery));
  const headerText = [
    header(verdict, severity, context.stage, views.length),
    `This one email covers ${views.length} ${verdict} alerts that arrived together${first?.label ? ` for ${displayText(first.label)}` : ""}, so that a storm of failures does not become a storm of emails.${partNote} Each is listed below, then described in full.`,
    section("WHAT HAPPENED", [WHAT_HAPPENED[verdict]]),
  ].join("\n\n");
  const index = [
    section(
      `ALERTS (${views.length})`,
      views.map((view, position) => renderIndexEntry(view, position + 1, context.stage)),
    ),
    section("WHAT TO DO NEXT", nextSteps(verdict, context.stage, undefined)),
    ...(queues.length > 0 ? [section("QUEUES", queues)] : []),
  ].join("\n\n");
  const details = views.map((view, position) => (limit: number) => {
    const details = view.details(limit);
    return [
      `======== ${position + 1} of ${views.length}: ${view.objects[0] ? objectUri(view.objects[0]) : displayText(view.summary)}`,
      ...details.facts,
      ...linksSection(details.links),
      ...details.appendix,
    ].join("\n\n");
  });
  return { header: headerText, index, details };
}

function header(verdict: AlertVerdict, severity: Severity, stage: string, count?: number): string {
  const what = count === undefined ? verdict : `${count} x ${verdict}`;
  return `${what} (severity: ${severity}) - ${SERVICE_NAME}, stage ${stage}`;
}

/** One alert's lines in a digest's list: summary, object(s), the verify command. */
export function renderIndexEntry(view: IncidentView, position: number, stage: string): string {
  const objects = view.objects.map((object) => {
    const version = object.versionId ? `, version ${displayText(object.versionId)}` : "";
    const size = object.size === undefined ? "" : `, ${formatSize(object.size)}`;
    return `${objectUri(object)}${version}${size}`;
  });
  const [headline = displayText(view.summary), ...otherObjects] = objects;
  return [
    `  ${position}. ${headline}`,
    ...otherObjects.map((line) => `     ${line}`),
    ...(objects.length > 0 ? [`     ${displayText(view.summary)}`] : []),
    ...view.objects.map((object) => `     ${verifyCommand(stage, object)}`),
  ].join("\n");
}

function objectUri(object: { readonly bucket: string; readonly key: string }): string {
  return `s3://${displayText(`${object.bucket}/${object.key}`)}`;
}

function uniqueQueueLinks(deliveries: readonly Delivery[]): string[] {
  const arns = [...new Set(deliveries.map((delivery) => delivery.queueArn))];
  return arns.flatMap((arn) => {
    const url = sqsQueueConsoleUrl(arn);
    return url ? [`  ${queueName(arn)} (this alert's queue): ${url}`] : [];
  });
}

// ---------------------------------------------------------------------------------------------
// Failure reports.

function reportView(report: FailureReport, delivery: Delivery): IncidentView {
  const verdict = report.verdict;
  const object = report.object;
  const severity = isSeverity(report.severity) ? report.severity : severityOf(verdict);
  const primaryRegion =
    object?.primaryRegion ?? report.primary?.region ?? delivery.region ?? undefined;
  const replicaRegion = object?.replicaRegion ?? report.replica?.region;
  const size = report.primary?.size ?? report.replica?.size;
  const objects: ObjectToCheck[] = object
    ? [{ bucket: object.bucket, key: object.key, versionId: object.versionId, size }]
    : [];
  return {
    verdict,
    severity,
    bucket: object?.bucket,
    category: report.category,
    label: object ? (report.category ?? object.bucket) : undefined,
    item: object ? object.key : report.summary,
    summary: report.summary,
    objects,
    delivery,
    details: (payloadLimit) => {
      const sections: string[] = [];
      if (object) {
        const replicaBucket = object.replicaBucket ?? report.replica?.bucket;
        sections.push(
          section("OBJECT", [
            ...table([
              ["URI:", objectUri(object)],
              [
                "Version:",
                displayText(object.versionId ?? "none given (unversioned, or not in the event)"),
              ],
              ["Size:", formatSize(size)],
              ...(report.category ? [["Category:", report.category]] : []),
              ["Primary region:", primaryRegion ?? "unknown"],
              ...(replicaBucket
                ? [
                    ["Replica:", objectUri({ bucket: replicaBucket, key: object.key })],
                    ["Replica region:", replicaRegion ?? "unknown"],
                  ]
                : []),
            ]),
          ]),
        );
      }
      if (report.primary || report.replica) {
        sections.push(section("PRIMARY VS REPLICA", sideBySide(report)));
      }
      const evidence = evidenceLines(report);
      if (evidence.length > 0) sections.push(section("EVIDENCE", evidence));
      sections.push(section("TIMELINE", timeline(report, delivery)));
      const links = [
        ...(object && primaryRegion
          ? [
              `  Primary object: ${s3ObjectConsoleUrl(object.bucket, object.key, primaryRegion, object.versionId)}`,
            ]
          : []),
        ...(object && replicaRegion && (object.replicaBucket ?? report.replica?.bucket)
          ? [
              `  Replica object: ${s3ObjectConsoleUrl(object.replicaBucket ?? report.replica?.bucket ?? "", object.key, replicaRegion, report.replica?.versionId ?? object.versionId)}`,
            ]
          : []),
        ...queueLink("Failure queue (this alert's message)", delivery.queueArn),
        ...queueLink("Validation queue (the original event)", report.source?.eventSourceArn),
      ];
      const appendix = [section("REFERENCE", reference(report, delivery))];
      if (report.rawBody !== undefined) {
        appendix.push(
          section("RAW MESSAGE BODY", [
            boundedText(displayMultiline(report.rawBody), payloadLimit),
          ]),
        );
      }
      if (report.originalEvent !== undefined) {
        appendix.push(
          section("ORIGINAL EVENT", [
            boundedText(JSON.stringify(report.originalEvent, null, 2), payloadLimit),
          ]),
        );
      }
      return { facts: sections, links, appendix };
    },
  };
}

function isSeverity(value: unknown): value is Severity {
  return value === "critical" || value === "high" || value === "warning";
}

function queueLink(label: string, arn: string | undefined): string[] {
  const url = sqsQueueConsoleUrl(arn);
  return url ? [`  ${label}, ${queueName(arn)}: ${url}`] : [];
}

function sideBySide(report: FailureReport): string[] {
  const primary = report.primary;
  const replica = report.replica;
  const region = (side: ObjectSide | undefined) => (side?.region ? ` (${side.region})` : "");
  const value = (side: ObjectSide | undefined, read: (side: ObjectSide) => unknown): string => {
    if (!side?.present) return "-";
    const raw = read(side);
    return raw === undefined || raw === null || raw === "" ? "-" : displayText(String(raw));
  };
  const compared = report.evidence?.compared ?? [];
  const differs = (left: string, right: string) =>
    left !== "-" && right !== "-" && left !== right ? "<- differs" : "";
  const rows: string[][] = [
    ["", `PRIMARY${region(primary)}`, `REPLICA${region(replica)}`, ""],
    ["Bucket", primary?.bucket ?? "-", replica?.bucket ?? "-", ""],
    [
      "Present",
      presence(primary),
      presence(replica),
      primary?.present && replica && !replica.present ? "<- replica missing" : "",
    ],
    ["Version", value(primary, (s) => s.versionId), value(replica, (s) => s.versionId), ""],
  ];
  const sizeRow = ["Size", value(primary, (s) => s.size), value(replica, (s) => s.size)] as const;
  rows.push([...sizeRow, differs(sizeRow[1], sizeRow[2])]);
  const etags = [value(primary, (s) => s.etag), value(replica, (s) => s.etag)] as const;
  const etagCompared = compared.some((item) => item.kind === "etag");
  const etagNote = differs(...etags);
  rows.push([
    "ETag",
    ...etags,
    etagNote && !etagCompared ? `${etagNote} (not comparable, see EVIDENCE)` : etagNote,
  ]);
  for (const algorithm of CHECKSUM_ALGORITHMS) {
    const left = value(primary, (s) => s.checksums?.[algorithm]);
    const right = value(replica, (s) => s.checksums?.[algorithm]);
    if (left === "-" && right === "-") continue;
    rows.push([`Checksum ${algorithm}`, left, right, differs(left, right)]);
  }
  const informational: [string, (side: ObjectSide) => unknown][] = [
    ["Checksum type", (side) => side.checksumType],
    ["Replication status", (side) => side.replicationStatus],
    ["Encryption", (side) => side.serverSideEncryption],
    ["Last modified", (side) => side.lastModified],
  ];
  for (const [label, read] of informational) {
    rows.push([label, value(primary, read), value(replica, read), ""]);
  }
  return table(rows);
}

function presence(side: ObjectSide | undefined): string {
  if (!side) return "not checked";
  return side.present ? "yes" : "NO (not found)";
}

function describeEvidence(item: Evidence): string {
  const what =
    item.kind === "size"
      ? "size"
      : item.kind === "etag"
        ? "ETag (MD5)"
        : `${item.algorithm} checksum (${item.kind === "composite-checksum" ? "composite, per part" : "full object"})`;
  return `${what}: primary ${displayText(item.primary)}, replica ${displayText(item.replica)} -> ${item.agrees ? "agree" : "DIFFER"}`;
}

function evidenceLines(report: FailureReport): string[] {
  const evidence = report.evidence;
  if (!evidence) return [];
  const lines: string[] = [];
  if (evidence.basis) lines.push(`  Verdict based on: ${describeEvidence(evidence.basis)}`);
  if (evidence.compared.length > 0) {
    lines.push("  Compared:");
    for (const item of evidence.compared) lines.push(`    - ${describeEvidence(item)}`);
  }
  if (evidence.notComparable.length > 0) {
    lines.push("  Not comparable:");
    for (const reason of evidence.notComparable) lines.push(`    - ${displayText(reason)}`);
  }
  return lines;
}

function timeline(report: FailureReport, delivery: Delivery): string[] {
  const uploaded = report.eventTime
    ? `${report.eventTime} (S3 event time)`
    : report.primary?.lastModified
      ? `${report.primary.lastModified} (primary's Last-Modified)`
      : "unknown";
  return table([
    ["Uploaded:", uploaded],
    ...(report.firstCheckedAt ? [["First checked:", report.firstCheckedAt]] : []),
    ["Detected:", report.detectedAt],
    ["Checks run:", String(report.attempts)],
    ...(report.objectAgeSeconds === undefined
      ? []
      : [["Object age:", `${formatDuration(report.objectAgeSeconds)} when detected`]]),
    ...(delivery.sentAt ? [["Reported:", `${delivery.sentAt} (sent to the failure queue)`]] : []),
  ]);
}

function reference(report: FailureReport, delivery: Delivery): string[] {
  const source = report.source ?? {};
  return table([
    ["Report ID:", report.reportId],
    ["This alert:", deliveryText(delivery)],
    [
      "Validator input:",
      [
        source.messageId ? `SQS message ${source.messageId}` : "SQS message (id unknown)",
        queueName(source.eventSourceArn) ? `on ${queueName(source.eventSourceArn)}` : "",
        source.receiveCount ? `(received ${times(source.receiveCount)})` : "",
      ]
        .filter(Boolean)
        .join(" "),
    ],
    ...(source.eventId ? [["Event ID:", source.eventId]] : []),
  ]);
}

function times(count: number): string {
  return count === 1 ? "once" : `${count} times`;
}

function deliveryText(delivery: Delivery): string {
  return [
    `SQS message ${delivery.messageId}`,
    queueName(delivery.queueArn) ? `on ${queueName(delivery.queueArn)}` : "",
    delivery.receiveCount ? `(received ${times(delivery.receiveCount)})` : "",
  ]
    .filter(Boolean)
    .join(" ");
}

// ---------------------------------------------------------------------------------------------
// Raw events redriven by hand, and anything else.

function eventView(incident: Extract<Incident, { kind: "event" }>): IncidentView {
  const { delivery } = incident;
  const region = incident.eventRegion ?? delivery.region;
  const objects = incident.objects.map((ref) => ({ ...ref, key: keyToCheck(ref) }));
  const [first] = objects;
  const more = objects.length - 1;
  return {
    verdict: REDRIVEN_EVENT,
    severity: "high",
    bucket: first?.bucket,
    label: first?.bucket,
    item: first?.key,
    itemSuffix: more > 0 ? `+${more} more` : undefined,
    summary: `unvalidated upload event for ${objects.map((object) => `s3://${object.bucket}/${object.key}`).join(", ")}`,
    objects,
    delivery,
    details: (payloadLimit) => ({
      facts: [
        section(
          objects.length > 1 ? `OBJECTS (${objects.length})` : "OBJECT",
          objects.flatMap((object, index) => {
            const ref = incident.objects[index];
            return [
              ...(index > 0 ? [""] : []),
              ...table([
                ["URI:", objectUri(object)],
                ...(ref && ref.key !== object.key
                  ? [
                      [
                        "Key in event:",
                        `${displayText(ref.key)} (decoded above as S3 notifications URL-encode keys; if verify finds nothing, try this form)`,
                      ],
                    ]
                  : []),
                ["Version:", displayText(object.versionId ?? "none given")],
                ["Size:", formatSize(object.size)],
                ["ETag:", object.etag ?? "-"],
                ["Uploaded:", object.eventTime ?? "unknown"],
                ["Event:", object.reason ?? "-"],
                ...(region
                  ? [
                      [
                        "Console:",
                        s3ObjectConsoleUrl(object.bucket, object.key, region, object.versionId),
                      ],
                    ]
                  : []),
              ]),
            ];
          }),
        ),
        ...(incident.problems.length > 0
          ? [
              section(
                "RECORDS THAT COULD NOT BE READ",
                incident.problems.map((problem) => `  - ${displayText(problem)}`),
              ),
            ]
          : []),
      ],
      links: queueLink("Failure queue (this alert's message)", delivery.queueArn),
      appendix: [
        section(
          "REFERENCE",
          table([
            ["This alert:", deliveryText(delivery)],
            ...(incident.eventId ? [["Event ID:", incident.eventId]] : []),
            ...(delivery.sentAt ? [["Queued at:", delivery.sentAt]] : []),
          ]),
        ),
        section("MESSAGE BODY", [
          boundedText(displayMultiline(prettyJson(incident.body)), payloadLimit),
        ]),
      ],
    }),
  };
}

/** Events may carry URL-encoded keys (aws-facts: classic notifications do); show the real key. */
function keyToCheck(ref: ObjectRef): string {
  return decodeEventKey(ref.key) ?? ref.key;
}

function unrecognisedView(incident: Extract<Incident, { kind: "unrecognised" }>): IncidentView {
  const { delivery } = incident;
  return {
    verdict: UNRECOGNISED_MESSAGE,
    severity: "warning",
    item: incident.shortReason,
    summary: `message ${delivery.messageId}: ${incident.reason}`,
    objects: [],
    delivery,
    details: (payloadLimit) => ({
      facts: [section("WHY IT IS NOT UNDERSTOOD", [`  ${displayText(incident.reason)}`])],
      links: queueLink("Failure queue (this alert's message)", delivery.queueArn),
      appendix: [
        section(
          "REFERENCE",
          table([
            ["This alert:", deliveryText(delivery)],
            ["Body size:", formatSize(Buffer.byteLength(incident.body))],
            ...(delivery.sentAt ? [["Queued at:", delivery.sentAt]] : []),
          ]),
        ),
        section("MESSAGE BODY (as received)", [
          boundedText(displayMultiline(incident.body), payloadLimit),
        ]),
      ],
    }),
  };
}

function linksSection(links: readonly string[]): string[] {
  return links.length > 0 ? [section("LINKS", links)] : [];
}

/** Indented JSON reads better in an email; anything else is shown as is. */
function prettyJson(body: string): string {
  try {
    return JSON.stringify(JSON.parse(body), null, 2);
  } catch {
    return body;
  }
}
