import { randomUUID } from "node:crypto";
import { costMicros, type SpendReport } from "@sluice/core";
import { sql, useTestDatabase } from "@sluice/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppRouter } from "../src/root.ts";
import { eventSourceClient } from "./support/trpcClients.ts";
import { startTestApi, type TestApi } from "./testApi.ts";

// The spend report over HTTP and tRPC: grouped by key, end user, model and day, with provider
// batch spend and cache savings, equal to the sums of the call log and its daily roll-up.

const t = useTestDatabase();
let api: TestApi;
const trpc = (key: string) =>
  eventSourceClient<AppRouter>({ url: `${api.url}/trpc`, headers: { authorization: `Bearer ${key}` } });
let tenantId: string;
let keys: { id: string; plaintext: string }[];
const today = () => new Date().toISOString().slice(0, 10);
const rolledDay = "2026-11-20";

async function chat(key: string, model: string, user?: string, extra: Record<string, unknown> = {}) {
  const res = await fetch(`${api.url}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify({ model, messages: [{ role: "user", content: "spend report" }], user, ...extra }),
  });
  expect(res.status).toBe(200);
}

async function spend(key: string, query: string) {
  const res = await fetch(`${api.url}/v1/spend?${query}`, { headers: { authorization: `Bearer ${key}` } });
  return { status: res.status, body: (await res.json()) as SpendReport };
}

/** Every call of the tenant as the report should see it: call-log rows and roll-up rows alike. */
async function usageRows() {
  await api.services.runtime.callLog.flush();
  const raw = await t.db
    .selectFrom("llmCalls")
    .select([
      "apiKeyId",
      "endUser",
      "model",
      "costMicros",
      "cacheHit",
      "inputTokens",
      "outputTokens",
      "batchId",
      "createdAt",
    ])
    .where("tenantId", "=", tenantId)
    .execute();
  const rolled = await t.db
    .selectFrom("llmUsageDaily")
    .selectAll()
    .select(sql<string>`to_char(day, 'YYYY-MM-DD')`.as("dayText"))
    .where("tenantId", "=", tenantId)
    .execute();
  return [
    ...raw.map((r) => ({
      key: r.apiKeyId,
      user: r.endUser,
      model: r.model,
      day: r.createdAt.toISOString().slice(0, 10),
      calls: 1,
      cost: r.costMicros,
      batchCost: r.batchId ? r.costMicros : 0,
      cachedIn: r.cacheHit ? r.inputTokens : 0,
      cachedOut: r.cacheHit ? r.outputTokens : 0,
    })),
    ...rolled.map((r) => ({
      key: r.apiKeyId,
      user: r.endUser,
      model: r.model,
      day: r.dayText,
      calls: r.calls,
      cost: r.costMicros,
      batchCost: r.batch ? r.costMicros : 0,
      cachedIn: r.cachedInputTokens,
      cachedOut: r.cachedOutputTokens,
    })),
  ];
}

type Usage = Awaited<ReturnType<typeof usageRows>>[number];

/** The report's groups, worked out from the rows here: calls, cost, batch cost, cache savings. */
function expected(rows: Usage[], by: ("key" | "user" | "model" | "day")[]) {
  const groups = new Map<
    string,
    { calls: number; cost: number; batchCost: number; byModel: Map<string, [number, number]> }
  >();
  for (const r of rows) {
    const id = JSON.stringify(by.map((d) => r[d]));
    const g = groups.get(id) ?? { calls: 0, cost: 0, batchCost: 0, byModel: new Map() };
    g.calls += r.calls;
    g.cost += r.cost;
    g.batchCost += r.batchCost;
    const cached = g.byModel.get(r.model) ?? [0, 0];
    g.byModel.set(r.model, [cached[0] + r.cachedIn, cached[1] + r.cachedOut]);
    groups.set(id, g);
  }
  return new Map(
    [...groups].map(([id, g]) => {
      let saved = 0;
      for (const [model, [inputTokens, outputTokens]] of g.byModel)
        if (inputTokens + outputTokens > 0)
          saved += costMicros(api.services.runtime.registry.get(model), { inputTokens, outputTokens });
      return [
        id,
        { calls: g.calls, costMicros: g.cost, batchCostMicros: g.batchCost, cacheSavedMicros: saved },
      ];
    }),
  );
}

function actual(report: SpendReport, by: ("key" | "user" | "model" | "day")[]) {
  const field = { key: "apiKeyId", user: "endUser", model: "model", day: "day" } as const;
  return new Map(
    report.groups.map((g) => [
      JSON.stringify(by.map((d) => g[field[d]] ?? null)),
      {
        calls: g.calls,
        costMicros: g.costMicros,
        batchCostMicros: g.batchCostMicros,
        cacheSavedMicros: g.cacheSavedMicros,
      },
    ]),
  );
}

beforeAll(async () => {
  api = await startTestApi(t);
  const tenant = await api.tenant("spend", "tenant");
  tenantId = tenant.id;
  const admin = trpc(api.admin.key);
  keys = [];
  for (const name of ["k1", "k2"]) {
    const { key, plaintext } = await admin.apiKeys.create.mutate({ tenantId, role: "tenant", name });
    keys.push({ id: key.id, plaintext });
  }
  const [k1, k2] = keys as [(typeof keys)[0], (typeof keys)[0]];
  await chat(k1.plaintext, "sim-small", "u1");
  await chat(k1.plaintext, "sim-small", "u1", { temperature: 0 });
  await chat(k1.plaintext, "sim-small", "u1", { temperature: 0 }); // answered from the cache
  await chat(k1.plaintext, "gpt-4o-mini", "u2");
  await chat(k2.plaintext, "gpt-4o-mini");
  await chat(api.b.key, "sim-small", "u1"); // another tenant's: never in this tenant's report
  await api.services.runtime.callLog.flush();
  // A provider batch's answer, as the batch path logs it, and a day already rolled up.
  await t.db
    .insertInto("llmCalls")
    .values({
      tenantId,
      apiKeyId: k2.id,
      endUser: null,
      kind: "chat",
      model: "sim-small",
      provider: "simulator",
      inputTokens: 100,
      outputTokens: 50,
      costMicros: 17,
      latencyMs: 0,
      status: "ok",
      batchId: randomUUID(),
    } as never)
    .execute();
  await t.db
    .insertInto("llmUsageDaily")
    .values({
      day: rolledDay,
      tenantId,
      model: "gpt-4o-mini",
      provider: "simulator",
      kind: "chat",
      apiKeyId: k1.id,
      endUser: "u2",
      batch: false,
      calls: 4,
      errors: 0,
      cacheHits: 1,
      inputTokens: 400,
      outputTokens: 200,
      costMicros: 321,
      cachedInputTokens: 100,
      cachedOutputTokens: 50,
      latencyMs: 40,
    } as never)
    .execute();
});
afterAll(() => api?.close());

describe("spend report", () => {
  const from = `from=${rolledDay}&to=${today()}`;
  for (const by of [
    ["key"],
    ["user"],
    ["model"],
    ["day"],
    ["key", "model"],
    ["user", "day"],
    ["key", "user", "model", "day"],
  ] as const) {
    it(`adds up exactly by ${by.join(",")}, raw rows and roll-ups alike`, async () => {
      const { status, body } = await spend(keys[0]!.plaintext, `${from}&by=${by.join(",")}`);
      expect(status).toBe(200);
      expect(actual(body, [...by])).toEqual(expected(await usageRows(), [...by]));
    });
  }

  it("totals batch spend and cache savings, and only the caller's tenant", async () => {
    const { body } = await spend(keys[1]!.plaintext, from);
    const rows = await usageRows();
    const all = expected(rows, []).get("[]");
    expect(body.total).toMatchObject(all ?? {});
    expect(body.total.batchCostMicros).toBeGreaterThan(0);
    expect(body.total.cacheSavedMicros).toBeGreaterThan(0);
    expect(body.total.cacheHits).toBeGreaterThanOrEqual(2);
    const viaTrpc = await trpc(keys[1]!.plaintext).stats.spend.query({
      from: rolledDay,
      to: today(),
      by: ["key"],
    });
    expect(viaTrpc.groups.map((g) => g.apiKeyId).sort()).toEqual(keys.map((k) => k.id).sort());
    expect(viaTrpc.groups.find((g) => g.apiKeyId === keys[0]!.id)?.keyName).toBe("k1");
  });

  it("keeps tenants apart: another tenant's key is refused this tenant's spend, an admin sees any", async () => {
    const other = await spend(api.b.key, `${from}&tenant_id=${tenantId}`);
    expect(other.status).toBe(403);
    const own = await spend(api.b.key, `${from}&by=key,user`);
    expect(own.body.groups.some((g) => keys.some((k) => k.id === g.apiKeyId))).toBe(false);
    const admin = await spend(api.admin.key, `${from}&by=tenant&tenant_id=${tenantId}`);
    expect(admin.body.groups.map((g) => g.tenantId)).toEqual([tenantId]);
    expect(admin.body.total.costMicros).toBe(expected(await usageRows(), []).get("[]")?.costMicros);
  });

  it("answers a bad query with 400", async () => {
    for (const query of [
      "by=colour",
      "from=2026-13-01",
      "from=2026-12-02&to=2026-12-01",
      "from=2020-01-01&to=2026-01-01",
    ]) {
      expect((await spend(keys[0]!.plaintext, query)).status).toBe(400);
    }
  });
});
