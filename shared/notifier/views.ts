/**
 * What an alert knows about one incident, whatever the input was: a failure report, an upload
 * event redriven by hand, or an unrecognised message. Each view carries the facts of its kind
 * (OBJECT, PRIMARY VS REPLICA, EVIDENCE, TIMELINE, links and reference); shared/notifier/
 * compose.ts turns views into whole emails.
 */
import type { FailureReport } from "../contracts/failure-report.ts";
import { decodeEventKey } from "../events/keys.ts";
import type { ObjectRef } from "../events/parse-message.ts";
import type { ObjectIdentity } from "../objects.ts";
import { evidenceLines, sideBySideLines } from "../presentation/side-by-side.ts";
import {
  boundedText,
  displayMultiline,
  displayText,
  formatDuration,
  formatSize,
  section,
  table,
  wrapLine,
} from "../text.ts";
import { type AlertVerdict, isSeverity, type Severity, severityOf } from "../verdicts.ts";
import type { OverwrittenReplica } from "./guidance.ts";
import type { Delivery, Incident } from "./incident.ts";
import { queueName, s3ObjectConsoleUrl, sqsQueueConsoleUrl } from "./links.ts";

/** What the renderer knows about one incident, whatever its input kind. */
export interface IncidentView {
  readonly verdict: AlertVerdict;
  readonly severity: Severity;
  /** The failure report's id (stable per verdict and object version), for reports. */
  readonly reportId?: string;
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
  /** REPLICA_OVERWRITTEN: the replica and the version on top, for the exact repair commands. */
  readonly overwritten?: OverwrittenReplica;
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

export interface ObjectToCheck extends ObjectIdentity {
  readonly size?: number;
}

export function viewOf(incident: Incident): IncidentView {
  if (incident.kind === "report") return reportView(incident.report, incident.delivery);
  if (incident.kind === "event") return eventView(incident);
  return unrecognisedView(incident);
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
  const current = report.replicaCurrent;
  return {
    verdict,
    severity,
    reportId: typeof report.reportId === "string" ? report.reportId : undefined,
    ...(current && object
      ? {
          overwritten: {
            bucket: current.bucket,
            key: current.key,
            ...(replicaRegion ? { region: replicaRegion } : {}),
            ...(current.present && current.versionId
              ? { currentVersionId: current.versionId }
              : {}),
          },
        }
      : {}),
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
            ...fields([
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
        sections.push(
          section(
            "PRIMARY VS REPLICA",
            sideBySideLines(report.primary, report.replica, report.evidence?.compared ?? []),
          ),
        );
      }
      const evidence = report.evidence
        ? evidenceLines(report.evidence).flatMap((line) => wrapLine(line))
        : [];
      if (evidence.length > 0) sections.push(section("EVIDENCE", evidence));
      if (current) sections.push(section("REPLICA'S CURRENT VERSION", currentReplicaLines(report)));
      sections.push(section("TIMELINE", timeline(report, delivery)));
      const links = [
        ...(object && primaryRegion
          ? [
              `  Primary object:\n    ${s3ObjectConsoleUrl(object.bucket, object.key, primaryRegion, object.versionId)}`,
            ]
          : []),
        ...(object && replicaRegion && (object.replicaBucket ?? report.replica?.bucket)
          ? [
              `  Replica object:\n    ${s3ObjectConsoleUrl(object.replicaBucket ?? report.replica?.bucket ?? "", object.key, replicaRegion, report.replica?.versionId ?? object.versionId)}`,
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

/**
 * The replica bucket's current version, which is not the replicated one: side by side with the
 * primary, and how it compares with it.
 */
function currentReplicaLines(report: FailureReport): string[] {
  const current = report.replicaCurrent;
  if (!current) return [];
  if (!current.present) {
    return wrapLine(
      "  None: the key has no current object in the replica bucket (a delete marker is on top of the replicated version).",
    );
  }
  const compared = current.comparedWithPrimary;
  return [
    ...sideBySideLines(report.primary, current, compared?.compared ?? []),
    ...(compared ? ["", ...evidenceLines(compared).flatMap((line) => wrapLine(line))] : []),
  ];
}

function queueLink(label: string, arn: string | undefined): string[] {
  const url = sqsQueueConsoleUrl(arn);
  // The address on a line of its own: a URL is never wrapped, the label is short.
  return url ? [`  ${label}, ${queueName(arn)}:\n    ${url}`] : [];
}

function timeline(report: FailureReport, delivery: Delivery): string[] {
  const uploaded = report.eventTime
    ? `${report.eventTime} (S3 event time)`
    : report.primary?.lastModified
      ? `${report.primary.lastModified} (primary's Last-Modified)`
      : "unknown";
  return fields([
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
  const audit = report.detectedBy?.kind === "audit" ? report.detectedBy : undefined;
  return fields([
    ["Report ID:", report.reportId],
    ["This alert:", deliveryText(delivery)],
    ...(audit
      ? [
          [
            "Found by:",
            `audit run ${displayText(audit.runId)} (${displayText(audit.via)}${audit.startedAt ? `, started ${audit.startedAt}` : ""})`,
          ],
        ]
      : []),
    // An audit that checked the object itself had no validator input.
    ...(audit && !source.messageId
      ? []
      : [
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
        ]),
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
    verdict: "REDRIVEN_EVENT",
    severity: severityOf("REDRIVEN_EVENT"),
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
              ...fields([
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
                incident.problems.flatMap((problem) => wrapLine(`  - ${displayText(problem)}`)),
              ),
            ]
          : []),
      ],
      links: queueLink("Failure queue (this alert's message)", delivery.queueArn),
      appendix: referenceAndBody(
        delivery,
        incident.eventId ? [["Event ID:", incident.eventId]] : [],
        { title: "MESSAGE BODY", text: prettyJson(incident.body) },
        payloadLimit,
      ),
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
    verdict: "UNRECOGNISED_MESSAGE",
    severity: severityOf("UNRECOGNISED_MESSAGE"),
    item: incident.shortReason,
    summary: `message ${delivery.messageId}: ${incident.reason}`,
    objects: [],
    delivery,
    details: (payloadLimit) => ({
      facts: [section("WHY IT IS NOT UNDERSTOOD", wrapLine(`  ${displayText(incident.reason)}`))],
      links: queueLink("Failure queue (this alert's message)", delivery.queueArn),
      appendix: referenceAndBody(
        delivery,
        [["Body size:", formatSize(Buffer.byteLength(incident.body))]],
        { title: "MESSAGE BODY (as received)", text: incident.body },
        payloadLimit,
      ),
    }),
  };
}

/** Indented JSON reads better in an email; anything else is shown as is. */
function prettyJson(body: string): string {
  try {
    return JSON.stringify(JSON.parse(body), null, 2);
  } catch {
    return body;
  }
}
/** `s3://bucket/key`, safe to show. */
/** REFERENCE (this alert's message, `rows`, when it was queued), then the body, cut to the limit. */
function referenceAndBody(
  delivery: Delivery,
  rows: readonly (readonly string[])[],
  body: { readonly title: string; readonly text: string },
  payloadLimit: number,
): string[] {
  return [
    section(
      "REFERENCE",
      fields([
        ["This alert:", deliveryText(delivery)],
        ...rows,
        ...(delivery.sentAt ? [["Queued at:", delivery.sentAt]] : []),
      ]),
    ),
    section(body.title, [boundedText(displayMultiline(body.text), payloadLimit)]),
  ];
}

/** Label-value rows, indented as a section's body. */
function fields(rows: readonly (readonly string[])[]): string[] {
  return table(rows, { indent: "  " });
}

export function objectUri(object: { readonly bucket: string; readonly key: string }): string {
  return `s3://${displayText(`${object.bucket}/${object.key}`)}`;
}
