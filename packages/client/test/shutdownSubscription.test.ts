import { randomUUID } from "node:crypto";
import { startTestApi, type TestApi } from "@sluice/api/testing";
import { useTestDatabase } from "@sluice/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSluiceClient } from "../src/createSluiceClient.ts";

const t = useTestDatabase();
let api: TestApi;

beforeAll(async () => {
  api = await startTestApi(t, { realisticLatency: true });
});
afterAll(() => api.close());

describe("subscriptions during shutdown", () => {
  it("end with a final service_unavailable event instead of being dropped", async () => {
    const client = createSluiceClient({ url: api.url, apiKey: api.a.key });
    const events: { type: string; error?: { code: string } }[] = [];
    const ended = new Promise<void>((resolve) => {
      const sub = client.chat.stream.subscribe(
        {
          streamId: randomUUID(),
          request: {
            model: "sim-large",
            messages: [{ role: "user", content: "a long story" }],
            max_tokens: 500,
          },
        },
        {
          onData: (event) => {
            const data = event.data as { type: string; error?: { code: string } };
            events.push(data);
            if (data.type === "delta" && events.length === 2) void api.stopServer();
            if (data.type === "error" || data.type === "done") {
              sub.unsubscribe();
              resolve();
            }
          },
        },
      );
    });
    await ended;
    expect(events.at(-1)).toEqual({
      type: "error",
      error: { code: "service_unavailable", message: expect.stringContaining("shutting down") },
    });
    expect(events.filter((e) => e.type === "delta").length).toBeGreaterThanOrEqual(2);
  });
});
