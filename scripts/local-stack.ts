// `npm start`; see `npm start -- --help`. The logic lives in scripts/local/ so that tests run it
// in-process.
import { localStackMain } from "./local/main.ts";

let code: number;
try {
  code = await localStackMain(process.argv.slice(2), {
    stdout: process.stdout,
    // Ctrl-C, or a signal to the npm process (npm passes SIGINT and SIGTERM on to this one):
    // stop everything, so the port is free when the command returns.
    untilStopped: () =>
      new Promise((resolve) => {
        process.once("SIGINT", () => resolve());
        process.once("SIGTERM", () => resolve());
      }),
  });
} catch (error) {
  process.stderr.write(
    `npm start failed: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  code = 2;
}
// The handlers' SDK clients keep sockets open; the run is over, so end the process now.
process.exit(code);
