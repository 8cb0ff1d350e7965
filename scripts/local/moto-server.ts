/**
 * moto_server (python moto) as a child process: a second, independent S3 emulator for the tests
 * and the benchmark, with what the in-process emulator lacks (versioned buckets and version IDs,
 * SSE-KMS, HeadObject with PartNumber, every checksum algorithm). It serves every region on one
 * endpoint (moto reads the region from each request's SigV4 scope) and keeps large objects in
 * temporary files, so a 1 GiB object does not sit in this process's memory.
 *
 * One server per test file: `reset()` drops the state of every backend in every region, so two
 * files must not share one. Where moto differs from AWS, tests write their expectations from
 * AWS's documentation and say which answer they work around (test/helpers/moto.ts).
 */
import { spawn } from "node:child_process";
import { accessSync, constants, existsSync } from "node:fs";
import { createServer } from "node:net";
import { delimiter, isAbsolute, join } from "node:path";

export interface MotoServer {
  /** `http://127.0.0.1:PORT`; give it to SDK clients with `forcePathStyle: true`. */
  readonly endpoint: string;
  readonly port: number;
  /** Process id of moto_server (the Python process itself). */
  readonly pid: number;
  /** Drops all state of every backend in every region (POST /moto-api/reset). */
  reset(): Promise<void>;
  /** Stops the server (SIGTERM, then SIGKILL after `stopTimeoutMs`). Safe to call twice. */
  stop(): Promise<void>;
  /** The last lines moto wrote to stdout/stderr (request log, tracebacks): for failure messages. */
  output(): string;
}

export interface StartMotoOptions {
  /** Command to run; default `$MOTO_SERVER_COMMAND` or `moto_server` found on PATH. */
  command?: string;
  /** Interface to bind; default 127.0.0.1 (loopback only). */
  host?: string;
  /** Give up waiting for readiness after this long; default 30 s (2-core machines under load). */
  startupTimeoutMs?: number;
  /** Wait this long for a graceful exit on stop() before SIGKILL; default 3 s. */
  stopTimeoutMs?: number;
  /** Extra environment for moto (for example MOTO_S3_DEFAULT_KEY_BUFFER_SIZE). */
  env?: Record<string, string>;
  /**
   * On Linux, start moto through `setpriv --pdeathsig SIGKILL` when setpriv exists, so the kernel
   * kills moto even when this process dies without running its exit handlers (SIGKILL, a worker
   * killed on timeout). Default true.
   */
  dieWithParent?: boolean;
}

/** Thrown when the moto_server command cannot be found or run. */
export class MotoServerNotInstalledError extends Error {
  readonly command: string;
  constructor(command: string, detail: string) {
    super(
      `moto_server is not available: command "${command}" ${detail}. ` +
        `Install it with: pip install 'moto[server]' (or set MOTO_SERVER_COMMAND).`,
    );
    this.name = "MotoServerNotInstalledError";
    this.command = command;
  }
}

const OUTPUT_LINES_KEPT = 60;
const READY_POLL_MS = 25;
const PROBE_TIMEOUT_MS = 5_000;
const PORT_ATTEMPTS = 3;

/** Starts moto_server on a free loopback port and resolves once it answers S3 requests. */
export async function startMoto(options: StartMotoOptions = {}): Promise<MotoServer> {
  const command = options.command ?? process.env.MOTO_SERVER_COMMAND ?? "moto_server";
  const executable = resolveExecutable(command);
  if (executable === undefined) {
    throw new MotoServerNotInstalledError(command, "was not found on PATH");
  }
  let lastError: unknown;
  for (let attempt = 1; attempt <= PORT_ATTEMPTS; attempt++) {
    try {
      return await startOnce(command, executable, options);
    } catch (error) {
      // Another process can take the port between freePort() and moto's bind(): try a new one.
      if (error instanceof PortTakenError) {
        lastError = error;
        continue;
      }
      throw error;
    }
  }
  throw lastError instanceof Error ? lastError : new Error(String(lastError));
}

class PortTakenError extends Error {}

async function startOnce(
  command: string,
  executable: string,
  options: StartMotoOptions,
): Promise<MotoServer> {
  const host = options.host ?? "127.0.0.1";
  const startupTimeoutMs = options.startupTimeoutMs ?? 30_000;
  const stopTimeoutMs = options.stopTimeoutMs ?? 3_000;
  const port = await freePort(host);
  const endpoint = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
  const motoArgs = ["-H", host, "-p", String(port)];
  const setpriv = (options.dieWithParent ?? true) ? findSetpriv() : undefined;
  const [file, args] =
    setpriv === undefined
      ? [executable, motoArgs]
      : [setpriv, ["--pdeathsig", "SIGKILL", "--", executable, ...motoArgs]];

  const child = spawn(file, args, {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, MOTO_PORT: String(port), ...options.env },
  });
  const lines: string[] = [];
  const keep = (chunk: Buffer): void => {
    // Always drain the pipes: moto logs every request, and a full pipe would block it.
    for (const line of chunk.toString("utf8").split("\n")) {
      if (line.trim() === "") continue;
      lines.push(line);
      if (lines.length > OUTPUT_LINES_KEPT) lines.shift();
    }
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const output = (): string => lines.join("\n");

  const killOnExit = (): void => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  };
  process.once("exit", killOnExit);

  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const exitPromise = new Promise<void>((resolve) => {
    child.once("exit", (code, signal) => {
      exited = { code, signal };
      process.removeListener("exit", killOnExit);
      resolve();
    });
  });
  let spawnError: Error | undefined;
  child.once("error", (error) => {
    spawnError = error;
  });

  const stop = async (): Promise<void> => {
    process.removeListener("exit", killOnExit);
    if (exited !== undefined || child.pid === undefined) return;
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), stopTimeoutMs);
    await exitPromise;
    clearTimeout(timer);
  };

  try {
    await waitUntilReady(endpoint, startupTimeoutMs, () => {
      if (spawnError !== undefined) {
        const code = (spawnError as NodeJS.ErrnoException).code;
        if (code === "ENOENT" || code === "EACCES") {
          throw new MotoServerNotInstalledError(command, `could not be executed (${code})`);
        }
        throw spawnError;
      }
      if (exited !== undefined) throw exitError(command, port, exited, output());
    });
  } catch (error) {
    await stop();
    throw error;
  }
  const pid = child.pid;
  if (pid === undefined) throw new Error("moto_server started without a pid");

  return {
    endpoint,
    port,
    pid,
    output,
    stop,
    async reset(): Promise<void> {
      const response = await fetch(`${endpoint}/moto-api/reset`, {
        method: "POST",
        signal: AbortSignal.timeout(PROBE_TIMEOUT_MS * 2),
      });
      const body = await response.text();
      if (response.status !== 200) {
        throw new Error(`moto reset failed: HTTP ${response.status} ${body}`);
      }
    },
  };
}

/**
 * Readiness = an unsigned `GET /` (S3 ListBuckets) answers 200. Polling TCP alone saves nothing
 * (the HTTP answer follows the socket by ~20-50 ms), and this request also makes moto load its S3
 * backend (0.1-1 s on first use), which the first test would otherwise pay for.
 */
async function waitUntilReady(
  endpoint: string,
  timeoutMs: number,
  checkChild: () => void,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastProblem = "no answer yet";
  for (;;) {
    checkChild();
    try {
      const response = await fetch(`${endpoint}/`, {
        signal: AbortSignal.timeout(Math.max(1, Math.min(PROBE_TIMEOUT_MS, deadline - Date.now()))),
      });
      await response.arrayBuffer();
      if (response.status === 200) return;
      lastProblem = `HTTP ${response.status}`;
    } catch (error) {
      lastProblem = error instanceof Error ? (error.cause?.toString() ?? error.message) : "error";
    }
    if (Date.now() >= deadline) {
      checkChild();
      throw new Error(
        `moto_server did not become ready at ${endpoint} within ${timeoutMs} ms (${lastProblem})`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, READY_POLL_MS));
  }
}

function exitError(
  command: string,
  port: number,
  exited: { code: number | null; signal: NodeJS.Signals | null },
  output: string,
): Error {
  // pyenv shims exist for every installed version; 127 means moto is missing in the active one.
  if (exited.code === 127 || /command not found|No such file or directory/.test(output)) {
    return new MotoServerNotInstalledError(command, `exited with code 127: ${output.trim()}`);
  }
  if (/Address already in use|port \d+ is in use/i.test(output)) {
    return new PortTakenError(`port ${port} was taken before moto_server could bind it`);
  }
  if (/ModuleNotFoundError|ImportError|install moto\[server\]/.test(output)) {
    return new MotoServerNotInstalledError(
      command,
      `failed to import its dependencies:\n${output.trim()}`,
    );
  }
  const how = exited.signal === null ? `code ${exited.code}` : `signal ${exited.signal}`;
  return new Error(`moto_server exited during startup (${how}):\n${output.trim()}`);
}

function resolveExecutable(command: string): string | undefined {
  if (isAbsolute(command) || command.includes("/"))
    return isExecutable(command) ? command : undefined;
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (dir === "") continue;
    const candidate = join(dir, command);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function findSetpriv(): string | undefined {
  if (process.platform !== "linux") return undefined;
  for (const path of ["/usr/bin/setpriv", "/bin/setpriv"]) if (existsSync(path)) return path;
  return undefined;
}

async function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error("no free port found"))));
    });
  });
}
