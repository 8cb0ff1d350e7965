/**
 * The in-process emulator (fauxqs) started in a process of its own, so that a benchmark reading
 * from it does not share its thread: on a 2-core machine the emulator serves on one core while
 * the code measured hashes on the other, as S3 would not use the Lambda's CPU.
 */
import { spawn } from "node:child_process";
import { once } from "node:events";

export interface EmulatorProcess {
  readonly endpoint: string;
  stop(): Promise<void>;
}

export async function startEmulatorProcess(): Promise<EmulatorProcess> {
  const script = [
    'const { startFauxqs } = await import("fauxqs");',
    "const server = await startFauxqs({ port: 0, logger: false });",
    'process.stdout.write(String(server.address) + "\\n");',
  ].join("\n");
  const child = spawn(process.execPath, ["--input-type=module", "--eval", script], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const exited = once(child, "exit");
  const endpoint = await new Promise<string>((resolve, reject) => {
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString("utf8");
      const line = output.split("\n")[0];
      if (output.includes("\n") && line) resolve(line.trim());
    });
    void exited.then(() => reject(new Error(`the emulator process exited: ${output}`)));
  });
  return {
    endpoint,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        await exited;
      }
    },
  };
}
