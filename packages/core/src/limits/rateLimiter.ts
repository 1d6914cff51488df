import {
  type Db,
  leaseKeyRateLimit,
  leaseRateLimit,
  releaseKeyRateLimit,
  releaseRateLimit,
  type Tenant,
} from "@sluice/db";
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

/** The limits of an API key, on top of its tenant's (null = none of its own). */
export interface KeyRateLimits {
  id: string;
  rateLimitRpm?: number | null;
  rateLimitTpm?: number | null;
}

/** Who a request is counted against: its tenant, and its key when the key has limits. */
export interface RateLimitSubject {
  tenant: Tenant;
  apiKey?: KeyRateLimits | undefined;
}

/** Per-tenant and per-key requests/minute and tokens/minute, shared by every process through Postgres. */
export interface RateLimiter {
  /**
   * Counts one request of `tokens` prompt tokens against the tenant and, when it has limits, the
   * key; over either → `rate_limit_exceeded` and neither is charged. A bare tenant is a subject
   * without a key.
   */
  take(subject: RateLimitSubject | Tenant, tokens: number): Promise<RateLimitState>;
  /** Gives unused leases back (call before the process exits). */
  close(): Promise<void>;
}

interface Cost {
  requests: number;
  tokens: number;
}

/** One counted thing: a tenant or a key, with its limits. */
interface Scope {
  kind: "tenant" | "key";
  id: string;
  rpm: number | null;
  tpm: number | null;
}

interface WindowLease {
  scope: Scope;
  windowStart: number;
  requests: number;
  tokens: number;
  /** `performance.now()` of the last use: idleness is measured in real time, whatever the clock. */
  lastUsedAt: number;
}

function scopesOf(subject: RateLimitSubject | Tenant): Scope[] {
  const { tenant, apiKey } = "tenant" in subject ? subject : { tenant: subject, apiKey: undefined };
  const scopes: Scope[] = [];
  if (apiKey && ((apiKey.rateLimitRpm ?? null) !== null || (apiKey.rateLimitTpm ?? null) !== null))
    scopes.push({
      kind: "key",
      id: apiKey.id,
      rpm: apiKey.rateLimitRpm ?? null,
      tpm: apiKey.rateLimitTpm ?? null,
    });
  if (tenant.rateLimitRpm !== null || tenant.rateLimitTpm !== null)
    scopes.push({ kind: "tenant", id: tenant.id, rpm: tenant.rateLimitRpm, tpm: tenant.rateLimitTpm });
  return scopes;
}

/**
 * Requests and tokens per minute are counted in Postgres, so limits hold across any number of
 * processes. Each process leases a slice of a tenant's (or key's) window (a share of the limit,
 * never more than is left) and counts requests against it locally, so a busy tenant costs one
 * round trip per slice instead of one per request. Slices left unused go back after `idleReleaseMs`.
 */
export function createRateLimiter(db: Db, options: LeaseOptions & { clock?: Clock } = {}): RateLimiter {
  const clock = options.clock ?? systemClock;
  const { share, idleReleaseMs } = leaseOptions(options);
  const leases = new Map<string, WindowLease>();
  const serial = createKeyedQueue();
  let idleTimer: NodeJS.Timeout | undefined;

  function overLimit(scope: Scope, resetAt: number, now: number): SluiceError {
    const who = scope.kind === "key" ? "API key" : "tenant";
    return new SluiceError(
      "rate_limit_exceeded",
      `rate limit exceeded for this ${who}; retry after the window resets`,
      {
        retryAfterMs: resetAt - now,
        details: {
          scope: scope.kind,
          limitRequestsPerMinute: scope.rpm,
          limitTokensPerMinute: scope.tpm,
          resetAt: new Date(resetAt).toISOString(),
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

  async function release(lease: WindowLease): Promise<void> {
    const { requests, tokens, scope } = lease;
    lease.requests = 0;
    lease.tokens = 0;
    if (requests === 0 && tokens === 0) return;
    const windowStart = new Date(lease.windowStart);
    if (scope.kind === "key")
      await releaseKeyRateLimit(db, { apiKeyId: scope.id, windowStart, requests, tokens });
    else await releaseRateLimit(db, { tenantId: scope.id, windowStart, requests, tokens });
  }

  function scheduleIdleRelease(): void {
    if (idleTimer || idleReleaseMs <= 0) return;
    idleTimer = setTimeout(() => {
      idleTimer = undefined;
      const now = clock.now();
      const idleSince = performance.now() - idleReleaseMs;
      for (const [name, lease] of leases) {
        if (lease.lastUsedAt > idleSince) continue;
        leases.delete(name);
        // A window that has ended needs nothing back; a current one gets its unused slice back.
        if (lease.windowStart + WINDOW_MS > now) void serial.run(name, () => release(lease)).catch(() => {});
      }
      if (leases.size > 0) scheduleIdleRelease();
    }, idleReleaseMs);
    idleTimer.unref();
  }

  async function lease(scope: Scope, windowStart: number, need: Cost) {
    const common = {
      windowStart: new Date(windowStart),
      needRequests: need.requests,
      needTokens: need.tokens,
      wantRequests: Math.max(need.requests, Math.floor((scope.rpm ?? 0) * share)),
      wantTokens: Math.max(need.tokens, Math.floor((scope.tpm ?? 0) * share)),
      maxRequests: scope.rpm,
      maxTokens: scope.tpm,
    };
    return scope.kind === "key"
      ? leaseKeyRateLimit(db, { apiKeyId: scope.id, ...common })
      : leaseRateLimit(db, { tenantId: scope.id, ...common });
  }

  /** Takes one scope's cost, leasing more of its window when the local slice is short. */
  async function takeScope(scope: Scope, tokens: number, windowStart: number, now: number): Promise<Cost> {
    // Only limited dimensions are counted.
    const cost = { requests: scope.rpm === null ? 0 : 1, tokens: scope.tpm === null ? 0 : tokens };
    const name = `${scope.kind}:${scope.id}`;
    const resetAt = windowStart + WINDOW_MS;
    if (takeLocally(leases.get(name), windowStart, cost)) return cost;
    await serial.run(name, async () => {
      // Another request may have refilled the lease while this one waited.
      const current = leases.get(name);
      if (takeLocally(current, windowStart, cost)) return;
      const fresh =
        current?.windowStart === windowStart
          ? current
          : { scope, windowStart, requests: 0, tokens: 0, lastUsedAt: performance.now() };
      // Limits changed since the lease was taken apply from the next lease.
      fresh.scope = scope;
      const grant = await lease(scope, windowStart, {
        requests: Math.max(0, cost.requests - fresh.requests),
        tokens: Math.max(0, cost.tokens - fresh.tokens),
      });
      if (!grant) throw overLimit(scope, resetAt, now);
      fresh.requests += grant.requests;
      fresh.tokens += grant.tokens;
      leases.set(name, fresh);
      if (!takeLocally(fresh, windowStart, cost)) throw overLimit(scope, resetAt, now);
      scheduleIdleRelease();
    });
    return cost;
  }

  async function take(subject: RateLimitSubject | Tenant, tokens: number): Promise<RateLimitState> {
    const now = clock.now();
    const windowStart = Math.floor(now / WINDOW_MS) * WINDOW_MS;
    const scopes = scopesOf(subject);
    // The headers show the tighter of the key's and the tenant's limits.
    const tightest = (limits: (number | null)[]) =>
      limits.reduce<number | null>(
        (min, v) => (v === null ? min : min === null ? v : Math.min(min, v)),
        null,
      );
    const state = {
      limitRequests: tightest(scopes.map((s) => s.rpm)),
      limitTokens: tightest(scopes.map((s) => s.tpm)),
      resetAt: windowStart + WINDOW_MS,
    };
    const taken: { scope: Scope; cost: Cost }[] = [];
    try {
      for (const scope of scopes)
        taken.push({ scope, cost: await takeScope(scope, tokens, windowStart, now) });
    } catch (error) {
      // All or nothing: what an earlier scope counted goes back to this process's slice.
      for (const { scope, cost } of taken) {
        const held = leases.get(`${scope.kind}:${scope.id}`);
        if (held?.windowStart === windowStart) {
          held.requests += cost.requests;
          held.tokens += cost.tokens;
        }
      }
      throw error;
    }
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
      await Promise.allSettled(pending.map(([name, lease]) => serial.run(name, () => release(lease))));
    },
  };
}
