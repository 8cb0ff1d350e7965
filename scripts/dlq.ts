// On-call command; see `npm run dlq -- --help`. The logic lives in scripts/oncall/ so that tests
// and the local stack run exactly this code in-process.
import { processIo } from "./oncall/cli.ts";
import { dlqMain } from "./oncall/dlq-command.ts";

process.exitCode = await dlqMain(process.argv.slice(2), processIo());
