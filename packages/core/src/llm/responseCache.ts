import { createHash } from "node:crypto";
import { type Db, putCacheEntry, takeCacheHit } from "@sluice/db";
import type { TokenUsage } from "../models/cost.ts";
import type { ProviderChatRequest } from "../providers/provider.ts";
import { canonicalJson } from "./canonicalJson.ts";

/** When a request may be served from the cache: `auto` only when deterministic, `force` always, `off` never. */
export type CacheMode = "auto" | "force" | "off";

/** Settings of the response cache. */
export interface ResponseCacheOptions {
  db: Db;
  ttlSeconds: number;
  /** `tenant` (default): entries are private to a tenant; `shared`: tenants share entries. */
  scope: "tenant" | "shared";
}

/** A cached or freshly computed value. */
export interface CacheOutcome<T> {
  value: T;
  hit: boolean;
}

/** Content-addressed LLM response cache in Postgres, with single-flight for identical requests. */
export interface ResponseCache {
  /** Whether this request is eligible under the mode. */
  eligible(request: ProviderChatRequest, mode: CacheMode): boolean;
  /** The key of a request for a model at a provider, scoped to the tenant unless sharing is on. */
  keyFor(
    request: ProviderChatRequest,
    site: { provider: string; modelId: string; tenantId: string | null },
  ): string;
  /** The cached value, or `compute()`'s, stored for next time; concurrent callers share one computation. */
  getOrCompute<T extends { usage: TokenUsage }>(
    key: string,
    scope: { tenantId: string | null; modelId: string },
    compute: () => Promise<T>,
  ): Promise<CacheOutcome<T>>;
}

/** Creates the response cache. */
export function createResponseCache(options: ResponseCacheOptions): ResponseCache {
  const inFlight = new Map<string, Promise<CacheOutcome<unknown>>>();

  async function lookupOrCompute<T extends { usage: TokenUsage }>(
    key: string,
    scope: { tenantId: string | null; modelId: string },
    compute: () => Promise<T>,
  ): Promise<CacheOutcome<T>> {
    const hit = await takeCacheHit(options.db, key);
    if (hit) return { value: hit.response as T, hit: true };
    const value = await compute();
    await putCacheEntry(options.db, {
      key,
      tenantId: options.scope === "shared" ? null : scope.tenantId,
      model: scope.modelId,
      response: value,
      inputTokens: value.usage.inputTokens,
      outputTokens: value.usage.outputTokens,
      ttlSeconds: options.ttlSeconds,
    });
    return { value, hit: false };
  }

  return {
    eligible(request, mode) {
      if (mode === "off") return false;
      if (mode === "force") return true;
      return request.temperature === 0 && (request.n ?? 1) === 1;
    },
    keyFor(request, site) {
      const scope = options.scope === "shared" ? "shared" : `tenant:${site.tenantId ?? "system"}`;
      return createHash("sha256")
        .update(canonicalJson({ scope, provider: site.provider, model: site.modelId, request }))
        .digest("hex");
    },
    async getOrCompute(key, scope, compute) {
      const pending = inFlight.get(key);
      if (pending) {
        const shared = await pending;
        // The followers of a single flight did not call upstream either: to them it is a hit.
        return { value: shared.value as never, hit: true };
      }
      const run = lookupOrCompute(key, scope, compute);
      inFlight.set(key, run);
      try {
        return await run;
      } finally {
        inFlight.delete(key);
      }
    },
  };
}
