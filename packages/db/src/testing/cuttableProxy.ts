import net from "node:net";

/** A TCP proxy to Postgres whose connections a test can cut (and new ones refuse) on demand. */
export interface CuttableProxy {
  /** The database URL, through the proxy. */
  url: string;
  /** Ends every proxied connection and refuses new ones: the database is unreachable. */
  cut(): void;
  /**
   * Cuts (as `cut`) the moment a connection's server sends a reply containing the last of `texts`,
   * having sent the others before, in order; that reply is never delivered. The database goes away
   * exactly while that answer is on its way: the statement ran, its client never hears so.
   */
  cutOnReply(...texts: string[]): void;
  /** Accepts connections again. */
  restore(): void;
  close(): Promise<void>;
}

/** Starts a proxy in front of the database at `databaseUrl`. */
export async function startCuttableProxy(databaseUrl: string): Promise<CuttableProxy> {
  const target = new URL(databaseUrl);
  const sockets = new Set<net.Socket>();
  let down = false;
  let trigger: string[] | undefined;
  let triggerSet = 0;
  function cut() {
    down = true;
    trigger = undefined;
    for (const s of sockets) s.destroy();
  }
  const server = net.createServer((client) => {
    if (down) return void client.destroy();
    const upstream = net.connect(Number(target.port || 5432), target.hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on("error", () => {});
      s.on("close", () => {
        sockets.delete(s);
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    // How many of the trigger's texts this connection's replies have contained so far.
    let seen = 0;
    let seenOf = triggerSet;
    upstream.on("data", (chunk: Buffer) => {
      if (seenOf !== triggerSet) [seen, seenOf] = [0, triggerSet];
      if (trigger && chunk.includes(trigger[seen] ?? "")) {
        seen += 1;
        if (seen === trigger.length) return cut();
      }
      client.write(chunk);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = new URL(target);
  url.hostname = "127.0.0.1";
  url.port = String((server.address() as net.AddressInfo).port);
  return {
    url: url.toString(),
    cut,
    cutOnReply(...texts) {
      trigger = texts;
      triggerSet += 1;
    },
    restore() {
      down = false;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
