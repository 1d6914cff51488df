import { healthRouter } from "./routers/health.ts";
import { router } from "./trpc/init.ts";

/** Every tRPC router, combined once. */
export const appRouter = router({
  health: healthRouter,
});

/** The API's type, the only thing clients import from here. */
export type AppRouter = typeof appRouter;
