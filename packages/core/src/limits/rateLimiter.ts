import { type Db, type Tenant, takeRateLimit } from "@sluice/db";
import { SluiceError } from "../errors/sluiceError.ts";
import { type Clock, systemClock } from "./clock.ts";

const WINDOW_MS = 60_000;

/** What a rate-limit check tells the caller (for X-RateLimit-* headers). */
export interface RateLimitState {
  limitRequests: number | null;
  limitTokens: number | null;
  /** Epoch ms when the current window ends. */
  resetAt: number;
}

/**
 * Per-tenant requests/minute and tokens/minute, counted in Postgres so every API and worker
 * process shares them. Over the limit → `rate_limit_exceeded` with the wait until the next window.
 */
export function createRateLimiter(db: Db, clock: Clock = systemClock) {
  return {
    async take(tenant: Tenant, tokens: number): Promise<RateLimitState> {
      const now = clock.now();
      const windowStart = Math.floor(now / WINDOW_MS) * WINDOW_MS;
      const state = {
        limitRequests: tenant.rateLimitRpm,
        limitTokens: tenant.rateLimitTpm,
        resetAt: windowStart + WINDOW_MS,
      };
      if (tenant.rateLimitRpm === null && tenant.rateLimitTpm === null) return state;
      const ok = await takeRateLimit(db, {
        tenantId: tenant.id,
        windowStart: new Date(windowStart),
        tokens,
        maxRequests: tenant.rateLimitRpm,
        maxTokens: tenant.rateLimitTpm,
      });
      if (!ok) {
        throw new SluiceError(
          "rate_limit_exceeded",
          "rate limit exceeded for this tenant; retry after the window resets",
          {
            retryAfterMs: state.resetAt - now,
            details: {
              limitRequestsPerMinute: tenant.rateLimitRpm,
              limitTokensPerMinute: tenant.rateLimitTpm,
              resetAt: new Date(state.resetAt).toISOString(),
            },
          },
        );
      }
      return state;
    },
  };
}

/** A rate limiter bound to a database. */
export type RateLimiter = ReturnType<typeof createRateLimiter>;
