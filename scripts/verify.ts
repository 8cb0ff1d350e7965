// On-call command; see `npm run verify -- --help`. The logic lives in scripts/oncall/ so that tests
// and the local stack run exactly this code in-process.
import { processIo } from "./oncall/cli.ts";
import { verifyMain } from "./oncall/verify-command.ts";

process.exitCode = await verifyMain(process.argv.slice(2), processIo());
