import {
  BrokenCircuitError,
  BulkheadRejectedError,
  bulkhead,
  CircuitState,
  ConsecutiveBreaker,
  circuitBreaker,
  DelegateBackoff,
  handleWhen,
  retry,
  TaskCancelledError,
  TimeoutStrategy,
  timeout,
} from "cockatiel";
import { SluiceError } from "../errors/sluiceError.ts";
import { type Clock, systemClock } from "../limits/clock.ts";
import { abortError } from "../providers/providerErrors.ts";
import { clockedHalfOpen } from "./clockedHalfOpen.ts";
import type { BreakerState, PolicyOptions, ResilienceHooks } from "./resilienceOptions.ts";
import { retryDelayMs, shouldRetry } from "./retryDelay.ts";

// Failures that say the provider is unhealthy. Rate limits are the provider pacing us (Retry-After
// handles them) and request errors are ours: neither opens the breaker.
const HEALTH_FAILURES = new Set(["service_unavailable", "model_error", "timeout"]);

/** One model's timeout, retry, circuit breaker and bulkhead, composed. */
export interface ModelPolicy {
  execute<T>(fn: (signal: AbortSignal) => Promise<T>, signal: AbortSignal): Promise<T>;
  breakerState(): BreakerState;
}

const STATES: Record<CircuitState, BreakerState> = {
  [CircuitState.Closed]: "closed",
  [CircuitState.Open]: "open",
  [CircuitState.HalfOpen]: "half_open",
  [CircuitState.Isolated]: "isolated",
};

/** Settles with `run()`, or rejects with the abort error as soon as `signal` fires. */
function untilAborted<T>(signal: AbortSignal, run: () => Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortError(signal));
    signal.addEventListener("abort", onAbort, { once: true });
    run()
      .then(resolve, reject)
      .finally(() => signal.removeEventListener("abort", onAbort));
  });
}

/** Builds the policy of one model. */
export function createModelPolicy(
  model: string,
  options: PolicyOptions,
  hooks: ResilienceHooks = {},
  random: () => number = Math.random,
  /** Times the breaker's open state (retry waits and attempt timeouts run on real timers). */
  clock: Clock = systemClock,
): ModelPolicy {
  // Aggressive: a hung call is abandoned at the deadline (its signal is aborted too, so it stops).
  const attemptTimeout = timeout(options.timeoutMs, {
    strategy: TimeoutStrategy.Aggressive,
    abortOnReturn: false,
  });
  const halfOpen = clockedHalfOpen(clock, options.breakerHalfOpenAfterMs);
  const breaker = circuitBreaker(
    handleWhen((e) => e instanceof SluiceError && HEALTH_FAILURES.has(e.code) && e.retriable),
    {
      halfOpenAfter: halfOpen,
      breaker: new ConsecutiveBreaker(options.breakerFailures),
    },
  );
  breaker.onStateChange((state) => hooks.onBreakerStateChange?.({ model, state: STATES[state] }));
  const retries = retry(
    // An open breaker fails the call fast; waiting it out is the caller's decision, not this call's.
    handleWhen(
      (e) => shouldRetry(e, options) && !(e instanceof SluiceError && e.details?.breaker !== undefined),
    ),
    {
      maxAttempts: Math.max(0, options.maxAttempts - 1),
      backoff: new DelegateBackoff((context) =>
        retryDelayMs(
          "error" in context.result ? context.result.error : undefined,
          context.attempt,
          options,
          random,
        ),
      ),
    },
  );
  retries.onRetry((event) =>
    hooks.onRetry?.({
      model,
      attempt: event.attempt,
      delayMs: event.delay,
      error: "error" in event ? event.error : undefined,
    }),
  );
  const slots = bulkhead(options.maxConcurrent, options.maxQueued);

  async function attempt<T>(
    fn: (signal: AbortSignal) => Promise<T>,
    signal: AbortSignal,
    caller: AbortSignal,
  ): Promise<T> {
    // A retry wait can outlive the caller's abort; never start another attempt after it.
    if (caller.aborted) throw abortError(caller);
    let attemptSignal: AbortSignal | undefined;
    try {
      return await attemptTimeout.execute(({ signal: s }) => {
        attemptSignal = s;
        return fn(s);
      }, signal);
    } catch (error) {
      if (caller.aborted) throw abortError(caller);
      // The attempt's signal aborts only at the deadline (or with the caller): the call may have
      // failed in its own words first, but the cause is the timeout.
      if (error instanceof TaskCancelledError || attemptSignal?.aborted) {
        throw new SluiceError("timeout", `model ${model} did not answer within ${options.timeoutMs} ms`, {
          details: { model, timeoutMs: options.timeoutMs },
        });
      }
      throw error;
    }
  }

  return {
    async execute(fn, signal) {
      if (signal.aborted) throw abortError(signal);
      try {
        return await untilAborted(signal, () =>
          slots.execute(
            ({ signal: slotSignal }) =>
              retries.execute(async ({ signal: retrySignal }) => {
                try {
                  return await breaker.execute(({ signal: s }) => attempt(fn, s, signal), retrySignal);
                } catch (error) {
                  if (error instanceof BrokenCircuitError) {
                    const retryAfterMs = halfOpen.remainingMs();
                    throw new SluiceError(
                      "service_unavailable",
                      `model ${model} is failing: its circuit breaker is open`,
                      {
                        details: { model, breaker: STATES[breaker.state] },
                        ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
                      },
                    );
                  }
                  throw error;
                }
              }, slotSignal),
            signal,
          ),
        );
      } catch (error) {
        if (signal.aborted) throw abortError(signal);
        if (error instanceof BulkheadRejectedError) {
          throw new SluiceError(
            "service_unavailable",
            `too many calls to model ${model} at once; try again shortly`,
            {
              details: {
                model,
                reason: "bulkhead_full",
                maxConcurrent: options.maxConcurrent,
                maxQueued: options.maxQueued,
              },
            },
          );
        }
        throw error;
      }
    },
    breakerState: () => STATES[breaker.state],
  };
}
