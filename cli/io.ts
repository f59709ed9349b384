import type { SignalSource } from "../src/server.ts";

/** What a command may touch of the outside world; tests pass their own. */
export interface CliIO {
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  stdout(text: string): void;
  stderr(text: string): void;
  signals: SignalSource;
  exit(code: number): void;
  /** Whether stdin/stdout are terminals (prompts and colours only then). */
  isTTY: boolean;
}

export function processIO(): CliIO {
  return {
    env: process.env,
    cwd: process.cwd(),
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    signals: process,
    exit: (code) => process.exit(code),
    isTTY: Boolean(process.stdin.isTTY && process.stdout.isTTY),
  };
}
