import { insertTenant, revokeApiKey } from "@sluice/db";
import { useTestDatabase } from "@sluice/db/testing";
import { describe, expect, it } from "vitest";
import { createApiKey } from "./apiKeys.ts";
import { createAuthenticator } from "./authenticator.ts";

const t = useTestDatabase();

describe("cached authenticator", () => {
  it("serves a good key from memory until it expires, and forgets revoked keys on request", async () => {
    let now = 1_000;
    const auth = createAuthenticator(t.db, { ttlMs: 5_000, clock: { now: () => now } });
    const tenant = await insertTenant(t.db, { name: "auth-cache" });
    const { key, plaintext } = await createApiKey(t.db, { tenantId: tenant.id, role: "tenant" });
    expect((await auth.authenticate(plaintext)).key.id).toBe(key.id);
    await revokeApiKey(t.db, key.id);
    expect((await auth.authenticate(plaintext)).key.id).toBe(key.id);
    now += 5_001;
    await expect(auth.authenticate(plaintext)).rejects.toMatchObject({ code: "unauthorized" });

    const other = await createApiKey(t.db, { tenantId: tenant.id, role: "tenant" });
    await auth.authenticate(other.plaintext);
    await revokeApiKey(t.db, other.key.id);
    auth.forgetKey(other.key.id);
    await expect(auth.authenticate(other.plaintext)).rejects.toMatchObject({ code: "unauthorized" });
  });

  it("never caches a failure", async () => {
    const auth = createAuthenticator(t.db);
    await expect(
      auth.authenticate("slk_AAAAAAAA_missingmissingmissingmissingmissing1"),
    ).rejects.toMatchObject({ code: "unauthorized" });
    await expect(auth.authenticate(undefined)).rejects.toMatchObject({ code: "unauthorized" });
  });
});
