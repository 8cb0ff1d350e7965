// `npm run soak`; see `npm run soak -- --help`. The logic lives in scripts/local/soak.ts.
import { soakMain } from "./local/soak.ts";

let code: number;
try {
  code = await soakMain(process.argv.slice(2), { stdout: process.stdout });
} catch (error) {
  process.stderr.write(`soak failed: ${error instanceof Error ? error.message : String(error)}\n`);
  code = 2;
}
// The functions' SDK clients keep sockets open; the run is over, so end the process now.
process.exit(code);
