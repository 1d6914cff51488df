import { useTestDatabase } from "@sluice/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApi, type TestApi } from "./testApi.ts";

const t = useTestDatabase();
let api: TestApi;

beforeAll(async () => {
  api = await startTestApi(t, { realisticLatency: true });
});
afterAll(() => api.close());

const post = (body: object) =>
  fetch(`${api.url}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${api.a.key}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });

describe("graceful shutdown", () => {
  it("finishes requests in flight, ends open streams with a final event, then refuses connections", async () => {
    // sim-large: ~600 ms to the first token, then 60 tokens/s, so both are in flight when shutdown starts.
    const plain = post({
      model: "sim-large",
      messages: [{ role: "user", content: "answer slowly" }],
      max_tokens: 20,
    });
    const stream = await post({
      model: "sim-large",
      messages: [{ role: "user", content: "a long story" }],
      max_tokens: 500,
      stream: true,
    });
    // Both calls have reached the provider: shutdown starts with them in flight.
    await expect.poll(() => api.simulator.openRequests).toBe(2);
    const startedAt = performance.now();
    const closing = api.stopServer();
    const text = await stream.text();
    const last = text.trim().split("\n\n").at(-1) ?? "";
    expect(JSON.parse(last.replace(/^data: /, ""))).toMatchObject({
      error: { code: "service_unavailable", message: expect.stringContaining("shutting down") },
    });
    expect(performance.now() - startedAt).toBeLessThan(3_000);
    const finished = await plain;
    expect(finished.status).toBe(200);
    expect(((await finished.json()) as { choices: unknown[] }).choices).toHaveLength(1);
    await closing;
    await expect(fetch(`${api.url}/healthz`)).rejects.toThrow();
  });
});
