/**
 * `backup-validator <command>`: the on-call commands behind one name (package.json `bin`), as
 * the npm scripts run them one by one (npm run dlq / redrive / verify / status / audit).
 */
import { readFileSync } from "node:fs";
import { auditMain } from "./audit-command.ts";
import { type CliIo, closest } from "./cli.ts";
import { dlqMain } from "./dlq-command.ts";
import { EXIT } from "./errors.ts";
import { redriveMain } from "./redrive-command.ts";
import { statusMain } from "./status-command.ts";
import { verifyMain } from "./verify-command.ts";

const COMMANDS: Record<
  string,
  { readonly run: (argv: readonly string[], io: CliIo) => Promise<number>; readonly what: string }
> = {
  status: { run: statusMain, what: "what needs attention now, and what the pipeline did lately" },
  dlq: { run: dlqMain, what: "list what sits in a dead-letter queue (dlq inspect)" },
  redrive: { run: redriveMain, what: "move dead-lettered messages back, or on to the notifier" },
  verify: { run: verifyMain, what: "check one object now, with the validator's own code" },
  audit: { run: auditMain, what: "prove every object already in a bucket pair (or a prefix)" },
};

export const VERSION: string = (
  JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
    version: string;
  }
).version;

export const MAIN_HELP = `Usage: backup-validator <command> [options]    (or: npm run <command> -- [options])

Commands:
${Object.entries(COMMANDS)
  .map(([name, command]) => `  ${name.padEnd(9)}${command.what}`)
  .join("\n")}

Every command takes --stage, --region, --profile, --endpoint-url and --help;
'backup-validator <command> --help' shows its own options.

  --version    Print the version.
`;

export async function backupValidatorMain(argv: readonly string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === "--version" || name === "-v") {
    io.stdout.write(`backup-validator ${VERSION}\n`);
    return EXIT.ok;
  }
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    io.stdout.write(MAIN_HELP);
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  const command = COMMANDS[name];
  if (command) return command.run(rest, io);
  const suggestion = closest(name, Object.keys(COMMANDS));
  io.stderr.write(
    `error: unknown command "${name}"${suggestion ? ` (did you mean ${suggestion}?)` : ""}\nRun 'backup-validator --help' for the commands.\n`,
  );
  return EXIT.usage;
}
