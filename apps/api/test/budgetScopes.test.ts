import { useTestDatabase } from "@sluice/db/testing";
import OpenAI from "openai";
import { describe, expect, it } from "vitest";
import type { AppRouter } from "../src/root.ts";
import { useOpenAiApi } from "./support/openaiClient.ts";
import { eventSourceClient } from "./support/trpcClients.ts";

const t = useTestDatabase();
const ctx = useOpenAiApi(t);

const admin = () =>
  eventSourceClient<AppRouter>({
    url: `${ctx.api.url}/trpc`,
    headers: { authorization: `Bearer ${ctx.api.admin.key}` },
  });

/** A small chat through the official SDK with `key`, as `user` when given; its error when refused. */
function chat(key: string, options: { user?: string; headers?: Record<string, string> } = {}) {
  const sdk = new OpenAI({ apiKey: key, baseURL: `${ctx.api.url}/v1`, maxRetries: 0 });
  return sdk.chat.completions
    .create(
      {
        model: "sim-small",
        messages: [{ role: "user", content: "hello" }],
        max_tokens: 50,
        ...(options.user ? { user: options.user } : {}),
      },
      options.headers ? { headers: options.headers } : {},
    )
    .then(
      (completion) => ({ status: 200, completion }),
      (error: InstanceType<typeof OpenAI.APIError>) => ({
        status: error.status,
        message: error.message,
        code: (error.error as { code?: string } | undefined)?.code,
      }),
    );
}

describe("budget scopes over HTTP and the admin API", () => {
  it("refuses with 402 naming the tenant's monthly budget while its daily budget has room", async () => {
    const tenant = await ctx.api.tenant("monthly-http", "tenant", { dailyBudgetMicros: 1_000_000 });
    expect(await chat(tenant.key)).toMatchObject({ status: 200 });
    const updated = await admin().tenants.setLimits.mutate({ id: tenant.id, monthlyBudgetMicros: 0 });
    expect(updated).toMatchObject({ dailyBudgetMicros: 1_000_000, monthlyBudgetMicros: 0 });
    expect(await chat(tenant.key)).toMatchObject({
      status: 402,
      code: "budget_exceeded",
      message: expect.stringContaining("tenant monthly budget"),
    });
    await admin().tenants.setLimits.mutate({ id: tenant.id, monthlyBudgetMicros: null });
    expect(await chat(tenant.key)).toMatchObject({ status: 200 });
  });

  it("holds a key to its own budget, set on create and changed on update, while the tenant's other keys spend", async () => {
    const tenant = await ctx.api.tenant("key-budget-http", "tenant");
    const capped = await admin().apiKeys.create.mutate({
      tenantId: tenant.id,
      name: "capped",
      dailyBudgetMicros: 0,
    });
    expect(capped.key).toMatchObject({ dailyBudgetMicros: 0, monthlyBudgetMicros: null });
    expect(await chat(capped.plaintext)).toMatchObject({
      status: 402,
      code: "budget_exceeded",
      message: expect.stringContaining(`API key daily budget of key ${capped.key.id}`),
    });
    expect(await chat(tenant.key)).toMatchObject({ status: 200 });
    // Lifted on update, the key spends; a monthly budget of 0 set the same way stops it again.
    await admin().apiKeys.update.mutate({ id: capped.key.id, dailyBudgetMicros: null });
    expect(await chat(capped.plaintext)).toMatchObject({ status: 200 });
    const monthly = await admin().apiKeys.update.mutate({ id: capped.key.id, monthlyBudgetMicros: 0 });
    expect(monthly).toMatchObject({ dailyBudgetMicros: null, monthlyBudgetMicros: 0 });
    expect(await chat(capped.plaintext)).toMatchObject({
      status: 402,
      message: expect.stringContaining("API key monthly budget"),
    });
  });

  it("holds each end user named by `user` or X-Sluice-User to the tenant's end-user budget", async () => {
    const tenant = await ctx.api.tenant("user-budget-http", "tenant");
    const limited = await admin().tenants.setLimits.mutate({ id: tenant.id, endUserDailyBudgetMicros: 0 });
    expect(limited.endUserDailyBudgetMicros).toBe(0);
    expect(await chat(tenant.key, { user: "ada" })).toMatchObject({
      status: 402,
      message: expect.stringContaining('end-user daily budget of end user "ada"'),
    });
    expect(await chat(tenant.key, { headers: { "x-sluice-user": "bob" } })).toMatchObject({
      status: 402,
      message: expect.stringContaining('end user "bob"'),
    });
    // A call that names no end user is the tenant's alone.
    expect(await chat(tenant.key)).toMatchObject({ status: 200 });
  });

  it("takes an alert share in (0, 1] only, and raises the alert metric once the share is spent", async () => {
    const tenant = await ctx.api.tenant("alert-http", "tenant", { dailyBudgetMicros: 1_000_000 });
    await expect(
      admin().tenants.setLimits.mutate({ id: tenant.id, budgetAlertShare: 1.5 }),
    ).rejects.toThrow();
    await expect(admin().tenants.setLimits.mutate({ id: tenant.id, budgetAlertShare: 0 })).rejects.toThrow();
    await admin().tenants.setLimits.mutate({ id: tenant.id, budgetAlertShare: 0.000001 });
    const alerts = async () => {
      const text = await (await fetch(`${ctx.api.url}/metrics`)).text();
      return Number(/^sluice_budget_alerts_total\{budget="tenant_day"\} (\d+)$/m.exec(text)?.[1] ?? 0);
    };
    const before = await alerts();
    expect(await chat(tenant.key)).toMatchObject({ status: 200 });
    expect(await chat(tenant.key)).toMatchObject({ status: 200 });
    // Spend is written within the guard's write interval; the alert follows the write that crossed.
    await expect.poll(alerts, { timeout: 5_000 }).toBe(before + 1);
    const rows = await t.db
      .selectFrom("budgetAlerts")
      .selectAll()
      .where("tenantId", "=", tenant.id)
      .execute();
    expect(rows).toMatchObject([{ scope: "tenant_day", budgetMicros: 1_000_000 }]);
  });
});
