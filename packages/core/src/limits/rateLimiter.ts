import { type Db, leaseRateLimit, releaseRateLimit, type Tenant } from "@sluice/db";
import { SluiceError } from "../errors/sluiceError.ts";
import { type Clock, systemClock } from "./clock.ts";
import { createKeyedQueue } from "./keyedQueue.ts";
import { type LeaseOptions, leaseOptions } from "./leaseOptions.ts";

const WINDOW_MS = 60_000;

/** What a rate-limit check tells the caller (for X-RateLimit-* headers). */
export interface RateLimitState {
  limitRequests: number | null;
  limitTokens: number | null;
  /** Epoch ms when the current window ends. */
  resetAt: number;
}

/** Per-tenant requests/minute and tokens/minute, shared by every process through Postgres. */
export interface RateLimiter {
  /** Counts one request of `tokens` prompt tokens; over the limit → `rate_limit_exceeded`. */
  take(tenant: Tenant, tokens: number): Promise<RateLimitState>;
  /** Gives unused leases back (call before the process exits). */
  close(): Promise<void>;
}

interface Cost {
  requests: number;
  tokens: number;
}

interface WindowLease {
  windowStart: number;
  requests: number;
  tokens: number;
  /** `performance.now()` of the last use: idleness is measured in real time, whatever the clock. */
  lastUsedAt: number;
}

/**
 * Requests and tokens per minute are counted in Postgres, so limits hold across any number of
 * processes. Each process leases a slice of a tenant's window (a share of the limit, never more
 * than is left) and counts requests against it locally, so a busy tenant costs one round trip per
 * slice instead of one per request. Slices left unused go back after `idleReleaseMs`.
 */
export function createRateLimiter(db: Db, options: LeaseOptions & { clock?: Clock } = {}): RateLimiter {
  const clock = options.clock ?? systemClock;
  const { share, idleReleaseMs } = leaseOptions(options);
  const leases = new Map<string, WindowLease>();
  const serial = createKeyedQueue();
  let idleTimer: NodeJS.Timeout | undefined;

  function overLimit(tenant: Tenant, state: RateLimitState, now: number): SluiceError {
    return new SluiceError(
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

  /** Takes `cost` from the process's slice of the window, when it has enough. */
  function takeLocally(lease: WindowLease | undefined, windowStart: number, cost: Cost): boolean {
    if (
      !lease ||
      lease.windowStart !== windowStart ||
      lease.requests < cost.requests ||
      lease.tokens < cost.tokens
    )
      return false;
    lease.requests -= cost.requests;
    lease.tokens -= cost.tokens;
    lease.lastUsedAt = performance.now();
    return true;
  }

  async function release(tenantId: string, lease: WindowLease): Promise<void> {
    const { requests, tokens } = lease;
    lease.requests = 0;
    lease.tokens = 0;
    if (requests === 0 && tokens === 0) return;
    await releaseRateLimit(db, { tenantId, windowStart: new Date(lease.windowStart), requests, tokens });
  }

  function scheduleIdleRelease(): void {
    if (idleTimer || idleReleaseMs <= 0) return;
    idleTimer = setTimeout(() => {
      idleTimer = undefined;
      const now = clock.now();
      const idleSince = performance.now() - idleReleaseMs;
      for (const [tenantId, lease] of leases) {
        if (lease.lastUsedAt > idleSince) continue;
        leases.delete(tenantId);
        // A window that has ended needs nothing back; a current one gets its unused slice back.
        if (lease.windowStart + WINDOW_MS > now)
          void serial.run(tenantId, () => release(tenantId, lease)).catch(() => {});
      }
      if (leases.size > 0) scheduleIdleRelease();
    }, idleReleaseMs);
    idleTimer.unref();
  }

  async function take(tenant: Tenant, tokens: number): Promise<RateLimitState> {
    const now = clock.now();
    const windowStart = Math.floor(now / WINDOW_MS) * WINDOW_MS;
    const state = {
      limitRequests: tenant.rateLimitRpm,
      limitTokens: tenant.rateLimitTpm,
      resetAt: windowStart + WINDOW_MS,
    };
    if (tenant.rateLimitRpm === null && tenant.rateLimitTpm === null) return state;
    // Only limited dimensions are counted.
    const cost = {
      requests: tenant.rateLimitRpm === null ? 0 : 1,
      tokens: tenant.rateLimitTpm === null ? 0 : tokens,
    };
    if (takeLocally(leases.get(tenant.id), windowStart, cost)) return state;
    await serial.run(tenant.id, async () => {
      // Another request may have refilled the lease while this one waited.
      const current = leases.get(tenant.id);
      if (takeLocally(current, windowStart, cost)) return;
      const fresh =
        current?.windowStart === windowStart
          ? current
          : { windowStart, requests: 0, tokens: 0, lastUsedAt: performance.now() };
      const needRequests = Math.max(0, cost.requests - fresh.requests);
      const needTokens = Math.max(0, cost.tokens - fresh.tokens);
      const grant = await leaseRateLimit(db, {
        tenantId: tenant.id,
        windowStart: new Date(windowStart),
        needRequests,
        needTokens,
        wantRequests: Math.max(needRequests, Math.floor((tenant.rateLimitRpm ?? 0) * share)),
        wantTokens: Math.max(needTokens, Math.floor((tenant.rateLimitTpm ?? 0) * share)),
        maxRequests: tenant.rateLimitRpm,
        maxTokens: tenant.rateLimitTpm,
      });
      if (!grant) throw overLimit(tenant, state, now);
      fresh.requests += grant.requests;
      fresh.tokens += grant.tokens;
      leases.set(tenant.id, fresh);
      if (!takeLocally(fresh, windowStart, cost)) throw overLimit(tenant, state, now);
      scheduleIdleRelease();
    });
    return state;
  }

  return {
    take,
    async close() {
      if (idleTimer) clearTimeout(idleTimer);
      idleTimer = undefined;
      const now = clock.now();
      const pending = [...leases].filter(([, lease]) => lease.windowStart + WINDOW_MS > now);
      leases.clear();
      await Promise.allSettled(
        pending.map(([tenantId, lease]) => serial.run(tenantId, () => release(tenantId, lease))),
      );
    },
  };
}
