import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApiOnEmbeddedPostgres, type TestApi } from "./testApi.ts";

let stack: Awaited<ReturnType<typeof startTestApiOnEmbeddedPostgres>>;
let api: TestApi;

beforeAll(async () => {
  stack = await startTestApiOnEmbeddedPostgres();
  api = stack.api;
});
afterAll(() => stack.close());

describe("readiness follows the database", () => {
  it("fails while Postgres is down, quickly and in the envelope, and recovers when it is back", async () => {
    expect((await fetch(`${api.url}/readyz`)).status).toBe(200);
    await stack.stopDatabase();
    const started = performance.now();
    const down = await fetch(`${api.url}/readyz`, { headers: { "x-request-id": "down-1" } });
    expect(down.status).toBe(503);
    expect(await down.json()).toMatchObject({
      error: { code: "service_unavailable", details: { database: "unreachable" } },
      request_id: "down-1",
    });
    expect(performance.now() - started).toBeLessThan(5_000);
    expect((await fetch(`${api.url}/healthz`)).status).toBe(200);

    await stack.restartDatabase();
    await expect.poll(async () => (await fetch(`${api.url}/readyz`)).status, { timeout: 15_000 }).toBe(200);
  });
});
