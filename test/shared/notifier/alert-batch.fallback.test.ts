/**
 * The last line of defence: whatever goes wrong while rendering an alert, the message still
 * reaches a person as raw text, and the failure is logged. The views are made to fail here on
 * purpose, since a report that passes the schema check renders.
 */
import { expect, it, vi } from "vitest";
import { planAlerts } from "../../../shared/notifier/alert-batch.ts";
import type { Incident } from "../../../shared/notifier/incident.ts";
import type { Log } from "../../../shared/observability.ts";
import { failureQueueRecord, reportFor, STAGE } from "../../helpers/reports.ts";

vi.mock("../../../shared/notifier/views.ts", async (importOriginal) => {
  const actual = await importOriginal<typeof import("../../../shared/notifier/views.ts")>();
  return {
    ...actual,
    viewOf: (incident: Incident) => {
      if (incident.kind === "report") throw new TypeError("a view that cannot be built");
      return actual.viewOf(incident);
    },
  };
});

it("sends the raw message, and logs why, when a report cannot be rendered", () => {
  // Prepare
  const log: Log = { debug: vi.fn(), info: vi.fn(), warn: vi.fn(), error: vi.fn() };
  const body = JSON.stringify(reportFor("MISMATCH"));

  // Act
  const planned = planAlerts([failureQueueRecord(body)], { stage: STAGE }, log);

  // Assess
  expect(planned).toHaveLength(1);
  const alert = planned[0]?.alert;
  expect(alert?.subject).toBe("[backup-validator prod] UNRECOGNISED_MESSAGE: could not render");
  expect(alert?.body).toContain(
    "the notifier could not render it (TypeError: a view that cannot be built)",
  );
  expect(alert?.body).toContain('"verdict":"MISMATCH"');
  expect(log.error).toHaveBeenCalledOnce();
});
