/**
 * Chat fan-out: 1,000 connected clients, one sender at a steady rate. Reports deliveries per
 * second and send→receive latency (p50/p99), beside a bare Bun.serve pub/sub room measured in the
 * same run. Clients live in this process; the servers in their own.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, percentile, seedUsers, startCoc, waitForHealthy } from "./harness.ts";

export interface FanoutResult {
  subject: string;
  clients: number;
  messages_sent: number;
  rate_per_second: number;
  deliveries: number;
  expected_deliveries: number;
  deliveries_per_second: number;
  p50_ms: number;
  p99_ms: number;
  max_ms: number;
}

async function openClients(urls: string[]): Promise<WebSocket[]> {
  const sockets: WebSocket[] = [];
  // Connect in waves so the accept queue is not flooded.
  for (let i = 0; i < urls.length; i += 100) {
    const wave = urls.slice(i, i + 100).map(
      (url) =>
        new Promise<WebSocket>((resolve, reject) => {
          const socket = new WebSocket(url);
          socket.addEventListener("open", () => resolve(socket), { once: true });
          socket.addEventListener("error", () => reject(new Error(`could not connect to ${url}`)), { once: true });
        }),
    );
    sockets.push(...(await Promise.all(wave)));
  }
  return sockets;
}

/** Sends `messages` at `rate` per second from `sender`; every other socket records latencies. */
async function drive(subject: string, sender: WebSocket, receivers: WebSocket[], messages: number, rate: number, frame: (text: string) => string): Promise<FanoutResult> {
  const latencies: number[] = [];
  let deliveries = 0;
  const expected = messages * receivers.length;
  let done!: () => void;
  const finished = new Promise<void>((resolve) => {
    done = resolve;
  });
  const marker = "bench:";
  for (const socket of receivers) {
    socket.addEventListener("message", (event) => {
      const data = String(event.data);
      const at = data.indexOf(marker);
      if (at < 0) return;
      const sentAt = Number.parseFloat(data.slice(at + marker.length));
      latencies.push(performance.now() - sentAt);
      deliveries++;
      if (deliveries === expected) done();
    });
  }
  const started = performance.now();
  for (let i = 0; i < messages; i++) {
    const due = started + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await Bun.sleep(wait);
    sender.send(frame(`${marker}${performance.now()}`));
  }
  const timeout = new Promise<void>((resolve) => setTimeout(resolve, 10_000));
  await Promise.race([finished, timeout]);
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    subject,
    clients: receivers.length,
    messages_sent: messages,
    rate_per_second: rate,
    deliveries,
    expected_deliveries: expected,
    deliveries_per_second: Math.round(deliveries / elapsed),
    p50_ms: Math.round(percentile(latencies, 50) * 100) / 100,
    p99_ms: Math.round(percentile(latencies, 99) * 100) / 100,
    max_ms: Math.round((latencies.at(-1) ?? Number.NaN) * 100) / 100,
  };
}

export async function chatBench(root: string, options: { clients?: number; rate?: number; seconds?: number } = {}): Promise<FanoutResult[]> {
  const clients = options.clients ?? 1000;
  const rate = options.rate ?? 100;
  const messages = rate * (options.seconds ?? 5);
  const dir = mkdtempSync(join(tmpdir(), "coc-bench-chat-"));
  const results: FanoutResult[] = [];
  try {
    // Baseline: a bare Bun.serve pub/sub room that republishes whatever it receives.
    const port = freePort();
    const room = join(dir, "room.ts");
    writeFileSync(
      room,
      `const server = Bun.serve({ port: ${port}, hostname: "127.0.0.1",
  fetch(req, server) { return server.upgrade(req) ? undefined : new Response("ok"); },
  websocket: { open(ws) { ws.subscribe("room"); }, message(ws, m) { server.publish("room", m); } } });`,
    );
    const bare = Bun.spawn([process.execPath, room], { stdout: "ignore", stderr: "inherit" });
    await waitForHealthy(`http://127.0.0.1:${port}/`);
    {
      const sockets = await openClients(Array.from({ length: clients + 1 }, () => `ws://127.0.0.1:${port}/`));
      const [sender, ...receivers] = sockets as [WebSocket, ...WebSocket[]];
      results.push(await drive("baseline: bare Bun.serve pub/sub room", sender, receivers, messages, rate, (text) => text));
      for (const socket of sockets) socket.close();
    }
    bare.kill("SIGTERM");
    await bare.exited;

    // The product: dist/coc with its auth, validation, storage and broadcast.
    const { database, tokensFile } = seedUsers(dir, clients + 1);
    const tokens = (await Bun.file(tokensFile).text()).trim().split("\n");
    const coc = await startCoc(root, database, { COC_CHAT_BURST: String(messages + 10), COC_CHAT_PER_SECOND: String(rate * 2) });
    {
      const ws = coc.base.replace(/^http/, "ws");
      const sockets = await openClients(tokens.map((token) => `${ws}/ws/chat/?token=${token}`));
      const [sender, ...receivers] = sockets as [WebSocket, ...WebSocket[]];
      results.push(await drive("dist/coc /ws/chat/ (auth, validation, SQLite insert, broadcast)", sender, receivers, messages, rate, (text) => JSON.stringify({ type: "chat_message", message: text })));
      for (const socket of sockets) socket.close();
    }
    await coc.stop();
    return results;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.main) console.log(JSON.stringify(await chatBench(join(import.meta.dir, "../..")), null, 2));
