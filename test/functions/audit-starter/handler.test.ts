/**
 * The audit-starter handler as Lambda runs it: configuration read at cold start (built with the
 * contract's own builder), the inventories listed over HTTP on the in-process emulator, S3
 * Control mocked (no emulator here has it).
 */
import { CreateJobCommand, S3ControlClient } from "@aws-sdk/client-s3-control";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { formatBucketPairs } from "../../../shared/contracts/bucket-pairs.ts";
import { auditStarterEnvironment } from "../../../shared/contracts/environment.ts";
import { type Emulator, startEmulator } from "../../helpers/emulator.ts";
import { putInventoryRun } from "../../helpers/inventory.ts";
import { lambdaContext } from "../../helpers/lambda-context.ts";

const INVENTORY = "bv-starter-inventory";
const PRIMARY = "bv-starter-documents-primary";
const WORKER = "arn:aws:lambda:us-east-1:111122223333:function:backup-validator-test-audit-worker";
const controlMock = mockClient(S3ControlClient);
let emulator: Emulator;
let handler: (event: unknown, context: ReturnType<typeof lambdaContext>) => Promise<unknown>;

beforeAll(async () => {
  emulator = await startEmulator();
  await emulator.createBuckets(INVENTORY);
  const run = new Date(Date.now() - 3 * 3600_000).toISOString();
  await putInventoryRun(emulator.s3, {
    inventoryBucket: INVENTORY,
    sourceBucket: PRIMARY,
    run: `${run.slice(0, 13)}-${run.slice(14, 16)}Z`,
  });
  vi.resetModules();
  const environment = {
    ...emulator.environment(),
    POWERTOOLS_LOG_LEVEL: "SILENT",
    ...auditStarterEnvironment({
      stage: "test",
      bucketPairs: formatBucketPairs([
        {
          primaryBucket: PRIMARY,
          replicaBucket: "bv-starter-documents-replica",
          category: "documents",
        },
      ]),
      inventoryBucket: INVENTORY,
      workerFunctionArn: WORKER,
      jobRoleArn: "arn:aws:iam::111122223333:role/backup-validator-test-AuditJobRole-X1",
    }),
  };
  for (const [name, value] of Object.entries(environment)) vi.stubEnv(name, value);
  handler = (await import("../../../functions/audit-starter/handler.ts")).handler;
});

afterAll(async () => {
  vi.unstubAllEnvs();
  await emulator.stop();
});

describe("audit-starter handler", () => {
  it("starts a job over the newest inventory when the schedule invokes it, and says so", async () => {
    // Prepare
    controlMock.reset();
    controlMock.on(CreateJobCommand).resolves({ JobId: "5f0e9d3a-job" });

    // Act
    const answer = await handler({ trigger: "schedule" }, lambdaContext("audit-starter"));

    // Assess
    expect(answer).toEqual({
      runId: expect.stringMatching(/^schedule-\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/),
      pairs: [
        expect.objectContaining({
          category: "documents",
          outcome: "started",
          jobId: "5f0e9d3a-job",
        }),
      ],
    });
    expect(controlMock).toHaveReceivedCommandWith(CreateJobCommand, {
      AccountId: "111122223333",
      Operation: {
        LambdaInvoke: expect.objectContaining({
          FunctionArn: WORKER,
          InvocationSchemaVersion: "2.0",
        }),
      },
    });
  });

  it("refuses an event it does not understand, naming the categories", async () => {
    controlMock.reset();
    await expect(
      handler({ categories: ["ledgers"] }, lambdaContext("audit-starter")),
    ).rejects.toThrow(
      "event.categories: must be a non-empty list of this stage's categories (documents)",
    );
    expect(controlMock).toHaveReceivedCommandTimes(CreateJobCommand, 0);
  });
});
