import { findTenantById, insertTenant } from "@sluice/db";
import { useTestDatabase } from "@sluice/db/testing";
import { describe, expect, it } from "vitest";
import { createAuthenticator } from "../auth/authenticator.ts";
import { createApiKeyInputSchema, createTenantInputSchema } from "./adminSchemas.ts";
import { createAdminService } from "./adminService.ts";

const t = useTestDatabase();

function setup() {
  // A long cache lifetime: anything that works after a change below worked because the service cleared it.
  const auth = createAuthenticator(t.db, { ttlMs: 60_000 });
  return { auth, admin: createAdminService({ db: t.db, auth }) };
}

describe("admin service", () => {
  it("creates a tenant without showing its webhook secret, and refuses a taken name as a conflict", async () => {
    const { admin } = setup();
    const tenant = await admin.createTenant(
      createTenantInputSchema.parse({ name: " acme ", rateLimitRpm: 60 }),
    );
    expect(tenant).toMatchObject({ name: "acme", rateLimitRpm: 60, dailyBudgetMicros: null });
    expect(tenant).not.toHaveProperty("webhookSecret");
    await expect(admin.createTenant({ name: "acme" })).rejects.toMatchObject({
      code: "conflict",
      message: 'a tenant named "acme" exists',
    });
  });

  it("finds a tenant by id or by name, disabled ones included, and says not_found otherwise", async () => {
    const { admin } = setup();
    const tenant = await admin.createTenant({ name: "lookup" });
    await admin.disableTenant(tenant.id);
    expect((await admin.findTenant(tenant.id)).name).toBe("lookup");
    expect((await admin.findTenant("lookup")).id).toBe(tenant.id);
    expect(await admin.findTenant("lookup")).not.toHaveProperty("webhookSecret");
    await expect(admin.findTenant("nobody")).rejects.toMatchObject({ code: "not_found" });
    await expect(admin.findTenant("00000000-0000-4000-8000-000000000000")).rejects.toMatchObject({
      code: "not_found",
    });
  });

  it("disabling a tenant stops its cached keys at once; enabling lets them back in", async () => {
    const { admin, auth } = setup();
    const tenant = await admin.createTenant({ name: "disable-me" });
    const { plaintext } = await admin.createApiKey(createApiKeyInputSchema.parse({ tenantId: tenant.id }));
    expect((await auth.authenticate(plaintext)).tenant.id).toBe(tenant.id);
    expect((await admin.disableTenant(tenant.id)).disabledAt).toBeInstanceOf(Date);
    await expect(auth.authenticate(plaintext)).rejects.toMatchObject({ code: "unauthorized" });
    expect((await admin.listTenants()).map((x) => x.id)).not.toContain(tenant.id);
    expect((await admin.listTenants({ includeDisabled: true })).map((x) => x.id)).toContain(tenant.id);
    expect((await admin.enableTenant(tenant.id)).disabledAt).toBeNull();
    expect((await auth.authenticate(plaintext)).tenant.id).toBe(tenant.id);
  });

  it("changes only the given limits, and cached principals see them at once", async () => {
    const { admin, auth } = setup();
    const tenant = await admin.createTenant({ name: "limits", rateLimitRpm: 10, rateLimitTpm: 1000 });
    const { plaintext } = await admin.createApiKey({ tenantId: tenant.id, role: "tenant" });
    expect((await auth.authenticate(plaintext)).tenant.rateLimitRpm).toBe(10);
    const updated = await admin.setTenantLimits(tenant.id, { rateLimitRpm: 20, dailyBudgetMicros: null });
    expect(updated).toMatchObject({ rateLimitRpm: 20, rateLimitTpm: 1000, dailyBudgetMicros: null });
    expect((await auth.authenticate(plaintext)).tenant.rateLimitRpm).toBe(20);
  });

  it("answers not_found for tenants and keys that do not exist", async () => {
    const { admin } = setup();
    const missing = "00000000-0000-4000-8000-000000000001";
    await expect(admin.disableTenant(missing)).rejects.toMatchObject({ code: "not_found" });
    await expect(admin.enableTenant(missing)).rejects.toMatchObject({ code: "not_found" });
    await expect(admin.setTenantLimits(missing, { rateLimitRpm: 5 })).rejects.toMatchObject({
      code: "not_found",
    });
    await expect(admin.revokeApiKey(missing)).rejects.toMatchObject({ code: "not_found" });
    await expect(admin.createApiKey({ tenantId: missing, role: "tenant" })).rejects.toMatchObject({
      code: "not_found",
      message: `tenant ${missing} not found`,
    });
    await expect(admin.setWebhook(missing, { url: null })).rejects.toMatchObject({ code: "not_found" });
  });

  it("returns a key's plaintext once, lists keys, and a revoked key stops at once", async () => {
    const { admin, auth } = setup();
    const tenant = await admin.createTenant({ name: "keys" });
    const created = await admin.createApiKey({ tenantId: tenant.id, role: "admin", name: "ci" });
    expect(created.plaintext).toMatch(/^slk_/);
    expect(created.key).toMatchObject({ tenantId: tenant.id, role: "admin", name: "ci" });
    expect(created.key).not.toHaveProperty("keyHash");
    const listed = await admin.listApiKeys(tenant.id);
    expect(listed.map((k) => k.id)).toEqual([created.key.id]);
    expect(listed[0]).not.toHaveProperty("plaintext");
    await auth.authenticate(created.plaintext);
    expect((await admin.revokeApiKey(created.key.id)).revokedAt).toBeInstanceOf(Date);
    await expect(auth.authenticate(created.plaintext)).rejects.toMatchObject({ code: "unauthorized" });
    expect(await admin.listApiKeys(tenant.id)).toEqual([]);
    expect(await admin.listApiKeys(tenant.id, { includeRevoked: true })).toHaveLength(1);
  });

  it("gives a tenant a webhook secret on first read, keeps it on set, and rotates it when asked", async () => {
    const { admin, auth } = setup();
    const tenant = await insertTenant(t.db, { name: "hooks" });
    const { plaintext } = await admin.createApiKey({ tenantId: tenant.id, role: "tenant" });
    const first = await admin.getWebhook(tenant.id);
    expect(first).toEqual({ url: null, secret: expect.stringMatching(/^whsec_/) });
    expect(await admin.getWebhook(tenant.id)).toEqual(first);

    await auth.authenticate(plaintext);
    const set = await admin.setWebhook(tenant.id, { url: "https://example.com/hook" });
    expect(set).toEqual({ url: "https://example.com/hook", secret: first.secret });
    // The cached principal carries the tenant row: it shows the new endpoint at once.
    expect((await auth.authenticate(plaintext)).tenant.webhookUrl).toBe("https://example.com/hook");

    const rotated = await admin.setWebhook(tenant.id, { url: null, rotateSecret: true });
    expect(rotated.url).toBeNull();
    expect(rotated.secret).toMatch(/^whsec_/);
    expect(rotated.secret).not.toBe(first.secret);
    expect((await findTenantById(t.db, tenant.id))?.webhookSecret).toBe(rotated.secret);
  });

  it("gives a tenant that never read its webhook a secret when its endpoint is set", async () => {
    const { admin } = setup();
    const tenant = await insertTenant(t.db, { name: "hooks-set-first" });
    const set = await admin.setWebhook(tenant.id, { url: "https://example.com/first" });
    expect(set.secret).toMatch(/^whsec_/);
    expect(await admin.getWebhook(tenant.id)).toEqual(set);
  });
});
