/** How one model's calls are protected. Every field has a default. */
export interface PolicyOptions {
  /** Per-attempt time limit (ms). */
  timeoutMs: number;
  /** Total attempts, the first included. */
  maxAttempts: number;
  /** First backoff ceiling (ms); doubles each retry up to `maxDelayMs` (full jitter below it). */
  baseDelayMs: number;
  maxDelayMs: number;
  /** Longest Retry-After Sluice will wait; a longer one fails the call at once. */
  maxRetryAfterMs: number;
  /** Consecutive health failures that open the breaker. */
  breakerFailures: number;
  /** How long an open breaker rejects calls before letting a trial through (ms). */
  breakerHalfOpenAfterMs: number;
  /** Calls in flight at once for the model, and calls allowed to wait for a slot. */
  maxConcurrent: number;
  maxQueued: number;
}

/** Defaults: 60 s per attempt, 3 attempts, 5 failures open the breaker for 30 s, 64 concurrent calls. */
export const defaultPolicyOptions: PolicyOptions = {
  timeoutMs: 60_000,
  maxAttempts: 3,
  baseDelayMs: 250,
  maxDelayMs: 8_000,
  maxRetryAfterMs: 30_000,
  breakerFailures: 5,
  breakerHalfOpenAfterMs: 30_000,
  maxConcurrent: 64,
  maxQueued: 256,
};

/** Breaker states as Sluice reports them. */
export type BreakerState = "closed" | "open" | "half_open" | "isolated";

/** Observers of what the policies do, for logs and metrics. */
export interface ResilienceHooks {
  onRetry?(event: { model: string; attempt: number; delayMs: number; error: unknown }): void;
  onBreakerStateChange?(event: { model: string; state: BreakerState }): void;
  onFallback?(event: { model: string; error: unknown }): void;
}
