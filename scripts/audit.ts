// On-call command; see `npm run audit -- --help`. The logic lives in scripts/oncall/ so that tests
// and the local stack run exactly this code in-process.
import { auditMain } from "./oncall/audit-command.ts";
import { processIo } from "./oncall/cli.ts";

process.exitCode = await auditMain(process.argv.slice(2), processIo());
