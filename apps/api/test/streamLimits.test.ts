import { useTestDatabase } from "@sluice/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApi, type TestApi } from "./testApi.ts";

const t = useTestDatabase();
let api: TestApi;

beforeAll(async () => {
  api = await startTestApi(t, {
    env: { SLUICE_MAX_STREAMS_PER_TENANT: "2", SLUICE_MAX_STREAM_SECONDS: "2" },
  });
});
afterAll(() => api.close());

/** A job that never runs within the test: its event stream stays open. */
async function waitingJob(key: string): Promise<string> {
  const res = await fetch(`${api.url}/v1/jobs`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify({
      kind: "chat.complete",
      payload: { request: { model: "sim-small", messages: [{ role: "user", content: "later" }] } },
      run_at: new Date(Date.now() + 3_600_000).toISOString(),
    }),
  });
  return ((await res.json()) as { id: string }).id;
}

const openSse = (key: string, id: string, signal: AbortSignal) =>
  fetch(`${api.url}/v1/jobs/${id}/events`, { headers: { authorization: `Bearer ${key}` }, signal });

const openSubscription = (key: string, id: string, signal: AbortSignal) =>
  fetch(`${api.url}/trpc/jobs.onEvents?input=${encodeURIComponent(JSON.stringify({ json: { id } }))}`, {
    headers: { authorization: `Bearer ${key}` },
    signal,
  });

describe("stream limits", () => {
  it("refuses a tenant's streams past its share with 429, others unaffected, and ends streams at the longest duration", {
    timeout: 20_000,
  }, async () => {
    const abort = new AbortController();
    const jobA = await waitingJob(api.a.key);
    const jobB = await waitingJob(api.b.key);
    const first = await openSse(api.a.key, jobA, abort.signal);
    const second = await openSubscription(api.a.key, jobA, abort.signal);
    expect([first.status, second.status]).toEqual([200, 200]);
    // Both count: a third stream of the same tenant is refused, over REST and over tRPC.
    await expect.poll(() => api.services.streamGate.openCount(api.a.id)).toBe(2);
    const third = await openSse(api.a.key, jobA, abort.signal);
    expect(third.status).toBe(429);
    expect(await third.json()).toMatchObject({ error: { code: "rate_limit_exceeded" } });
    expect(third.headers.get("retry-after")).toBe("5");
    const refused = await openSubscription(api.a.key, jobA, abort.signal);
    expect(await refused.text()).toMatch(/event: serialized-error[\s\S]*rate_limit_exceeded/);
    // Another tenant has its own share.
    const other = await openSse(api.b.key, jobB, abort.signal);
    expect(other.status).toBe(200);

    // After 2 s every stream ends with a timeout event the client can reconnect from.
    const started = performance.now();
    const [firstText, secondText] = await Promise.all([first.text(), second.text()]);
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(firstText).toMatch(/event: error\ndata: .*"code":"timeout".*reconnect with the last event id/);
    expect(secondText).toMatch(/event: serialized-error[\s\S]*"code":"timeout"/);
    await expect.poll(() => api.services.streamGate.openCount(api.a.id)).toBe(0);
    const again = await openSse(api.a.key, jobA, abort.signal);
    expect(again.status).toBe(200);
    abort.abort();
    await expect.poll(() => api.services.streamGate.openCount(api.a.id)).toBe(0);
  });
});
