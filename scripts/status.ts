// On-call command; see `npm run status -- --help`. The logic lives in scripts/oncall/ so that
// tests and the local stack run exactly this code in-process.
import { processIo } from "./oncall/cli.ts";
import { statusMain } from "./oncall/status-command.ts";

process.exitCode = await statusMain(process.argv.slice(2), processIo());
