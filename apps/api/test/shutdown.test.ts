import { useTestDatabase } from "@sluice/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApi, type TestApi } from "./testApi.ts";

const t = useTestDatabase();
let api: TestApi;

beforeAll(async () => {
  api = await startTestApi(t.db, { realisticLatency: true });
});
afterAll(() => api.close());

describe("graceful shutdown", () => {
  it("finishes a request in flight, then refuses new connections", async () => {
    const slow = fetch(`${api.url}/v1/chat/completions`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${api.a.key}`,
        "content-type": "application/json",
        "x-sim-fault": "slow",
      },
      body: JSON.stringify({
        model: "sim-small",
        messages: [{ role: "user", content: "slow one" }],
        stream: true,
        max_tokens: 8,
      }),
    });
    const response = await slow;
    const startedAt = performance.now();
    const closing = api.stopServer();
    const text = await response.text();
    expect(text.trim().endsWith("data: [DONE]")).toBe(true);
    await closing;
    // sim-large takes ~600 ms to its first token and 60 tokens/s: the stream was really in flight.
    expect(performance.now() - startedAt).toBeGreaterThan(300);
    await expect(fetch(`${api.url}/healthz`)).rejects.toThrow();
  });
});
