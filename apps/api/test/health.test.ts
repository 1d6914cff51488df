import { sql, useTestDatabase } from "@sluice/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApi, type TestApi } from "./testApi.ts";

const t = useTestDatabase();
let api: TestApi;

beforeAll(async () => {
  api = await startTestApi(t);
});
afterAll(() => api.close());

describe("health endpoints", () => {
  it("reports liveness and readiness over HTTP", async () => {
    const live = await fetch(`${api.url}/healthz`);
    expect([live.status, await live.json()]).toEqual([200, { status: "ok" }]);
    const ready = await fetch(`${api.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: "ready", checks: { database: "ok", migrations: "ok" } });
  });

  it("echoes a well-formed X-Request-ID and replaces a malformed one", async () => {
    const echoed = await fetch(`${api.url}/healthz`, { headers: { "X-Request-ID": "req-123" } });
    expect(echoed.headers.get("x-request-id")).toBe("req-123");
    const replaced = await fetch(`${api.url}/healthz`, { headers: { "X-Request-ID": "bad id with spaces" } });
    expect(replaced.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("is not ready while a migration is pending, with the error envelope", async () => {
    await sql`delete from sluice_migrations where name = (select max(name) from sluice_migrations)`.execute(
      t.db,
    );
    const ready = await fetch(`${api.url}/readyz`, { headers: { "X-Request-ID": "rdy-1" } });
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({
      error: {
        code: "service_unavailable",
        message: "not ready",
        details: { database: "ok", migrations: "1 pending" },
      },
      request_id: "rdy-1",
    });
  });
});
