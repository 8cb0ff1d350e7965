import { createInterface } from "node:readline/promises";
import { Presets, SingleBar } from "cli-progress";
import type { InputStream, OutputStream } from "./cli.ts";

/** Progress of a move: a bar on a terminal, plain lines in logs and pipes. */
export interface Progress {
  /** `total` may be unknown (or approximate: SQS counts are); `detail` is e.g. "2 skipped". */
  update(done: number, total: number | undefined, detail: string): void;
  stop(): void;
}

export function createProgress(
  stream: OutputStream,
  label: string,
  now: () => number = Date.now,
): Progress {
  return stream.isTTY ? barProgress(stream, label) : lineProgress(stream, label, now);
}

function barProgress(stream: OutputStream, label: string): Progress {
  const bar = new SingleBar(
    {
      stream: stream as NodeJS.WritableStream,
      format: `${label} [{bar}] {value}/{total} {detail}`,
      hideCursor: true,
      // Redraw at least this often even when nothing changed, so a stall is visible as such.
      fps: 5,
    },
    Presets.shades_classic,
  );
  let started = false;
  return {
    update(done, total, detail) {
      // SQS counts are approximate: never let the bar run past its end.
      const shownTotal = Math.max(total ?? done, done, 1);
      if (!started) {
        bar.start(shownTotal, done, { detail });
        started = true;
      } else {
        bar.setTotal(shownTotal);
        bar.update(done, { detail });
      }
    },
    stop() {
      if (started) bar.stop();
    },
  };
}

/** One line per change, at most every 2 s (plus the last one), so CI logs stay readable. */
function lineProgress(stream: OutputStream, label: string, now: () => number): Progress {
  let last = "";
  let lastWritten = "";
  let lastAt = Number.NEGATIVE_INFINITY;
  const write = () => {
    if (last !== "" && last !== lastWritten) {
      stream.write(`${last}\n`);
      lastWritten = last;
      lastAt = now();
    }
  };
  return {
    update(done, total, detail) {
      last = `${label}: ${done}${total === undefined ? "" : `/${total}`}${detail ? ` (${detail})` : ""}`;
      if (now() - lastAt >= 2000) write();
    },
    stop: write,
  };
}

/** Asks a yes/no question on the terminal; only "y" or "yes" is a yes. */
export async function confirm(
  input: InputStream,
  output: OutputStream,
  question: string,
): Promise<boolean> {
  const readline = createInterface({
    input,
    output: output as NodeJS.WritableStream,
    terminal: false,
  });
  // End of input (Ctrl-D) is a no, not a hang.
  const closed = new Promise<string>((resolve) => readline.once("close", () => resolve("")));
  try {
    const answer = await Promise.race([readline.question(`${question} [y/N] `), closed]);
    return /^\s*y(es)?\s*$/i.test(answer);
  } finally {
    readline.close();
  }
}
