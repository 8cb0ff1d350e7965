#!/usr/bin/env node
// `backup-validator <command>` (package.json bin; `npx backup-validator status --stage prod`).
// Needs Node 24 (it runs TypeScript as is): npx puts the project's own node first on PATH.
import { processIo } from "./oncall/cli.ts";
import { backupValidatorMain } from "./oncall/main.ts";

process.exitCode = await backupValidatorMain(process.argv.slice(2), processIo());
