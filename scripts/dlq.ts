// On-call command; see `npm run dlq -- --help`. The logic lives in shared/oncall/ so that tests
// and the local stack run exactly this code in-process.
import { processIo } from "../shared/oncall/cli.ts";
import { dlqMain } from "../shared/oncall/dlq-command.ts";

process.exitCode = await dlqMain(process.argv.slice(2), processIo());
