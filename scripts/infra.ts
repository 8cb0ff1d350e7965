// npm run package | deploy | remove | lint:iac | guard; the logic lives in scripts/infra/.
import { infraMain } from "./infra/main.ts";

try {
  process.exitCode = await infraMain(process.argv.slice(2));
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
}
