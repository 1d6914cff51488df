import { createApiKey } from "@sluice/core";
import { revokeApiKey } from "@sluice/db";
import { useTestDatabase } from "@sluice/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ask, trpcClient } from "./support/spendRows.ts";
import { startTestApi, type TestApi } from "./testApi.ts";

// A job is charged to the API key that queued it as well as to its tenant: a key with a $0 budget
// cannot spend through jobs what it cannot spend through calls, and a key revoked since cannot pay.
const t = useTestDatabase();
let api: TestApi;
let tenant: { id: string; key: string };

beforeAll(async () => {
  api = await startTestApi(t, { worker: true });
  tenant = await api.tenant("key-jobs", "tenant", { dailyBudgetMicros: 1_000_000 });
});
afterAll(() => api?.close());

interface JobView {
  status: string;
  attempts: number;
  error: { code: string; message: string } | null;
}

async function queue(key: string, kind: string, payload: unknown): Promise<string> {
  const res = await fetch(`${api.url}/v1/jobs`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify({ kind, payload }),
  });
  expect(res.status).toBe(202);
  return ((await res.json()) as { id: string }).id;
}

async function ended(id: string): Promise<JobView> {
  const client = trpcClient(api, tenant.key);
  const view = () => client.query("jobs.get", { id }) as Promise<JobView>;
  await expect.poll(async () => (await view()).status, { timeout: 15_000 }).toMatch(/^(completed|dead)$/);
  return view();
}

describe("jobs under the budget of the key that queued them", () => {
  it("refuses a capped key's chat job for good, while the tenant's other key's job is served", async () => {
    const capped = await createApiKey(t.db, { tenantId: tenant.id, role: "tenant", dailyBudgetMicros: 0 });
    const refused = await ended(await queue(capped.plaintext, "chat.complete", { request: ask("capped") }));
    expect(refused).toMatchObject({ status: "dead", attempts: 1, error: { code: "budget_exceeded" } });
    expect(refused.error?.message).toContain(`API key daily budget of key ${capped.key.id}`);
    const served = await ended(await queue(tenant.key, "chat.complete", { request: ask("free") }));
    expect(served.status).toBe("completed");
  });

  it("charges a capped key's pending-ticket classification to the key", async () => {
    const capped = await createApiKey(t.db, { tenantId: tenant.id, role: "tenant", dailyBudgetMicros: 0 });
    const client = trpcClient(api, capped.plaintext);
    await client.mutation("tickets.create", {
      tickets: [
        {
          subject: "Charged twice",
          body: "Please refund the second charge.",
          customerEmail: "a@example.com",
        },
      ],
    });
    const job = (await client.mutation("tickets.classifyPending", { limit: 5 })) as { id: string };
    expect(await ended(job.id)).toMatchObject({
      status: "dead",
      attempts: 1,
      error: { code: "budget_exceeded" },
    });
  });

  it("refuses for good a job whose key was revoked before it ran", async () => {
    const doomed = await createApiKey(t.db, { tenantId: tenant.id, role: "tenant" });
    // Queued to run in a minute, so the key is revoked first.
    const res = await fetch(`${api.url}/v1/jobs`, {
      method: "POST",
      headers: { authorization: `Bearer ${doomed.plaintext}`, "content-type": "application/json" },
      body: JSON.stringify({
        kind: "chat.complete",
        payload: { request: ask("later") },
        run_at: new Date(Date.now() + 2_000).toISOString(),
      }),
    });
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as { id: string };
    await revokeApiKey(t.db, doomed.key.id, { tenantId: tenant.id });
    expect(await ended(id)).toMatchObject({ status: "dead", attempts: 1, error: { code: "unauthorized" } });
  });
});
