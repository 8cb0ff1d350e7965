/** The summary `npm start` prints at the end of the scenario. */
import type { ScenarioResult } from "./run.ts";

export function renderSummary(result: ScenarioResult): string {
  const row = (label: string, value: string | number) => `  ${label.padEnd(30)}${value}`;
  const counts = (values: Readonly<Record<string, number>>) =>
    Object.entries(values)
      .map(([name, count]) => `${name} ${count}`)
      .join(", ");
  return [
    "",
    "Summary",
    row("objects uploaded", result.objects.length),
    row("verdicts", counts(result.verdictCounts)),
    row(
      "dead-lettered, then redriven",
      result.objects.filter((object) => object.deadLettered).length,
    ),
    row("alerts written", result.alertFiles.length),
    ...result.alertFiles.map((file) => `    ${file}`),
    row("messages left", counts(result.queueDepths)),
    ...(result.audit
      ? [
          row("audit, 2 replicas damaged", result.audit.line.replace(/^audit: /, "")),
          ...result.audit.reported.map((line) => `    ${line}`),
        ]
      : []),
    row("elapsed", `${(result.elapsedMs / 1000).toFixed(1)} s`),
    row(
      "result",
      result.ok ? "OK: every object reached its expected outcome; no message was lost" : "FAILED",
    ),
    ...result.problems.map((problem) => `    - ${problem}`),
  ].join("\n");
}
