import type { RateLimitState } from "@sluice/core";

/** The `X-RateLimit-*` headers of an admitted call, streamed or not. */
export function rateLimitHeaders(state: RateLimitState): Record<string, string> {
  return {
    ...(state.limitRequests === null ? {} : { "X-RateLimit-Limit-Requests": String(state.limitRequests) }),
    ...(state.limitTokens === null ? {} : { "X-RateLimit-Limit-Tokens": String(state.limitTokens) }),
    "X-RateLimit-Reset": String(Math.ceil(state.resetAt / 1000)),
  };
}
