import type { BudgetGuard, LlmRuntime, RateLimiter } from "@sluice/core";
import type { Db } from "@sluice/db";

/** Everything the API's handlers use, built once in main and passed in. */
export interface ApiServices {
  db: Db;
  runtime: LlmRuntime;
  rateLimiter: RateLimiter;
  budget: BudgetGuard;
}
