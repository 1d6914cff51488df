import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningSimulator, startSimulator } from "./server.ts";

let sim: RunningSimulator;

beforeAll(async () => {
  sim = await startSimulator({ latency: { fixedMs: 60_000 } });
});
afterAll(() => sim.close());

describe("open requests", () => {
  it("counts a request from its arrival until its response ends or its caller goes away", async () => {
    expect(sim.openRequests).toBe(0);
    const caller = new AbortController();
    const call = fetch(`${sim.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: "Bearer k", "content-type": "application/json" },
      body: JSON.stringify({ model: "gpt-4o-mini", messages: [{ role: "user", content: "x" }] }),
      signal: caller.signal,
    }).catch((error: unknown) => error);
    await expect.poll(() => sim.openRequests).toBe(1);
    caller.abort();
    await call;
    await expect.poll(() => sim.openRequests).toBe(0);
    const models = await fetch(`${sim.url}/v1/models`, { headers: { authorization: "Bearer k" } });
    await models.json();
    await expect.poll(() => sim.openRequests).toBe(0);
  });
});
