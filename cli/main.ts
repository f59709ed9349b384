#!/usr/bin/env bun
// Entry of the `coc` binary (bun build --compile cli/main.ts).
import "./production.ts";
import { processIO } from "./io.ts";
import { runCli } from "./program.ts";

const io = processIO();
const code = await runCli(process.argv.slice(2), io);
if (code !== "running") io.exit(code);
