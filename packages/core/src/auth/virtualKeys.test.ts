import { insertTenant, updateApiKey } from "@sluice/db";
import { useTestDatabase } from "@sluice/db/testing";
import { describe, expect, it } from "vitest";
import { createRateLimiter } from "../limits/rateLimiter.ts";
import { createTestClock } from "../testing/testClock.ts";
import { createApiKey, rotateApiKey } from "./apiKeys.ts";
import { createAuthenticator } from "./authenticator.ts";
import { assertModelAllowed, endUserOf, modelAllowed } from "./keyPolicy.ts";

const t = useTestDatabase();
const keyWindow = (apiKeyId: string, iso: string) =>
  t.db
    .selectFrom("apiKeyRateWindows")
    .select(["requests", "tokens"])
    .where("apiKeyId", "=", apiKeyId)
    .where("windowStart", "=", new Date(iso))
    .executeTakeFirst();

describe("model patterns", () => {
  it("matches models and cascades by pattern, either way a cascade is named", () => {
    const patterns = ["gpt-4o*", "support-*"];
    expect(modelAllowed(patterns, "gpt-4o")).toBe(true);
    expect(modelAllowed(patterns, "gpt-4o-mini")).toBe(true);
    expect(modelAllowed(patterns, "gpt-4.1")).toBe(false);
    expect(modelAllowed(patterns, "cascade:support-fast")).toBe(true);
    expect(modelAllowed(patterns, "cascade:tickets")).toBe(false);
    expect(modelAllowed(["cascade:*"], "cascade:tickets")).toBe(true);
    expect(modelAllowed(["a.b"], "axb")).toBe(false);
    expect(modelAllowed(null, "anything")).toBe(true);
    expect(modelAllowed([], "anything")).toBe(false);
    expect(() => assertModelAllowed({ allowedModels: ["gpt-4o*"] }, "claude-sonnet")).toThrow(
      expect.objectContaining({ code: "model_not_allowed" }),
    );
  });

  it("takes the end user from the header before the body, and refuses keys and over-long ids", () => {
    expect(endUserOf("hdr-user", "body-user")).toBe("hdr-user");
    expect(endUserOf(undefined, " body-user ")).toBe("body-user");
    expect(endUserOf("  ", "body-user")).toBe("body-user");
    expect(endUserOf(undefined, undefined)).toBeUndefined();
    expect(endUserOf(undefined, 42)).toBeUndefined();
    expect(() => endUserOf("x".repeat(257), undefined)).toThrow(
      expect.objectContaining({ code: "validation_error" }),
    );
    expect(() => endUserOf(undefined, "slk_AAAAAAAA_secretsecret")).toThrow(
      expect.objectContaining({ code: "validation_error" }),
    );
  });
});

describe("key expiry and rotation", () => {
  it("refuses a key past its expiry with key_expired, cached or not", async () => {
    const clock = createTestClock(new Date("2026-12-08T00:00:00Z"));
    const auth = createAuthenticator(t.db, { clock });
    const tenant = await insertTenant(t.db, { name: "vk-exp" });
    const { plaintext } = await createApiKey(t.db, {
      tenantId: tenant.id,
      role: "tenant",
      expiresAt: new Date("2026-12-08T00:00:02Z"),
    });
    await expect(auth.authenticate(plaintext)).resolves.toMatchObject({ tenant: { id: tenant.id } });
    clock.advance(2_000);
    await expect(auth.authenticate(plaintext)).rejects.toMatchObject({ code: "key_expired" });
    await expect(createAuthenticator(t.db, { clock }).authenticate(plaintext)).rejects.toMatchObject({
      code: "key_expired",
    });
  });

  it("accepts both secrets during the grace period, then refuses the old one with key_rotated", async () => {
    const auth = createAuthenticator(t.db, { ttlMs: 0 });
    const tenant = await insertTenant(t.db, { name: "vk-rot" });
    const { key, plaintext: old } = await createApiKey(t.db, { tenantId: tenant.id, role: "tenant" });
    const rotated = await rotateApiKey(t.db, key.id, 60_000);
    expect(rotated?.key.id).toBe(key.id);
    expect(rotated?.plaintext).not.toBe(old);
    expect((await auth.authenticate(old)).key.id).toBe(key.id);
    expect((await auth.authenticate(rotated?.plaintext)).key.id).toBe(key.id);
    // The grace ends (as Postgres stamped it, so the test moves the stamp rather than waiting).
    await updateApiKey(t.db, key.id, { name: "rotated" });
    await t.db
      .updateTable("apiKeys")
      .set({ previousValidUntil: new Date(Date.now() - 1) })
      .where("id", "=", key.id)
      .execute();
    await expect(auth.authenticate(old)).rejects.toMatchObject({ code: "key_rotated" });
    expect((await auth.authenticate(rotated?.plaintext)).key.id).toBe(key.id);
    // A second rotation forgets the first secret entirely.
    const again = await rotateApiKey(t.db, key.id, 0);
    await expect(auth.authenticate(old)).rejects.toMatchObject({ code: "unauthorized" });
    await expect(auth.authenticate(rotated?.plaintext)).rejects.toMatchObject({ code: "key_rotated" });
    expect((await auth.authenticate(again?.plaintext)).key.id).toBe(key.id);
  });
});

describe("per-key rate limits", () => {
  it("throttles a key at its own rpm across two limiters while its tenant has room, charging neither on refusal", async () => {
    const tenant = await insertTenant(t.db, { name: "vk-rpm", rateLimitRpm: 100 });
    const { key } = await createApiKey(t.db, { tenantId: tenant.id, role: "tenant", rateLimitRpm: 5 });
    const clock = { now: () => Date.parse("2026-12-08T01:00:10Z") };
    const limiters = [0, 1].map(() => createRateLimiter(t.db, { clock, leaseShare: 0.5 }));
    const results = await Promise.allSettled(
      Array.from({ length: 12 }, (_, i) => limiters[i % 2]!.take({ tenant, apiKey: key }, 0)),
    );
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(5);
    // The headers show the tighter limit: the key's 5, not the tenant's 100.
    expect(results.find((r) => r.status === "fulfilled")).toMatchObject({ value: { limitRequests: 5 } });
    const refused = results.find((r) => r.status === "rejected");
    expect(refused).toMatchObject({ reason: { code: "rate_limit_exceeded", details: { scope: "key" } } });
    await Promise.all(limiters.map((l) => l.close()));
    expect(await keyWindow(key.id, "2026-12-08T01:00:00Z")).toEqual({ requests: 5, tokens: 0 });
    const tenantWindow = await t.db
      .selectFrom("rateLimitWindows")
      .select("requests")
      .where("tenantId", "=", tenant.id)
      .executeTakeFirstOrThrow();
    expect(tenantWindow.requests).toBe(5);
    // Another key of the same tenant is not held back by the first one's limit.
    const other = await createApiKey(t.db, { tenantId: tenant.id, role: "tenant" });
    await expect(
      createRateLimiter(t.db, { clock }).take({ tenant, apiKey: other.key }, 0),
    ).resolves.toBeDefined();
  });

  it("throttles a key at its tpm, and the tenant's limit still holds under a looser key", async () => {
    const tenant = await insertTenant(t.db, { name: "vk-tpm", rateLimitRpm: 3 });
    const { key } = await createApiKey(t.db, {
      tenantId: tenant.id,
      role: "tenant",
      rateLimitTpm: 1_000,
      rateLimitRpm: 50,
    });
    const limiter = createRateLimiter(t.db, {
      clock: { now: () => Date.parse("2026-12-08T02:00:00Z") },
      leaseShare: 0,
    });
    await limiter.take({ tenant, apiKey: key }, 600);
    await expect(limiter.take({ tenant, apiKey: key }, 600)).rejects.toMatchObject({
      code: "rate_limit_exceeded",
      details: { scope: "key", limitTokensPerMinute: 1_000 },
    });
    await limiter.take({ tenant, apiKey: key }, 400);
    await limiter.take({ tenant, apiKey: key }, 0);
    await expect(limiter.take({ tenant, apiKey: key }, 0)).rejects.toMatchObject({
      details: { scope: "tenant" },
    });
    await limiter.close();
    expect(await keyWindow(key.id, "2026-12-08T02:00:00Z")).toEqual({ requests: 3, tokens: 1_000 });
  });
});
