import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { DbConstraintError } from "../errors.ts";
import { useTestDatabase } from "../testing/testDatabase.ts";
import {
  apiKeyConstraints,
  findActiveKeyByHash,
  insertApiKey,
  listApiKeys,
  revokeApiKey,
  touchApiKey,
} from "./apiKeys.ts";
import { disableTenant, insertTenant } from "./tenants.ts";

const t = useTestDatabase();
const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");

describe("api keys repository", () => {
  it("stores only the hash and finds the live key with its tenant", async () => {
    const tenant = await insertTenant(t.db, { name: "keys-1" });
    const key = await insertApiKey(t.db, {
      tenantId: tenant.id,
      role: "tenant",
      keyPrefix: "slk_abc",
      keyHash: sha256("secret-1"),
      name: "ci",
    });
    expect(key).not.toHaveProperty("keyHash");
    const found = await findActiveKeyByHash(t.db, sha256("secret-1"));
    expect(found?.key).toEqual(key);
    expect(found?.tenant.id).toBe(tenant.id);
    expect(await findActiveKeyByHash(t.db, sha256("wrong"))).toBeUndefined();
  });

  it("raises a key for a tenant that does not exist as a foreign-key violation naming the constraint", async () => {
    const error = await insertApiKey(t.db, {
      tenantId: "00000000-0000-4000-8000-000000000000",
      role: "tenant",
      keyPrefix: "slk_nobody",
      keyHash: sha256("nobody"),
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DbConstraintError);
    expect(error).toMatchObject({
      kind: "foreign_key_violation",
      constraint: apiKeyConstraints.tenant,
      table: "api_keys",
    });
  });

  it("raises a second key with the same hash as a unique violation", async () => {
    const tenant = await insertTenant(t.db, { name: "keys-hash" });
    const key = { tenantId: tenant.id, role: "tenant" as const, keyPrefix: "h", keyHash: sha256("same") };
    await insertApiKey(t.db, key);
    await expect(insertApiKey(t.db, key)).rejects.toMatchObject({
      kind: "unique_violation",
      constraint: apiKeyConstraints.uniqueHash,
    });
  });

  it("rejects a value that is not a sha-256 hex digest", async () => {
    const tenant = await insertTenant(t.db, { name: "keys-2" });
    await expect(
      insertApiKey(t.db, { tenantId: tenant.id, role: "tenant", keyPrefix: "slk_x", keyHash: "plaintext" }),
    ).rejects.toThrow(/check/);
  });

  it("stops authenticating revoked keys and keys of disabled tenants", async () => {
    const tenant = await insertTenant(t.db, { name: "keys-3" });
    const a = await insertApiKey(t.db, {
      tenantId: tenant.id,
      role: "admin",
      keyPrefix: "a",
      keyHash: sha256("a"),
    });
    await insertApiKey(t.db, { tenantId: tenant.id, role: "tenant", keyPrefix: "b", keyHash: sha256("b") });
    expect((await revokeApiKey(t.db, a.id))?.revokedAt).toBeInstanceOf(Date);
    expect(await findActiveKeyByHash(t.db, sha256("a"))).toBeUndefined();
    expect(await findActiveKeyByHash(t.db, sha256("b"))).toBeDefined();
    await disableTenant(t.db, tenant.id);
    expect(await findActiveKeyByHash(t.db, sha256("b"))).toBeUndefined();
  });

  it("lists a tenant's keys only, and scopes revocation to the tenant", async () => {
    const one = await insertTenant(t.db, { name: "keys-4" });
    const two = await insertTenant(t.db, { name: "keys-5" });
    const k1 = await insertApiKey(t.db, {
      tenantId: one.id,
      role: "tenant",
      keyPrefix: "1",
      keyHash: sha256("k1"),
    });
    await insertApiKey(t.db, { tenantId: two.id, role: "tenant", keyPrefix: "2", keyHash: sha256("k2") });
    expect((await listApiKeys(t.db, one.id)).map((k) => k.id)).toEqual([k1.id]);
    expect(await revokeApiKey(t.db, k1.id, { tenantId: two.id })).toBeUndefined();
    expect(await listApiKeys(t.db, one.id)).toHaveLength(1);
    await revokeApiKey(t.db, k1.id, { tenantId: one.id });
    expect(await listApiKeys(t.db, one.id)).toHaveLength(0);
    expect(await listApiKeys(t.db, one.id, { includeRevoked: true })).toHaveLength(1);
  });

  it("records last use at most once a minute", async () => {
    const tenant = await insertTenant(t.db, { name: "keys-6" });
    const key = await insertApiKey(t.db, {
      tenantId: tenant.id,
      role: "tenant",
      keyPrefix: "t",
      keyHash: sha256("t"),
    });
    await touchApiKey(t.db, key.id);
    const first = (await listApiKeys(t.db, tenant.id))[0]?.lastUsedAt;
    expect(first).toBeInstanceOf(Date);
    await touchApiKey(t.db, key.id);
    expect((await listApiKeys(t.db, tenant.id))[0]?.lastUsedAt).toEqual(first);
  });
});
