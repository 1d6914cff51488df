import { batchesRouter } from "./routers/batches.ts";
import { cascadeRouter, chatRouter, embeddingsRouter, statsRouter } from "./routers/completions.ts";
import { healthRouter } from "./routers/health.ts";
import { deadLettersRouter, jobsRouter } from "./routers/jobs.ts";
import { apiKeysRouter, tenantsRouter } from "./routers/tenants.ts";
import { ticketsRouter } from "./routers/tickets.ts";
import { webhooksRouter } from "./routers/webhooks.ts";
import { router } from "./trpc/init.ts";

/** Every tRPC router, combined once. */
export const appRouter = router({
  health: healthRouter,
  chat: chatRouter,
  cascade: cascadeRouter,
  embeddings: embeddingsRouter,
  tickets: ticketsRouter,
  stats: statsRouter,
  jobs: jobsRouter,
  batches: batchesRouter,
  webhooks: webhooksRouter,
  deadLetters: deadLettersRouter,
  tenants: tenantsRouter,
  apiKeys: apiKeysRouter,
});

/** The API's type, the only thing clients import from here. */
export type AppRouter = typeof appRouter;
