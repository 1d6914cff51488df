import { createApiKey } from "@sluice/core";
import { revokeApiKey } from "@sluice/db";
import { sql, useTestDatabase } from "@sluice/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ask, batchLine, trpcClient } from "./support/spendRows.ts";
import { startTestApi, type TestApi } from "./testApi.ts";

// A job or a batch is charged to the API key that queued it as well as to its tenant: a key with a
// $0 budget cannot spend through jobs or batches what it cannot spend through calls, and a key
// revoked since cannot pay.
const t = useTestDatabase();
let api: TestApi;
let tenant: { id: string; key: string };

beforeAll(async () => {
  api = await startTestApi(t, {
    worker: { batchPollMs: 100 },
    batchTimings: { validatingMs: 50, inProgressMs: 200, finalizingMs: 50 },
  });
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

async function ended(id: string, key = tenant.key): Promise<JobView> {
  const client = trpcClient(api, key);
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

describe("the end user of a chat job", () => {
  it("is the request's user: the call-log row names it and its end-user budget holds", async () => {
    const capped = await api.tenant("job-users", "tenant", {
      dailyBudgetMicros: 1_000_000,
      endUserDailyBudgetMicros: 0,
    });
    const refused = await ended(
      await queue(capped.key, "chat.complete", { request: { ...ask("capped user"), user: "ada" } }),
      capped.key,
    );
    expect(refused).toMatchObject({ status: "dead", error: { code: "budget_exceeded" } });
    expect(refused.error?.message).toContain('end user "ada"');

    const id = await queue(tenant.key, "chat.complete", { request: { ...ask("named user"), user: "grace" } });
    expect((await ended(id)).status).toBe("completed");
    // The call log is written in batches: wait for the row.
    const endUsers = async () =>
      (
        await sql<{ endUser: string | null }>`select end_user from llm_calls where job_id = ${id}`.execute(
          t.db,
        )
      ).rows.map((r) => r.endUser);
    await expect.poll(endUsers, { timeout: 5_000 }).toEqual(["grace"]);
  });
});

describe("provider batches under the budget of the key that created them", () => {
  it("refuses a capped key's submission with 402 naming the key's budget", async () => {
    const capped = await createApiKey(t.db, { tenantId: tenant.id, role: "tenant", dailyBudgetMicros: 0 });
    const res = await fetch(`${api.url}/v1/sluice/batches`, {
      method: "POST",
      headers: { authorization: `Bearer ${capped.plaintext}`, "content-type": "application/json" },
      body: JSON.stringify({ name: "capped", model: "sim-small", requests: [batchLine("a")], submit: true }),
    });
    expect(res.status).toBe(402);
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain(
      `API key daily budget of key ${capped.key.id}`,
    );
  });

  it("books a batch's spend against its key's day as well as its tenant's, leaving nothing reserved", async () => {
    const keyed = await createApiKey(t.db, {
      tenantId: tenant.id,
      role: "tenant",
      dailyBudgetMicros: 500_000,
    });
    const client = trpcClient(api, keyed.plaintext);
    const created = (await client.mutation("batches.create", {
      name: "keyed",
      model: "sim-small",
      requests: [batchLine("a"), batchLine("b")],
      submit: true,
    })) as { id: string };
    const batch = async () =>
      (await client.query("batches.get", { id: created.id })) as { status: string; costMicros: number };
    await expect.poll(async () => (await batch()).status, { timeout: 15_000 }).toBe("completed");
    const { costMicros } = await batch();
    expect(costMicros).toBeGreaterThan(0);
    const { rows } = await sql<{ spent: string; reserved: string }>`
      select coalesce(sum(spent_micros), 0) as spent, coalesce(sum(reserved_micros), 0) as reserved
      from budget_spend where tenant_id = ${tenant.id} and scope = 'key_day' and subject = ${keyed.key.id}`.execute(
      t.db,
    );
    expect({ spent: Number(rows[0]!.spent), reserved: Number(rows[0]!.reserved) }).toEqual({
      spent: costMicros,
      reserved: 0,
    });
  });
});
