import { type Db, type FoundApiKey, touchApiKey } from "@sluice/db";
import type { Clock } from "../limits/clock.ts";
import { systemClock } from "../limits/clock.ts";
import { findPresentedKey, hashApiKey, type Principal, principalAt } from "./apiKeys.ts";

/** Authenticates keys, remembering good ones briefly so hot keys skip the database. */
export interface Authenticator {
  authenticate(presented: string | undefined): Promise<Principal>;
  /** Forgets a revoked, rotated or changed key at once (this process); others within the cache lifetime. */
  forgetKey(keyId: string): void;
  /** Forgets every key of a tenant (disabled, or its limits changed). */
  forgetTenant(tenantId: string): void;
}

/**
 * Wraps key lookup with a cache of successful lookups for `ttlMs` (default 5 s). Only hashes are
 * kept; failures are never cached, so a new key works at once. Expiry and a rotated secret's grace
 * are judged on every request, cached or not, so they take effect to the millisecond; a change
 * made through another process (revocation, rotation, new limits or models) is seen here within
 * `ttlMs`, and at once in the process that made it.
 */
export function createAuthenticator(
  db: Db,
  options: { ttlMs?: number; clock?: Clock; maxEntries?: number } = {},
): Authenticator {
  const ttlMs = options.ttlMs ?? 5_000;
  const clock = options.clock ?? systemClock;
  const maxEntries = options.maxEntries ?? 10_000;
  const cache = new Map<string, { found: FoundApiKey; expiresAt: number }>();
  return {
    async authenticate(presented) {
      if (presented && ttlMs > 0) {
        const hit = cache.get(hashApiKey(presented));
        if (hit && hit.expiresAt > clock.now()) return principalAt(hit.found, clock.now());
      }
      const found = await findPresentedKey(db, presented);
      const principal = principalAt(found, clock.now());
      void touchApiKey(db, found.key.id).catch(() => {});
      if (ttlMs > 0 && presented) {
        if (cache.size >= maxEntries) cache.delete(cache.keys().next().value as string);
        cache.set(hashApiKey(presented), { found, expiresAt: clock.now() + ttlMs });
      }
      return principal;
    },
    forgetKey(keyId) {
      for (const [hash, entry] of cache) if (entry.found.key.id === keyId) cache.delete(hash);
    },
    forgetTenant(tenantId) {
      for (const [hash, entry] of cache) if (entry.found.tenant.id === tenantId) cache.delete(hash);
    },
  };
}
