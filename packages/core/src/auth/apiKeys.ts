import { hash, randomBytes, timingSafeEqual } from "node:crypto";
import {
  type ApiKeyPolicyFields,
  type ApiKeyRole,
  type ApiKeySummary,
  type Db,
  type FoundApiKey,
  findActiveKeyByHash,
  insertApiKey,
  rotateApiKey as rotateStoredKey,
  type Tenant,
  touchApiKey,
} from "@sluice/db";
import { SluiceError } from "../errors/sluiceError.ts";
import { type Clock, systemClock } from "../limits/clock.ts";

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
  input: { tenantId: string; role: ApiKeyRole; name?: string } & ApiKeyPolicyFields,
): Promise<{ key: ApiKeySummary; plaintext: string }> {
  const generated = generateApiKey();
  const { name, ...rest } = input;
  const key = await insertApiKey(db, {
    ...rest,
    keyPrefix: generated.prefix,
    keyHash: generated.hash,
    ...(name ? { name } : {}),
  });
  return { key, plaintext: generated.plaintext };
}

/**
 * Gives a live key a new secret, returned this once; the old secret keeps working for `graceMs`,
 * then is refused with `key_rotated`. The key keeps its id, limits and attribution.
 */
export async function rotateApiKey(
  db: Db,
  id: string,
  graceMs: number,
): Promise<{ key: ApiKeySummary; plaintext: string } | undefined> {
  const generated = generateApiKey();
  const key = await rotateStoredKey(db, id, {
    keyPrefix: generated.prefix,
    keyHash: generated.hash,
    graceMs,
  });
  return key && { key, plaintext: generated.plaintext };
}

/** Who a request is. */
export interface Principal {
  tenant: Tenant;
  key: ApiKeySummary;
  role: ApiKeyRole;
}

/** A found key as a principal, or the refusal its expiry or rotation calls for at `now`. */
export function principalAt(found: Pick<FoundApiKey, "key" | "tenant" | "previous">, now: number): Principal {
  const { key } = found;
  if (key.expiresAt !== null && key.expiresAt.getTime() <= now) {
    throw new SluiceError("key_expired", `this API key expired at ${key.expiresAt.toISOString()}`, {
      details: { expiredAt: key.expiresAt.toISOString() },
    });
  }
  if (found.previous && (key.previousValidUntil === null || key.previousValidUntil.getTime() <= now)) {
    throw new SluiceError("key_rotated", "this API key was rotated: use the new secret it was given", {
      details: { rotatedAt: key.rotatedAt?.toISOString() ?? null },
    });
  }
  return { tenant: found.tenant, key, role: key.role };
}

/**
 * Resolves a bearer key to its tenant; missing, malformed, unknown, revoked or disabled → 401
 * `unauthorized`; past its expiry → 401 `key_expired`; an old secret after its rotation grace →
 * 401 `key_rotated`.
 */
export async function authenticate(
  db: Db,
  presented: string | undefined,
  clock: Clock = systemClock,
): Promise<Principal> {
  const found = await findPresentedKey(db, presented);
  const principal = principalAt(found, clock.now());
  void touchApiKey(db, found.key.id).catch(() => {});
  return principal;
}

/** The stored key a presented secret names (current or rotated-out), else 401 `unauthorized`. */
export async function findPresentedKey(db: Db, presented: string | undefined): Promise<FoundApiKey> {
  if (!presented) throw new SluiceError("unauthorized", "missing API key: send Authorization: Bearer <key>");
  if (!KEY_PATTERN.test(presented)) throw new SluiceError("unauthorized", "invalid API key");
  const hash = hashApiKey(presented);
  const found = await findActiveKeyByHash(db, hash);
  // The lookup is by hash; comparing again in constant time keeps timing independent of the match.
  if (!found || !timingSafeEqual(Buffer.from(hash), Buffer.from(hashApiKey(presented)))) {
    throw new SluiceError("unauthorized", "invalid, revoked or disabled API key");
  }
  return found;
}

/** Throws 403 unless the principal holds the admin role. */
export function requireAdmin(principal: Principal): void {
  if (principal.role !== "admin") throw new SluiceError("forbidden", "this operation needs an admin API key");
}
