/** Anything that can be closed with a WebSocket close code: a ServerWebSocket, or a test double. */
export interface Closable {
  close(code?: number, reason?: string): void;
}

/** 1001 "Going Away": the close code for a server shutting down. */
export const CLOSE_GOING_AWAY = 1001;

/**
 * The open long-lived connections (WebSockets), so that shutdown can close each with a proper
 * close code instead of dropping them. The chat adds and removes its sockets here.
 */
export class ConnectionRegistry {
  readonly #open = new Set<Closable>();

  add(connection: Closable): void {
    this.#open.add(connection);
  }

  delete(connection: Closable): void {
    this.#open.delete(connection);
  }

  get size(): number {
    return this.#open.size;
  }

  /** Closes every open connection with `code` and forgets them; returns how many were closed. */
  closeAll(code: number = CLOSE_GOING_AWAY, reason = "server shutting down"): number {
    const all = [...this.#open];
    this.#open.clear();
    for (const connection of all) {
      try {
        connection.close(code, reason);
      } catch {
        // Already gone: nothing to close.
      }
    }
    return all.length;
  }
}
