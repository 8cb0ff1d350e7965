// On-call command; see `npm run verify -- --help`. The logic lives in shared/oncall/ so that tests
// and the local stack run exactly this code in-process.
import { processIo } from "../shared/oncall/cli.ts";
import { verifyMain } from "../shared/oncall/verify-command.ts";

process.exitCode = await verifyMain(process.argv.slice(2), processIo());
