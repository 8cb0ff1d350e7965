// `npm run bench`; see `npm run bench -- --help`. The modes live in scripts/bench/.
import { benchMain } from "./bench/main.ts";

try {
  process.exitCode = await benchMain(process.argv.slice(2), { stdout: process.stdout });
} catch (error) {
  process.stderr.write(`bench failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 2;
}
