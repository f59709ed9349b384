/** A WebSocket test client that keeps every frame and lets a test wait for the ones it expects. */
export class WsClient {
  readonly frames: any[] = [];
  readonly closed: Promise<CloseEvent>;
  #cursor = 0;
  #waiters: (() => void)[] = [];

  private constructor(readonly socket: WebSocket) {
    socket.addEventListener("message", (event) => {
      this.frames.push(JSON.parse(String(event.data)));
      for (const wake of this.#waiters.splice(0)) wake();
    });
    this.closed = new Promise((resolve) => socket.addEventListener("close", resolve, { once: true }));
    this.closed.then(() => {
      for (const wake of this.#waiters.splice(0)) wake();
    });
  }

  /** Opens a socket; rejects with the close code when the server refuses it. */
  static connect(url: string, protocols?: string[]): Promise<WsClient> {
    const socket = new WebSocket(url, protocols);
    const client = new WsClient(socket);
    return new Promise((resolve, reject) => {
      socket.addEventListener("open", () => resolve(client), { once: true });
      client.closed.then((event) => reject(new Error(`refused: ${event.code}`)));
    });
  }

  send(frame: unknown): void {
    this.socket.send(typeof frame === "string" ? frame : JSON.stringify(frame));
  }

  /** The next frame not yet taken that matches (frames before it are skipped); waits for it if needed. */
  async next(match: (frame: any) => boolean = () => true): Promise<any> {
    for (;;) {
      while (this.#cursor < this.frames.length) {
        const frame = this.frames[this.#cursor++];
        if (match(frame)) return frame;
      }
      if (this.socket.readyState >= WebSocket.CLOSING) throw new Error("socket closed while waiting for a frame");
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }

  /** Any frame so far, taken or not, that matches; or the next one to arrive. */
  async seen(match: (frame: any) => boolean): Promise<any> {
    let checked = 0;
    for (;;) {
      for (; checked < this.frames.length; checked++) if (match(this.frames[checked])) return this.frames[checked];
      if (this.socket.readyState >= WebSocket.CLOSING) throw new Error("socket closed while waiting for a frame");
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }

  /** Frames of `type` not yet taken, without waiting. */
  pending(type?: string): any[] {
    return this.frames.slice(this.#cursor).filter((frame) => type === undefined || frame.type === type);
  }

  close(): Promise<CloseEvent> {
    this.socket.close(1000, "bye");
    return this.closed;
  }
}
