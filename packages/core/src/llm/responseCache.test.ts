import { insertTenant } from "@sluice/db";
import { sql, useTestDatabase } from "@sluice/db/testing";
import { beforeAll, describe, expect, it } from "vitest";
import type { ProviderChatRequest } from "../providers/provider.ts";
import { createResponseCache } from "./responseCache.ts";

const t = useTestDatabase();
let tenantA: string;
let tenantB: string;

beforeAll(async () => {
  tenantA = (await insertTenant(t.db, { name: "cache-a" })).id;
  tenantB = (await insertTenant(t.db, { name: "cache-b" })).id;
});

const request = (content: string, temperature = 0): ProviderChatRequest => ({
  model: "sim-small",
  messages: [{ role: "user", content }],
  temperature,
});
const usage = { inputTokens: 10, outputTokens: 5 };

function counter() {
  let calls = 0;
  return {
    get calls() {
      return calls;
    },
    compute: async (text: string) => {
      calls++;
      return { text, usage };
    },
  };
}

describe("response cache", () => {
  it("is eligible only for deterministic requests unless forced, never when off", () => {
    const cache = createResponseCache({ db: t.db, ttlSeconds: 60, scope: "tenant" });
    expect(cache.eligible(request("x", 0), "auto")).toBe(true);
    expect(cache.eligible(request("x", 0.7), "auto")).toBe(false);
    expect(cache.eligible({ ...request("x", 0), n: 2 }, "auto")).toBe(false);
    expect(cache.eligible(request("x", 0.7), "force")).toBe(true);
    expect(cache.eligible(request("x", 0), "off")).toBe(false);
  });

  it("misses, then hits with the stored value, counting hits", async () => {
    const cache = createResponseCache({ db: t.db, ttlSeconds: 60, scope: "tenant" });
    const upstream = counter();
    const key = cache.keyFor(request("hello"), {
      provider: "simulator",
      modelId: "sim-small",
      tenantId: tenantA,
    });
    const scope = { tenantId: tenantA, modelId: "sim-small" };
    const first = await cache.getOrCompute(key, scope, () => upstream.compute("one"));
    const second = await cache.getOrCompute(key, scope, () => upstream.compute("two"));
    expect([first.hit, second.hit, upstream.calls]).toEqual([false, true, 1]);
    expect(second.value).toEqual({ text: "one", usage });
    const row = await t.db
      .selectFrom("llmCache")
      .selectAll()
      .where("key", "=", key)
      .executeTakeFirstOrThrow();
    expect([row.hitCount, row.tenantId, row.inputTokens]).toEqual([1, tenantA, 10]);
  });

  it("expires entries after their TTL", async () => {
    const cache = createResponseCache({ db: t.db, ttlSeconds: 60, scope: "tenant" });
    const upstream = counter();
    const key = cache.keyFor(request("ttl"), {
      provider: "simulator",
      modelId: "sim-small",
      tenantId: tenantA,
    });
    const scope = { tenantId: tenantA, modelId: "sim-small" };
    await cache.getOrCompute(key, scope, () => upstream.compute("old"));
    await sql`update llm_cache set expires_at = now() - interval '1 second' where key = ${key}`.execute(t.db);
    const after = await cache.getOrCompute(key, scope, () => upstream.compute("new"));
    expect([after.hit, upstream.calls]).toEqual([false, 2]);
    expect(after.value.text).toBe("new");
  });

  it("scopes keys per tenant by default and shares them only when configured", () => {
    const scoped = createResponseCache({ db: t.db, ttlSeconds: 60, scope: "tenant" });
    const site = { provider: "simulator", modelId: "sim-small" };
    expect(scoped.keyFor(request("same"), { ...site, tenantId: tenantA })).not.toBe(
      scoped.keyFor(request("same"), { ...site, tenantId: tenantB }),
    );
    const shared = createResponseCache({ db: t.db, ttlSeconds: 60, scope: "shared" });
    expect(shared.keyFor(request("same"), { ...site, tenantId: tenantA })).toBe(
      shared.keyFor(request("same"), { ...site, tenantId: tenantB }),
    );
  });

  it("never shares a key between requests that differ only in their tools or tool choice", () => {
    const cache = createResponseCache({ db: t.db, ttlSeconds: 60, scope: "tenant" });
    const site = { provider: "simulator", modelId: "sim-small", tenantId: tenantA };
    const tool = (city: string) => ({
      name: "get_weather",
      parameters: { type: "object", properties: { [city]: { type: "string" } } },
    });
    const keys = [
      cache.keyFor(request("q"), site),
      cache.keyFor({ ...request("q"), tools: [tool("city")] }, site),
      cache.keyFor({ ...request("q"), tools: [tool("town")] }, site),
      cache.keyFor({ ...request("q"), tools: [tool("city")], toolChoice: "required" }, site),
      cache.keyFor({ ...request("q"), tools: [tool("city")], parallelToolCalls: false }, site),
    ];
    expect(new Set(keys).size).toBe(keys.length);
  });

  it("gives the same key for the same request whatever the key order, and another for other content", () => {
    const cache = createResponseCache({ db: t.db, ttlSeconds: 60, scope: "tenant" });
    const site = { provider: "simulator", modelId: "sim-small", tenantId: tenantA };
    const a = cache.keyFor({ model: "m", temperature: 0, messages: [{ role: "user", content: "q" }] }, site);
    const b = cache.keyFor({ messages: [{ content: "q", role: "user" }], temperature: 0, model: "m" }, site);
    const c = cache.keyFor({ model: "m", temperature: 0, messages: [{ role: "user", content: "q2" }] }, site);
    expect(a).toBe(b);
    expect(a).not.toBe(c);
  });

  it("makes a single upstream call for 50 concurrent identical requests", async () => {
    const cache = createResponseCache({ db: t.db, ttlSeconds: 60, scope: "tenant" });
    const upstream = counter();
    const key = cache.keyFor(request("burst"), {
      provider: "simulator",
      modelId: "sim-small",
      tenantId: tenantB,
    });
    const results = await Promise.all(
      Array.from({ length: 50 }, () =>
        cache.getOrCompute(key, { tenantId: tenantB, modelId: "sim-small" }, () => upstream.compute("once")),
      ),
    );
    expect(upstream.calls).toBe(1);
    expect(results.filter((r) => !r.hit)).toHaveLength(1);
    expect(new Set(results.map((r) => r.value.text))).toEqual(new Set(["once"]));
  });

  it("does not store a failed computation", async () => {
    const cache = createResponseCache({ db: t.db, ttlSeconds: 60, scope: "tenant" });
    const key = cache.keyFor(request("boom"), {
      provider: "simulator",
      modelId: "sim-small",
      tenantId: tenantA,
    });
    const scope = { tenantId: tenantA, modelId: "sim-small" };
    await expect(
      cache.getOrCompute(key, scope, async () => Promise.reject(new Error("upstream down"))),
    ).rejects.toThrow("upstream down");
    const upstream = counter();
    expect((await cache.getOrCompute(key, scope, () => upstream.compute("ok"))).hit).toBe(false);
  });
});
