import Table from "cli-table3";
import type { CliIO } from "./io.ts";

/** A table for people: boxed and coloured on a terminal, plain when piped (no escape codes). */
export function renderTable(io: CliIO, head: string[], rows: (string | number | boolean | null)[][]): string {
  const table = new Table(
    io.isTTY
      ? { head }
      : {
          head,
          style: { head: [], border: [], compact: true },
          chars: {
            top: "", "top-mid": "", "top-left": "", "top-right": "", bottom: "", "bottom-mid": "", "bottom-left": "", "bottom-right": "",
            left: "", "left-mid": "", mid: "", "mid-mid": "", right: "", "right-mid": "", middle: "  ",
          },
        },
  );
  for (const row of rows) table.push(row.map((cell) => (cell === null ? "" : String(cell))));
  return `${table.toString()}\n`;
}
