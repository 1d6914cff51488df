import { SluiceError } from "../errors/sluiceError.ts";
import type { PolicyOptions } from "./resilienceOptions.ts";

/** Whether a failed attempt may be tried again: retriable, and any Retry-After within the cap. */
export function shouldRetry(error: unknown, options: Pick<PolicyOptions, "maxRetryAfterMs">): boolean {
  if (!(error instanceof SluiceError) || !error.retriable) return false;
  return error.retryAfterMs === undefined || error.retryAfterMs <= options.maxRetryAfterMs;
}

/**
 * The wait before retry number `retry` (1-based): the provider's Retry-After when it sent one,
 * otherwise full jitter, a uniform draw below min(maxDelay, base · 2^(retry-1)).
 */
export function retryDelayMs(
  error: unknown,
  retry: number,
  options: Pick<PolicyOptions, "baseDelayMs" | "maxDelayMs">,
  random: () => number,
): number {
  if (error instanceof SluiceError && error.retryAfterMs !== undefined) return error.retryAfterMs;
  const ceiling = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** (retry - 1));
  return Math.floor(random() * ceiling);
}
