import { describe, expect, test } from "bun:test";
import { EventEmitter } from "node:events";
import { createApp } from "../src/app.ts";
import { CLOSE_GOING_AWAY } from "../src/http/connections.ts";
import { stopOnSignals } from "../src/server.ts";
import { startTestServer } from "./support/http.ts";
import { createTestContext, query } from "./support/test-context.ts";

function deferred<T = void>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** A real server on a free port, with a slow route and a WebSocket route to shut down around. */
async function startWithProbes() {
  const { ctx, logs } = await createTestContext();
  const entered = deferred();
  const release = deferred<string>();
  const app = createApp(ctx)
    .get("/test/slow/", async () => {
      entered.resolve();
      return { answer: await release.promise };
    })
    .ws("/test/ws/", {
      open(ws) {
        ctx.connections.add(ws);
      },
      close(ws) {
        ctx.connections.delete(ws);
      },
    });
  const { running, base } = await startTestServer(ctx, app);
  return { ctx, logs, running, entered, release, base };
}

describe("graceful shutdown", () => {
  test("stops accepting, closes WebSockets with 1001, finishes requests in flight, then closes the database", async () => {
    const { ctx, logs, running, entered, release, base } = await startWithProbes();
    expect((await fetch(`${base}/healthz`)).status).toBe(200);

    const socket = new WebSocket(`${base.replace("http", "ws")}/test/ws/`);
    await new Promise((resolve) => socket.addEventListener("open", resolve, { once: true }));
    const closed = new Promise<CloseEvent>((resolve) => socket.addEventListener("close", resolve, { once: true }));

    const inFlight = fetch(`${base}/test/slow/`);
    await entered.promise;

    const stopped = running.stop();
    const close = await closed;
    expect(close.code).toBe(CLOSE_GOING_AWAY);

    await expect(fetch(`${base}/healthz`)).rejects.toThrow();
    // Still open: the request in flight has not finished.
    expect(await query(ctx, "SELECT 1 AS one")).toEqual([{ one: 1 }]);

    release.resolve("finished");
    const response = await inFlight;
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ answer: "finished" });

    await stopped;
    expect(query(ctx, "SELECT 1")).rejects.toThrow();
    expect(logs.map((line) => line.msg)).toContain("stopped");
    // A second stop is the same stop.
    await running.stop();
  });

  test("requests still running after the drain period are cut so shutdown cannot hang", async () => {
    const { ctx, logs, running, entered, base } = await startWithProbes();
    const inFlight = fetch(`${base}/test/slow/`).then(
      () => "answered",
      () => "cut",
    );
    await entered.promise;
    await running.stop({ drainMs: 0 });
    expect(await inFlight).toBe("cut");
    expect(logs.some((line) => line.level === "warn" && String(line.msg).includes("still in flight"))).toBe(true);
    expect(query(ctx, "SELECT 1")).rejects.toThrow();
  });
});

describe("stopOnSignals", () => {
  function harness() {
    const source = new EventEmitter();
    const exits: number[] = [];
    const stopping = deferred();
    let stops = 0;
    stopOnSignals({
      source: source as never,
      stop: () => {
        stops += 1;
        return stopping.promise;
      },
      exit: (code) => exits.push(code),
    });
    return { source, exits, stopping, stops: () => stops };
  }

  test("the first SIGTERM stops gracefully, then exits 0", async () => {
    const { source, exits, stopping, stops } = harness();
    source.emit("SIGTERM");
    expect(stops()).toBe(1);
    expect(exits).toEqual([]);
    stopping.resolve();
    await stopping.promise;
    await Promise.resolve();
    expect(exits).toEqual([0]);
  });

  test("a second signal while stopping exits at once", () => {
    const { source, exits, stops } = harness();
    source.emit("SIGINT");
    source.emit("SIGINT");
    expect(stops()).toBe(1);
    expect(exits).toEqual([130]);
  });

  test("SIGTERM then SIGTERM exits 143", () => {
    const { source, exits } = harness();
    source.emit("SIGTERM");
    source.emit("SIGTERM");
    expect(exits).toEqual([143]);
  });
});
