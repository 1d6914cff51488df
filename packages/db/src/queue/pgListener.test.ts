import pg from "pg";
import { describe, expect, it } from "vitest";
import { useTestDatabase } from "../testing/testDatabase.ts";
import { createPgListener } from "./pgListener.ts";

const t = useTestDatabase();

describe("the LISTEN connection", () => {
  it("passes a connection's notifications on only after its onConnect, none lost", async () => {
    // Many channels: the connection listens on the first well before its last LISTEN returns, while
    // another session notifies on the first one without pause.
    const channels = Array.from({ length: 40 }, (_, i) => `sluice_listener_test_${i}`);
    const notifier = new pg.Client({ connectionString: t.url });
    await notifier.connect();
    let sent = 0;
    let sending = true;
    const sendAll = (async () => {
      while (sending) {
        await notifier.query("select pg_notify($1, $2)", [channels[0], String(++sent)]);
      }
    })();
    const seen: string[] = [];
    const listener = await createPgListener({
      connectionString: t.url,
      channels,
      onConnect: () => seen.push("connect"),
      onNotification: (_channel, payload) => seen.push(payload),
    });
    try {
      // Connected while notifications keep coming: stop once it has heard a run of them.
      await expect.poll(() => seen.length, { timeout: 5_000 }).toBeGreaterThan(20);
      sending = false;
      await sendAll;
      await expect.poll(() => seen.at(-1)).toBe(String(sent));
      expect(seen[0]).toBe("connect");
      // Heard from some point on, each once and in order, with none skipped after that.
      const heard = seen.slice(1).map(Number);
      expect(heard).toEqual(Array.from({ length: heard.length }, (_, i) => heard[0]! + i));
    } finally {
      await listener.close();
      await notifier.end();
    }
  });
});
