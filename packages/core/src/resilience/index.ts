export { createModelPolicy, type ModelPolicy } from "./modelPolicy.ts";
export {
  type BreakerState,
  defaultPolicyOptions,
  type PolicyOptions,
  type ResilienceHooks,
} from "./resilienceOptions.ts";
export {
  createResilienceRegistry,
  type ResilienceRegistry,
  type ResilienceRegistryOptions,
} from "./resilienceRegistry.ts";
export { retryDelayMs, shouldRetry } from "./retryDelay.ts";
