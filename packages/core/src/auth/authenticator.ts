import type { Db } from "@sluice/db";
import type { Clock } from "../limits/clock.ts";
import { systemClock } from "../limits/clock.ts";
import { authenticate, hashApiKey, type Principal } from "./apiKeys.ts";

/** Authenticates keys, remembering good ones briefly so hot keys skip the database. */
export interface Authenticator {
  authenticate(presented: string | undefined): Promise<Principal>;
  /** Forgets a revoked key at once (this process); others see it within the cache lifetime. */
  forgetKey(keyId: string): void;
  /** Forgets every key of a tenant (disabled, or its limits changed). */
  forgetTenant(tenantId: string): void;
}

/**
 * Wraps {@link authenticate} with a cache of successful lookups for `ttlMs` (default 5 s). Only
 * hashes are kept; failures are never cached, so a new key works at once.
 */
export function createAuthenticator(
  db: Db,
  options: { ttlMs?: number; clock?: Clock; maxEntries?: number } = {},
): Authenticator {
  const ttlMs = options.ttlMs ?? 5_000;
  const clock = options.clock ?? systemClock;
  const maxEntries = options.maxEntries ?? 10_000;
  const cache = new Map<string, { principal: Principal; expiresAt: number }>();
  return {
    async authenticate(presented) {
      if (presented && ttlMs > 0) {
        const hit = cache.get(hashApiKey(presented));
        if (hit && hit.expiresAt > clock.now()) return hit.principal;
      }
      const principal = await authenticate(db, presented);
      if (ttlMs > 0 && presented) {
        if (cache.size >= maxEntries) cache.delete(cache.keys().next().value as string);
        cache.set(hashApiKey(presented), { principal, expiresAt: clock.now() + ttlMs });
      }
      return principal;
    },
    forgetKey(keyId) {
      for (const [hash, entry] of cache) if (entry.principal.key.id === keyId) cache.delete(hash);
    },
    forgetTenant(tenantId) {
      for (const [hash, entry] of cache) if (entry.principal.tenant.id === tenantId) cache.delete(hash);
    },
  };
}
