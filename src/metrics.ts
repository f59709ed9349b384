import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";

/** What a payment event came to (a small fixed set: a label value). */
export type PaymentOutcome = "credited" | "repeat" | "invalid_signature" | "webhook_duplicate" | "webhook_ignored" | "marked_failed";

/** Read at each scrape: what is open right now. */
export interface MetricsGauges {
  openSockets(): number;
  chatUsers(): number;
}

/**
 * The server's metrics in Prometheus's text format (prom-client), one registry per context (no
 * global state: two servers in one process count apart). Counted where the thing happened and was
 * committed: requests by route template (never the raw path: bounded labels) and status, latency,
 * chat messages, check-ins, XP by source, payment outcomes, the writer's batches; open sockets and
 * chat users read at each scrape; Bun's process figures.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly #requests: Counter<"method" | "route" | "status">;
  readonly #latency: Histogram<"method" | "route">;
  readonly #chatMessages: Counter;
  readonly #checkIns: Counter;
  readonly #xpCredited: Counter<"source">;
  readonly #xpSpent: Counter<"source">;
  readonly #payments: Counter<"outcome">;
  readonly #batchSize: Histogram;
  readonly #failedUnits: Counter;
  readonly #failedBatches: Counter;

  constructor() {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: "coc_" });
    this.#requests = new Counter({ name: "coc_http_requests_total", help: "HTTP requests answered, by route template and status", labelNames: ["method", "route", "status"], registers });
    this.#latency = new Histogram({
      name: "coc_http_request_duration_seconds",
      help: "Time from a request's arrival to its answer, by route template",
      labelNames: ["method", "route"],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    });
    this.#chatMessages = new Counter({ name: "coc_chat_messages_total", help: "Chat messages stored", registers });
    this.#checkIns = new Counter({ name: "coc_check_ins_total", help: "Daily check-ins recorded", registers });
    this.#xpCredited = new Counter({ name: "coc_xp_credited_total", help: "XP added to balances, by source", labelNames: ["source"], registers });
    this.#xpSpent = new Counter({ name: "coc_xp_spent_total", help: "XP taken from balances, by source", labelNames: ["source"], registers });
    this.#payments = new Counter({ name: "coc_payment_outcomes_total", help: "Payment confirmations and webhooks, by outcome", labelNames: ["outcome"], registers });
    this.#batchSize = new Histogram({
      name: "coc_writer_batch_size",
      help: "Units of work committed together (one fsync each batch)",
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256],
      registers,
    });
    this.#failedUnits = new Counter({ name: "coc_writer_failed_units_total", help: "Units of work that threw and were rolled back alone", registers });
    this.#failedBatches = new Counter({ name: "coc_writer_failed_batches_total", help: "Batches whose transaction could not begin or commit", registers });
  }

  /** Gauges read at each scrape. */
  watch(gauges: MetricsGauges): void {
    new Gauge({ name: "coc_chat_open_sockets", help: "Chat sockets open on this instance", registers: [this.registry], collect() { this.set(gauges.openSockets()); } });
    new Gauge({ name: "coc_chat_users", help: "Distinct users in the chat room", registers: [this.registry], collect() { this.set(gauges.chatUsers()); } });
  }

  request(method: string, route: string, status: number, seconds: number): void {
    this.#requests.inc({ method, route, status: String(status) });
    this.#latency.observe({ method, route }, seconds);
  }

  chatMessage(): void {
    this.#chatMessages.inc();
  }

  checkIn(): void {
    this.#checkIns.inc();
  }

  /** One committed change of XP. */
  xp(source: string, amount: number): void {
    if (amount > 0) this.#xpCredited.inc({ source }, amount);
    else if (amount < 0) this.#xpSpent.inc({ source }, -amount);
  }

  payment(outcome: PaymentOutcome): void {
    this.#payments.inc({ outcome });
  }

  /** One batch of the writer: its size, how many of its units failed, whether the whole batch did. */
  batch(size: number, failedUnits: number, failed: boolean): void {
    this.#batchSize.observe(size);
    if (failed) this.#failedBatches.inc();
    else if (failedUnits > 0) this.#failedUnits.inc(failedUnits);
  }

  /** The text a scrape gets. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
