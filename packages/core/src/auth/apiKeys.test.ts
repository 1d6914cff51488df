import { disableTenant, insertTenant, revokeApiKey } from "@sluice/db";
import { useTestDatabase } from "@sluice/db/testing";
import { describe, expect, it } from "vitest";
import { authenticate, createApiKey, generateApiKey, hashApiKey, requireAdmin } from "./apiKeys.ts";

const t = useTestDatabase();

describe("API keys", () => {
  it("generates distinct keys whose hash, not plaintext, is stored", async () => {
    const a = generateApiKey();
    const b = generateApiKey();
    expect(a.plaintext).toMatch(/^slk_[A-Za-z0-9]{8}_[A-Za-z0-9_-]{43}$/);
    expect(a.plaintext).not.toBe(b.plaintext);
    expect(a.hash).toBe(hashApiKey(a.plaintext));
    const tenant = await insertTenant(t.db, { name: "keys" });
    const { plaintext } = await createApiKey(t.db, { tenantId: tenant.id, role: "tenant", name: "ci" });
    const stored = await t.db
      .selectFrom("apiKeys")
      .select(["keyHash", "keyPrefix"])
      .where("tenantId", "=", tenant.id)
      .execute();
    expect(stored).toEqual([{ keyHash: hashApiKey(plaintext), keyPrefix: plaintext.slice(0, 12) }]);
  });

  it("authenticates a live key and refuses missing, malformed, unknown, revoked and disabled ones", async () => {
    const tenant = await insertTenant(t.db, { name: "auth" });
    const { key, plaintext } = await createApiKey(t.db, { tenantId: tenant.id, role: "tenant" });
    expect((await authenticate(t.db, plaintext)).tenant.id).toBe(tenant.id);
    for (const bad of [undefined, "nope", generateApiKey().plaintext]) {
      await expect(authenticate(t.db, bad)).rejects.toMatchObject({ code: "unauthorized" });
    }
    await revokeApiKey(t.db, key.id);
    await expect(authenticate(t.db, plaintext)).rejects.toMatchObject({ code: "unauthorized" });
    const other = await createApiKey(t.db, { tenantId: tenant.id, role: "admin" });
    expect(() => requireAdmin({ role: "admin" } as never)).not.toThrow();
    await disableTenant(t.db, tenant.id);
    await expect(authenticate(t.db, other.plaintext)).rejects.toMatchObject({ code: "unauthorized" });
  });

  it("forbids admin operations to tenant keys", () => {
    expect(() => requireAdmin({ role: "tenant" } as never)).toThrow(
      expect.objectContaining({ code: "forbidden" }),
    );
  });
});
