/**
 * Starting an audit: the inventories are found over HTTP on the in-process emulator; S3 Control
 * is mocked (aws-sdk-client-mock), since no emulator here has it, and the CreateJob request is
 * checked field by field against the API reference.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_control_CreateJob.html
 */
import { CreateJobCommand, S3ControlClient } from "@aws-sdk/client-s3-control";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { auditJobRequest, jobToken } from "../../../../shared/audit/batch/create-job.ts";
import { s3InventoryLister } from "../../../../shared/audit/batch/inventory.ts";
import {
  AuditNotStartedError,
  parseStartRequest,
  type StarterDependencies,
  s3ControlJobCreator,
  startAudit,
} from "../../../../shared/audit/batch/start-audit.ts";
import { type BucketPair, parseBucketPairs } from "../../../../shared/contracts/bucket-pairs.ts";
import { ConfigurationError } from "../../../../shared/errors.ts";
import { type Emulator, startEmulator } from "../../../helpers/emulator.ts";
import { putInventoryRun } from "../../../helpers/inventory.ts";

const INVENTORY = "bv-start-inventory";
const ACCOUNT = "111122223333";
const WORKER = `arn:aws:lambda:us-east-1:${ACCOUNT}:function:backup-validator-dev-audit-worker`;
const JOB_ROLE = `arn:aws:iam::${ACCOUNT}:role/backup-validator-dev-AuditJobRole-X1`;
const NOW = new Date("2026-11-29T06:00:07.250Z");
const pairs = parseBucketPairs(
  JSON.stringify({
    "bv-start-documents-primary": { replica: "bv-start-documents-replica", category: "documents" },
    "bv-start-media-primary": { replica: "bv-start-media-replica", category: "media" },
  }),
);
const [documents, media] = [...pairs.values()] as [BucketPair, BucketPair];

let emulator: Emulator;
const control = new S3ControlClient({ region: "us-east-1" });
const controlMock = mockClient(control);
const log = { debug: vi.fn(), info: vi.fn(), warn: vi.fn(), error: vi.fn() };

beforeAll(async () => {
  emulator = await startEmulator();
  await emulator.createBuckets(INVENTORY);
  await putInventoryRun(emulator.s3, {
    inventoryBucket: INVENTORY,
    sourceBucket: documents.primaryBucket,
    run: "2026-11-28T03-00Z",
  });
  await putInventoryRun(emulator.s3, {
    inventoryBucket: INVENTORY,
    sourceBucket: media.primaryBucket,
    run: "2026-11-29T03-00Z",
  });
});

afterAll(async () => {
  await emulator.stop();
});

beforeEach(() => {
  controlMock.reset();
  vi.clearAllMocks();
});

function dependencies(overrides: Partial<StarterDependencies> = {}): StarterDependencies {
  return {
    inventories: s3InventoryLister(emulator.s3),
    jobs: s3ControlJobCreator(control),
    job: {
      accountId: ACCOUNT,
      partition: "aws",
      inventoryBucket: INVENTORY,
      workerFunctionArn: WORKER,
      jobRoleArn: JOB_ROLE,
      priority: 10,
    },
    stage: "dev",
    bucketPairs: pairs,
    maxInventoryAgeHours: 72,
    log,
    now: () => NOW,
    ...overrides,
  };
}

describe("startAudit", () => {
  it("creates one LambdaInvoke job per pair over its newest inventory, as CreateJob documents it", async () => {
    // Prepare
    controlMock
      .on(CreateJobCommand)
      .resolvesOnce({ JobId: "job-documents" })
      .resolvesOnce({ JobId: "job-media" });

    // Act
    const start = await startAudit(dependencies(), { trigger: "schedule" });

    // Assess
    expect(start).toEqual({
      runId: "schedule-2026-11-29T06:00:07Z",
      pairs: [
        expect.objectContaining({
          category: "documents",
          outcome: "started",
          jobId: "job-documents",
          inventory: "2026-11-28T03-00Z",
        }),
        expect.objectContaining({
          category: "media",
          outcome: "started",
          jobId: "job-media",
          inventory: "2026-11-29T03-00Z",
        }),
      ],
    });
    expect(controlMock).toHaveReceivedCommandTimes(CreateJobCommand, 2);
    const [request] = controlMock.commandCalls(CreateJobCommand).map((call) => call.args[0].input);
    const manifestKey = `inventory/${documents.primaryBucket}/audit/2026-11-28T03-00Z/manifest.json`;
    expect(request).toEqual({
      AccountId: ACCOUNT,
      ConfirmationRequired: false,
      ClientRequestToken: expect.stringMatching(/^[0-9a-f]{64}$/),
      Priority: 10,
      RoleArn: JOB_ROLE,
      Description: `backup-validator dev audit schedule-2026-11-29T06:00:07Z: documents (${documents.primaryBucket}), inventory of 2026-11-28T03-00Z`,
      Manifest: {
        Spec: { Format: "S3InventoryReport_CSV_20161130" },
        Location: {
          ObjectArn: `arn:aws:s3:::${INVENTORY}/${manifestKey}`,
          ETag: expect.stringMatching(/^[0-9a-f]{32}$/),
        },
      },
      Operation: {
        LambdaInvoke: {
          FunctionArn: WORKER,
          InvocationSchemaVersion: "2.0",
          UserArguments: {
            stage: "dev",
            runId: "schedule-2026-11-29T06:00:07Z",
            startedAt: NOW.toISOString(),
          },
        },
      },
      Report: {
        Bucket: `arn:aws:s3:::${INVENTORY}`,
        Format: "Report_CSV_20180820",
        Enabled: true,
        Prefix: `reports/${documents.primaryBucket}`,
        ReportScope: "AllTasks",
      },
    });
    expect(log.info).toHaveBeenCalledWith(
      "audit started: job job-documents audits bv-start-documents-primary over the inventory of 2026-11-28T03-00Z",
      expect.objectContaining({ runId: "schedule-2026-11-29T06:00:07Z", trigger: "schedule" }),
    );
  });

  it("starts no second job for the same inventory: a retried start sends the same token", async () => {
    // Prepare: S3 answers a repeated token with the job it already created
    controlMock.on(CreateJobCommand).resolves({ JobId: "job-1" });

    // Act: the schedule's start, and Lambda's retry of it a minute later
    await startAudit(dependencies(), { trigger: "schedule" });
    await startAudit(dependencies({ now: () => new Date(NOW.getTime() + 60_000) }), {
      trigger: "schedule",
    });

    // Assess
    const tokens = controlMock
      .commandCalls(CreateJobCommand)
      .map((call) => call.args[0].input.ClientRequestToken);
    expect(tokens).toHaveLength(4);
    expect(tokens[2]).toBe(tokens[0]);
    expect(tokens[3]).toBe(tokens[1]);
    expect(tokens[0]).not.toBe(tokens[1]);
  });

  it("audits only the categories asked for", async () => {
    // Prepare
    controlMock.on(CreateJobCommand).resolves({ JobId: "job-media" });

    // Act
    const start = await startAudit(dependencies(), { categories: ["media"] });

    // Assess
    expect(start.runId).toBe("manual-2026-11-29T06:00:07Z");
    expect(start.pairs.map((pair) => pair.category)).toEqual(["media"]);
    expect(controlMock).toHaveReceivedCommandTimes(CreateJobCommand, 1);
  });

  it("logs a pair without an inventory yet as a warning, and starts the others", async () => {
    // Prepare
    controlMock.on(CreateJobCommand).resolves({ JobId: "job-1" });
    const fresh = parseBucketPairs(
      JSON.stringify({
        ...Object.fromEntries(
          [...pairs.values()].map((pair) => [
            pair.primaryBucket,
            { replica: pair.replicaBucket, category: pair.category },
          ]),
        ),
        "bv-start-new-primary": { replica: "bv-start-new-replica", category: "new" },
      }),
    );

    // Act
    const start = await startAudit(dependencies({ bucketPairs: fresh }), {});

    // Assess
    expect(start.pairs.map((pair) => pair.outcome)).toEqual(["started", "started", "no-inventory"]);
    expect(log.warn).toHaveBeenCalledWith(
      expect.stringContaining("audit no-inventory: no complete inventory of bv-start-new-primary"),
      expect.objectContaining({ category: "new" }),
    );
  });

  it("fails after trying every pair when an inventory is stale or CreateJob is refused", async () => {
    // Prepare: four days after the documents' inventory, three after the media's; the second
    // CreateJob call is refused
    controlMock.on(CreateJobCommand).rejects(
      Object.assign(new Error("Access Denied"), {
        name: "AccessDenied",
        $metadata: { httpStatusCode: 403 },
      }),
    );
    const later = () => new Date("2026-12-02T02:00:00Z");

    // Act
    const attempt = startAudit(dependencies({ now: later }), { trigger: "schedule" });

    // Assess
    const error = await attempt.catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AuditNotStartedError);
    const pairsTried = (error as AuditNotStartedError).start.pairs;
    expect(pairsTried.map((pair) => pair.outcome)).toEqual(["stale-inventory", "failed"]);
    expect(pairsTried[0]?.reason).toContain(
      "is 95.0 h old (2026-11-28T03-00Z), over the 72 h limit",
    );
    expect(pairsTried[1]?.reason).toBe("AccessDenied: Access Denied (HTTP 403)");
    expect((error as Error).message).toMatch(
      /^the audit schedule-2026-12-02T02:00:00Z did not start for documents \(.+\); media \(AccessDenied: Access Denied \(HTTP 403\)\)$/,
    );
    expect(log.error).toHaveBeenCalledTimes(2);
    expect(controlMock).toHaveReceivedCommandTimes(CreateJobCommand, 1);
  });

  it("fails a pair whose CreateJob answer has no job id", async () => {
    controlMock.on(CreateJobCommand).resolves({});
    await expect(startAudit(dependencies(), { categories: ["documents"] })).rejects.toThrow(
      "documents (Error: CreateJob answered without a JobId)",
    );
  });
});

describe("auditJobRequest", () => {
  const run = {
    manifestKey: `inventory/${documents.primaryBucket}/audit/2026-11-28T03-00Z/manifest.json`,
    manifestEtag: "6f1ed002ab5595859014ebf0951522d9",
    run: "2026-11-28T03-00Z",
    startedAt: new Date("2026-11-28T03:00:00Z"),
  };

  it("derives the token from the manifest's key and ETag only", () => {
    expect(jobToken(INVENTORY, run)).toBe(jobToken(INVENTORY, { ...run, startedAt: new Date() }));
    expect(jobToken(INVENTORY, run)).not.toBe(
      jobToken(INVENTORY, { ...run, manifestEtag: "0".repeat(32) }),
    );
    expect(jobToken(INVENTORY, run)).toHaveLength(64);
  });

  it("names ARNs in the worker's partition and keeps the description within 256 characters", () => {
    // Act
    const request = auditJobRequest(
      {
        accountId: ACCOUNT,
        partition: "aws-cn",
        inventoryBucket: INVENTORY,
        workerFunctionArn: WORKER.replace("arn:aws:", "arn:aws-cn:"),
        jobRoleArn: JOB_ROLE,
        priority: 0,
      },
      { ...documents, category: "c".repeat(300) },
      run,
      { stage: "dev", runId: "manual-2026-11-29T06:00:07Z", startedAt: NOW.toISOString() },
    );

    // Assess
    expect(request.Manifest?.Location?.ObjectArn).toBe(
      `arn:aws-cn:s3:::${INVENTORY}/${run.manifestKey}`,
    );
    expect(request.Report?.Bucket).toBe(`arn:aws-cn:s3:::${INVENTORY}`);
    expect(request.Priority).toBe(0);
    expect(Array.from(request.Description ?? "")).toHaveLength(256);
  });
});

describe("parseStartRequest", () => {
  it.each([
    [undefined, {}],
    [null, {}],
    [{}, {}],
    [{ trigger: "schedule" }, { trigger: "schedule" }],
    [{ categories: ["media"] }, { categories: ["media"] }],
  ])("reads %j", (event, expected) => {
    expect(parseStartRequest(event, pairs)).toEqual(expected);
  });

  it.each([
    ["a string", "documents"],
    ["an unknown category", { categories: ["ledgers"] }],
    ["an empty list", { categories: [] }],
    ["a category that is no string", { categories: [7] }],
    ["a trigger that is no string", { trigger: 1 }],
  ])("refuses %s, naming the stage's categories", (_case, event) => {
    expect(() => parseStartRequest(event, pairs)).toThrow(ConfigurationError);
  });

  it("says which categories there are", () => {
    expect(() => parseStartRequest({ categories: ["ledgers"] }, pairs)).toThrow(
      "event.categories: must be a non-empty list of this stage's categories (documents, media)",
    );
  });
});
