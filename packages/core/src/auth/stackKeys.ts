import { type Db, findTenantByName, insertTenant } from "@sluice/db";
import { authenticate, createApiKey } from "./apiKeys.ts";

/** The keys a local stack hands its user: an admin key and a demo tenant's key. */
export interface StackKeys {
  adminKey: string;
  demoKey: string;
  demoTenantId: string;
}

/**
 * Keys saved by an earlier start when they still work with their role; new ones (and the
 * `admin` and `demo` tenants) otherwise, so a restarted stack keeps its user's keys.
 */
export async function ensureStackKeys(
  db: Db,
  saved: { adminKey?: string | undefined; demoKey?: string | undefined } | undefined,
): Promise<StackKeys> {
  const valid = async (key: string | undefined, role: "admin" | "tenant") => {
    if (!key) return false;
    try {
      return (await authenticate(db, key)).role === role;
    } catch {
      return false;
    }
  };
  const tenantNamed = async (name: string) =>
    (await findTenantByName(db, name)) ?? insertTenant(db, { name });
  const adminKey =
    saved?.adminKey && (await valid(saved.adminKey, "admin"))
      ? saved.adminKey
      : (
          await createApiKey(db, {
            tenantId: (await tenantNamed("admin")).id,
            role: "admin",
            name: "sluice up",
          })
        ).plaintext;
  const demo = await tenantNamed("demo");
  const demoKey =
    saved?.demoKey && (await valid(saved.demoKey, "tenant"))
      ? saved.demoKey
      : (await createApiKey(db, { tenantId: demo.id, role: "tenant", name: "sluice up demo" })).plaintext;
  return { adminKey, demoKey, demoTenantId: demo.id };
}
