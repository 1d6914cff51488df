import pg from "pg";

/** A dedicated connection LISTENing on channels, reconnecting when it drops. */
export interface PgListener {
  /** True while the connection is up and listening. */
  readonly connected: boolean;
  close(): Promise<void>;
}

/** Options of {@link createPgListener}. */
export interface PgListenerOptions {
  connectionString: string;
  channels: string[];
  onNotification(channel: string, payload: string): void;
  /**
   * Called after every (re)connection: notifications sent while disconnected are lost, so callers
   * catch up here (re-read what they watch). Notifications of the new connection are passed on
   * only after it.
   */
  onConnect?: () => void;
  onError?: (error: Error) => void;
  applicationName?: string;
  /** Wait before reconnecting, doubling up to 5 s (default 100 ms). */
  reconnectDelayMs?: number;
}

/** Opens the listener; resolves once it listens for the first time (or rejects if it cannot). */
export async function createPgListener(options: PgListenerOptions): Promise<PgListener> {
  let client: pg.Client | undefined;
  let connected = false;
  let closed = false;
  let delay = options.reconnectDelayMs ?? 100;
  let retry: NodeJS.Timeout | undefined;

  async function connect(): Promise<void> {
    const next = new pg.Client({
      connectionString: options.connectionString,
      application_name: options.applicationName ?? "sluice-listener",
      keepAlive: true,
    });
    // Notifications can arrive as soon as the first LISTEN takes effect, before `onConnect`: they
    // are held until it has run, so a caller's catch-up comes before anything it hears.
    let held: [channel: string, payload: string][] | undefined = [];
    next.on("notification", (n) => {
      if (held) held.push([n.channel, n.payload ?? ""]);
      else options.onNotification(n.channel, n.payload ?? "");
    });
    next.on("error", (error) => {
      options.onError?.(error);
      void lost(next);
    });
    next.on("end", () => void lost(next));
    await next.connect();
    for (const channel of options.channels) await next.query(`listen ${next.escapeIdentifier(channel)}`);
    if (closed) {
      await next.end().catch(() => {});
      return;
    }
    client = next;
    connected = true;
    delay = options.reconnectDelayMs ?? 100;
    options.onConnect?.();
    const early = held;
    held = undefined;
    for (const [channel, payload] of early) options.onNotification(channel, payload);
  }

  async function lost(which: pg.Client): Promise<void> {
    if (client !== which) return;
    client = undefined;
    connected = false;
    await which.end().catch(() => {});
    scheduleReconnect();
  }

  function scheduleReconnect(): void {
    if (closed || retry) return;
    retry = setTimeout(() => {
      retry = undefined;
      connect().catch((error: Error) => {
        options.onError?.(error);
        delay = Math.min(delay * 2, 5_000);
        scheduleReconnect();
      });
    }, delay);
    retry.unref();
  }

  await connect();
  return {
    get connected() {
      return connected;
    },
    async close() {
      closed = true;
      if (retry) clearTimeout(retry);
      const current = client;
      client = undefined;
      connected = false;
      await current?.end().catch(() => {});
    },
  };
}
