import type { Authenticator, BudgetGuard, LlmRuntime, RateLimiter } from "@sluice/core";
import type { Db } from "@sluice/db";
import type { Logger } from "pino";
import type { ApiMetrics } from "./metrics/apiMetrics.ts";
import type { ChatStreamData } from "./streams/chatStreamEvents.ts";
import type { StreamHub } from "./streams/streamHub.ts";

/** Everything the API's handlers use, built once in main and passed in. */
export interface ApiServices {
  db: Db;
  runtime: LlmRuntime;
  /** Resolves API keys (briefly cached; admin changes clear the cache). */
  auth: Authenticator;
  rateLimiter: RateLimiter;
  budget: BudgetGuard;
  logger: Logger;
  metrics: ApiMetrics;
  /** Running chat streams, so subscribers can reconnect and resume. */
  streams: StreamHub<ChatStreamData>;
  /** Fires when the server starts shutting down: open streams end with a final event. */
  shutdown?: AbortSignal | undefined;
  /** Origins allowed to call from browsers (none by default). */
  corsOrigins?: string[] | undefined;
}
