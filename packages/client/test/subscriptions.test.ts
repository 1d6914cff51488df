import { randomUUID } from "node:crypto";
import { startTestApi, type TestApi } from "@sluice/api/testing";
import { useTestDatabase } from "@sluice/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSluiceClient, type SluiceClient } from "../src/createSluiceClient.ts";

const t = useTestDatabase();
let api: TestApi;
let a: SluiceClient;

beforeAll(async () => {
  api = await startTestApi(t);
  a = createSluiceClient({ url: api.url, apiKey: api.a.key });
});
afterAll(() => api.close());

interface Received {
  id: string;
  data: { type: string; text?: string; error?: { code: string } };
}

/** Subscribes and collects events until `stopAfter` of them arrived or the stream ended. */
function collect(
  client: SluiceClient,
  input: Parameters<SluiceClient["chat"]["stream"]["subscribe"]>[0],
  stopAfter = Number.POSITIVE_INFINITY,
) {
  return new Promise<{ events: Received[]; error?: unknown }>((resolve) => {
    const events: Received[] = [];
    const sub = client.chat.stream.subscribe(input, {
      onData: (event) => {
        events.push(event as unknown as Received);
        const type = (event as unknown as Received).data.type;
        if (events.length >= stopAfter || type === "done" || type === "error") {
          sub.unsubscribe();
          resolve({ events });
        }
      },
      onError: (error) => {
        sub.unsubscribe();
        resolve({ events, error });
      },
    });
  });
}

const request = (model: string) => ({
  model,
  messages: [{ role: "user" as const, content: "Tell me a story about rivers" }],
  max_tokens: 60,
});
const text = (events: Received[]) =>
  events.flatMap((e) => (e.data.type === "delta" ? [e.data.text ?? ""] : [])).join("");

describe("stream subscriptions", () => {
  it("streams deltas then done, with increasing event ids", async () => {
    const { events } = await collect(a, { streamId: randomUUID(), request: request("sim-small") });
    expect(events.at(-1)?.data.type).toBe("done");
    expect(events.map((e) => Number(e.id))).toEqual(events.map((_, i) => i + 1));
    expect(text(events).length).toBeGreaterThan(0);
  });

  it("resumes after a reconnect from the last event id, missing nothing and repeating nothing", async () => {
    const streamId = randomUUID();
    const first = await collect(a, { streamId, request: request("sim-medium") }, 3);
    expect(first.events).toHaveLength(3);
    const rest = await collect(a, {
      streamId,
      request: request("sim-medium"),
      lastEventId: first.events.at(-1)!.id,
    });
    const all = [...first.events, ...rest.events];
    expect(all.map((e) => Number(e.id))).toEqual(all.map((_, i) => i + 1));
    expect(all.at(-1)?.data.type).toBe("done");
    const whole = await collect(a, { streamId: randomUUID(), request: request("sim-medium") });
    expect(text(all)).toBe(text(whole.events));
  });

  it("streams a cascade optimistically with attempt events", async () => {
    const { events } = await collect(a, {
      streamId: randomUUID(),
      request: request("cascade:simulator"),
      mode: "optimistic",
    });
    expect(events[0]?.data.type).toBe("attempt");
    expect(events.at(-1)?.data.type).toBe("done");
  });

  it("does not let another tenant join or resume a stream", async () => {
    const streamId = randomUUID();
    await collect(a, { streamId, request: request("sim-small") });
    const b = createSluiceClient({ url: api.url, apiKey: api.b.key });
    const stolen = await collect(b, { streamId, request: request("sim-small"), lastEventId: "1" });
    expect(stolen.events.map((e) => e.data)).toEqual([
      { type: "error", error: { code: "not_found", message: `stream ${streamId} not found or expired` } },
    ]);
  });
});
