// On-call command; see `npm run redrive -- --help`. The logic lives in scripts/oncall/ so that tests
// and the local stack run exactly this code in-process.
import { processIo } from "./oncall/cli.ts";
import { redriveMain } from "./oncall/redrive-command.ts";

process.exitCode = await redriveMain(process.argv.slice(2), processIo());
