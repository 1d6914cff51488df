import { SluiceError } from "../errors/sluiceError.ts";
import type { Clock } from "../limits/clock.ts";
import type { ResilienceExecutor } from "../llm/modelClient.ts";
import { isAbort } from "../providers/providerErrors.ts";
import { createModelPolicy, type ModelPolicy } from "./modelPolicy.ts";
import {
  type BreakerState,
  defaultPolicyOptions,
  type PolicyOptions,
  type ResilienceHooks,
} from "./resilienceOptions.ts";

/** Options of {@link createResilienceRegistry}. */
export interface ResilienceRegistryOptions {
  defaults?: Partial<PolicyOptions>;
  perModel?: Record<string, Partial<PolicyOptions>>;
  hooks?: ResilienceHooks;
  /** Source of jitter (tests pass a fixed one). */
  random?: () => number;
  /** Times open breakers (default the wall clock). */
  clock?: Clock;
}

/** Per-model policies shared by every caller in the process. */
export interface ResilienceRegistry extends ResilienceExecutor {
  /** Runs `fn`; on a provider failure that survives the policy, runs `fallback` when given. */
  execute<T>(
    model: string,
    fn: (signal: AbortSignal) => Promise<T>,
    options: { signal: AbortSignal; fallback?: (signal: AbortSignal) => Promise<T> },
  ): Promise<T>;
  /** The breaker state of a model (closed when it has never been called). */
  breakerState(model: string): BreakerState;
}

/** Creates the registry; each model gets its policy on first use. */
export function createResilienceRegistry(options: ResilienceRegistryOptions = {}): ResilienceRegistry {
  const policies = new Map<string, ModelPolicy>();
  const policyFor = (model: string): ModelPolicy => {
    let policy = policies.get(model);
    if (!policy) {
      const merged = { ...defaultPolicyOptions, ...options.defaults, ...options.perModel?.[model] };
      policy = createModelPolicy(model, merged, options.hooks, options.random, options.clock);
      policies.set(model, policy);
    }
    return policy;
  };
  return {
    async execute(model, fn, { signal, fallback }) {
      try {
        return await policyFor(model).execute(fn, signal);
      } catch (error) {
        const providerFailure =
          error instanceof SluiceError && (error.retriable || error.code === "service_unavailable");
        if (!fallback || isAbort(error) || !providerFailure) throw error;
        options.hooks?.onFallback?.({ model, error });
        return fallback(signal);
      }
    },
    breakerState: (model) => policies.get(model)?.breakerState() ?? "closed",
  };
}
