import { randomBytes } from "node:crypto";
import { disableTenant, insertApiKey, insertTenant, revokeApiKey } from "@sluice/db";
import { useTestDatabase } from "@sluice/db/testing";
import { describe, expect, it } from "vitest";
import { isSluiceError } from "../errors/sluiceError.ts";
import { resolveApiKey, resolveTenant } from "./adminLookup.ts";

const t = useTestDatabase();

/** A key with a chosen prefix, so tests can make prefixes collide. */
function key(tenantId: string, keyPrefix: string, name = "") {
  return insertApiKey(t.db, {
    tenantId,
    role: "tenant",
    keyPrefix,
    keyHash: randomBytes(32).toString("hex"),
    name,
  });
}

describe("admin lookups by what people type", () => {
  it("finds a tenant by id or exact name, disabled ones too, and names what was typed when none matches", async () => {
    const orbit = await insertTenant(t.db, { name: "orbit" });
    await insertTenant(t.db, { name: "Orbit Labs" });
    await disableTenant(t.db, orbit.id);
    expect((await resolveTenant(t.db, orbit.id)).name).toBe("orbit");
    expect((await resolveTenant(t.db, " orbit ")).id).toBe(orbit.id);
    await expect(resolveTenant(t.db, "orbi")).rejects.toMatchObject({
      code: "not_found",
      message: 'no tenant has the id or name "orbi"; did you mean "orbit", "Orbit Labs"?',
    });
    await expect(resolveTenant(t.db, "zeta")).rejects.toMatchObject({
      code: "not_found",
      message: 'no tenant has the id or name "zeta"',
    });
    await expect(resolveTenant(t.db, "00000000-0000-4000-8000-000000000000")).rejects.toMatchObject({
      code: "not_found",
    });
  });

  it("finds a key by id, whole or partial prefix (slk_ optional) or name; ambiguity lists every match", async () => {
    const acme = await insertTenant(t.db, { name: "acme" });
    const beta = await insertTenant(t.db, { name: "beta" });
    const one = await key(acme.id, "slk_dupe0001", "ci");
    const two = await key(beta.id, "slk_dupe0002", "ci");
    expect((await resolveApiKey(t.db, one.id)).keyPrefix).toBe("slk_dupe0001");
    expect((await resolveApiKey(t.db, "slk_dupe0002")).id).toBe(two.id);
    expect((await resolveApiKey(t.db, "dupe0001")).id).toBe(one.id);
    expect(await resolveApiKey(t.db, "slk_dupe0001")).toEqual({
      id: one.id,
      tenantId: acme.id,
      tenantName: "acme",
      keyPrefix: "slk_dupe0001",
      name: "ci",
      revokedAt: null,
      createdAt: one.createdAt,
    });
    const ambiguous = resolveApiKey(t.db, "slk_dupe");
    await expect(ambiguous).rejects.toMatchObject({
      code: "validation_error",
      details: { ref: "slk_dupe", matches: expect.arrayContaining([one.id, two.id]) },
    });
    await expect(ambiguous).rejects.toThrow(
      /^"slk_dupe" matches 2 API keys: slk_dupe000\d "ci" \(tenant (acme|beta), id .+\); slk_dupe000\d/,
    );
    await expect(resolveApiKey(t.db, "ci")).rejects.toMatchObject({ code: "validation_error" });
    expect((await resolveApiKey(t.db, "ci", { tenant: "beta" })).id).toBe(two.id);
    expect((await resolveApiKey(t.db, "slk_dupe", { tenant: acme.id })).id).toBe(one.id);
    await expect(resolveApiKey(t.db, two.id, { tenant: "acme" })).rejects.toMatchObject({
      code: "not_found",
      message: `no API key has the id, prefix or name "${two.id}" in tenant acme`,
    });
    await expect(resolveApiKey(t.db, "nope")).rejects.toMatchObject({
      code: "not_found",
      message: 'no API key has the id, prefix or name "nope"',
    });
    await expect(resolveApiKey(t.db, "ci", { tenant: "gamma" })).rejects.toMatchObject({
      code: "not_found",
      message: 'no tenant has the id or name "gamma"',
    });
  });

  it("prefers live keys over revoked ones among several matches, and still finds a revoked key alone", async () => {
    const acme = await insertTenant(t.db, { name: "rotating" });
    const old = await key(acme.id, "slk_rota0001", "deploy");
    await revokeApiKey(t.db, old.id);
    const current = await key(acme.id, "slk_rota0002", "deploy");
    expect((await resolveApiKey(t.db, "deploy")).id).toBe(current.id);
    expect((await resolveApiKey(t.db, "slk_rota")).id).toBe(current.id);
    // The whole prefix names one key, revoked or not.
    expect((await resolveApiKey(t.db, "slk_rota0001")).id).toBe(old.id);
    await revokeApiKey(t.db, current.id);
    await expect(resolveApiKey(t.db, "deploy")).rejects.toMatchObject({ code: "validation_error" });
  });

  it("lists at most ten matches and says there are more", async () => {
    const acme = await insertTenant(t.db, { name: "many" });
    for (let i = 0; i < 12; i++) await key(acme.id, `slk_many${String(i).padStart(4, "0")}`);
    const failure = resolveApiKey(t.db, "slk_many");
    await expect(failure).rejects.toThrow(/^"slk_many" matches more than 10 API keys: /);
    const error = await failure.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isSluiceError(error, "validation_error")).toBe(true);
    if (!isSluiceError(error)) return;
    expect(error.details?.matches).toHaveLength(10);
  });
});
