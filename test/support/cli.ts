import { EventEmitter } from "node:events";
import { join } from "node:path";
import type { CliIO } from "../../cli/io.ts";
import { runCli } from "../../cli/program.ts";

export const ROOT = join(import.meta.dir, "../..");
export const CLI_ENTRY = join(ROOT, "cli/main.ts");

/** Runs the real `coc` program in this process with captured output. */
export async function runCoc(
  argv: string[],
  options: { env?: Record<string, string>; cwd?: string; tty?: { confirm?: boolean; password?: string }; stdin?: string } = {},
) {
  let stdout = "";
  let stderr = "";
  const exits: number[] = [];
  const questions: string[] = [];
  const io: CliIO = {
    env: options.env ?? {},
    cwd: options.cwd ?? ROOT,
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
    signals: new EventEmitter() as never,
    exit: (code) => exits.push(code),
    isTTY: options.tty !== undefined,
    confirm: async (message) => {
      questions.push(message);
      return options.tty?.confirm ?? false;
    },
    password: async (message) => {
      questions.push(message);
      return options.tty?.password ?? "";
    },
    readStdin: async () => options.stdin ?? "",
  };
  const code = await runCli(argv, io);
  return { code, stdout, stderr, exits, questions };
}

/** The JSON log lines a `coc serve` process writes, read as they come. */
export class LogReader {
  readonly lines: Record<string, any>[] = [];
  #buffer = "";
  #waiters: { match: (line: Record<string, any>) => boolean; resolve: (line: Record<string, any>) => void }[] = [];

  constructor(stream: ReadableStream<Uint8Array>) {
    void this.#pump(stream);
  }

  async #pump(stream: ReadableStream<Uint8Array>) {
    const decoder = new TextDecoder();
    for await (const chunk of stream) {
      this.#buffer += decoder.decode(chunk, { stream: true });
      let newline = this.#buffer.indexOf("\n");
      while (newline >= 0) {
        const text = this.#buffer.slice(0, newline);
        this.#buffer = this.#buffer.slice(newline + 1);
        newline = this.#buffer.indexOf("\n");
        if (!text.startsWith("{")) continue;
        const line = JSON.parse(text);
        this.lines.push(line);
        this.#waiters = this.#waiters.filter((waiter) => {
          if (!waiter.match(line)) return true;
          waiter.resolve(line);
          return false;
        });
      }
    }
  }

  /** Resolves with the first line (already read or still to come) that `match` accepts. */
  waitFor(match: (line: Record<string, any>) => boolean): Promise<Record<string, any>> {
    const seen = this.lines.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve) => this.#waiters.push({ match, resolve }));
  }
}
