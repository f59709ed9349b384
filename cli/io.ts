import type { SignalSource } from "../src/server.ts";

/** What a command may touch of the outside world; tests pass their own. */
export interface CliIO {
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  stdout(text: string): void;
  stderr(text: string): void;
  signals: SignalSource;
  exit(code: number): void;
  /** Whether stdin and stdout are terminals: prompts, colours and progress only then. */
  isTTY: boolean;
  /** Asks a yes/no question on the terminal. */
  confirm(message: string): Promise<boolean>;
  /** Asks for a secret on the terminal, without echo. */
  password(message: string): Promise<string>;
  /** All of standard input. */
  readStdin(): Promise<string>;
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
    async confirm(message) {
      const { confirm } = await import("@inquirer/prompts");
      return confirm({ message, default: false });
    },
    async password(message) {
      const { password } = await import("@inquirer/prompts");
      return password({ message, mask: "*" });
    },
    readStdin: () => new Response(Bun.stdin.stream()).text(),
  };
}
