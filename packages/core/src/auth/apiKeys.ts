import { hash, randomBytes, timingSafeEqual } from "node:crypto";
import {
  type ApiKeyRole,
  type ApiKeySummary,
  type Db,
  findActiveKeyByHash,
  insertApiKey,
  type Tenant,
  touchApiKey,
} from "@sluice/db";
import { SluiceError } from "../errors/sluiceError.ts";

const KEY_PATTERN = /^slk_([A-Za-z0-9]{8})_([A-Za-z0-9_-]{32,64})$/;

/** The SHA-256 of a key, as stored. */
export function hashApiKey(key: string): string {
  return hash("sha256", key, "hex");
}

/** A new key: `slk_<8 id chars>_<43 secret chars>`; only its prefix and hash are ever stored. */
export function generateApiKey(): { plaintext: string; prefix: string; hash: string } {
  const id = randomBytes(6).toString("base64url").replace(/[-_]/g, "x").slice(0, 8);
  const plaintext = `slk_${id}_${randomBytes(32).toString("base64url")}`;
  return { plaintext, prefix: `slk_${id}`, hash: hashApiKey(plaintext) };
}

/** Creates a key for a tenant and returns its plaintext, shown this once. */
export async function createApiKey(
  db: Db,
  input: { tenantId: string; role: ApiKeyRole; name?: string },
): Promise<{ key: ApiKeySummary; plaintext: string }> {
  const generated = generateApiKey();
  const key = await insertApiKey(db, {
    tenantId: input.tenantId,
    role: input.role,
    keyPrefix: generated.prefix,
    keyHash: generated.hash,
    ...(input.name ? { name: input.name } : {}),
  });
  return { key, plaintext: generated.plaintext };
}

/** Who a request is. */
export interface Principal {
  tenant: Tenant;
  key: ApiKeySummary;
  role: ApiKeyRole;
}

/** Resolves a bearer key to its tenant; missing, malformed, unknown, revoked or disabled → 401. */
export async function authenticate(db: Db, presented: string | undefined): Promise<Principal> {
  if (!presented) throw new SluiceError("unauthorized", "missing API key: send Authorization: Bearer <key>");
  if (!KEY_PATTERN.test(presented)) throw new SluiceError("unauthorized", "invalid API key");
  const hash = hashApiKey(presented);
  const found = await findActiveKeyByHash(db, hash);
  // The lookup is by hash; comparing again in constant time keeps timing independent of the match.
  if (!found || !timingSafeEqual(Buffer.from(hash), Buffer.from(hashApiKey(presented)))) {
    throw new SluiceError("unauthorized", "invalid, revoked or disabled API key");
  }
  void touchApiKey(db, found.key.id).catch(() => {});
  return { tenant: found.tenant, key: found.key, role: found.key.role };
}

/** Throws 403 unless the principal holds the admin role. */
export function requireAdmin(principal: Principal): void {
  if (principal.role !== "admin") throw new SluiceError("forbidden", "this operation needs an admin API key");
}
