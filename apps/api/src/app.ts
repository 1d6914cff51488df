import type { Db } from "@sluice/db";
import { createExpressMiddleware } from "@trpc/server/adapters/express";
import express, { type Express } from "express";
import { healthRoutes } from "./http/healthRoutes.ts";
import { requestIdMiddleware, requestIdOf } from "./http/requestId.ts";
import { appRouter } from "./root.ts";

/** Builds the HTTP application over an open database handle. */
export function createApp(deps: { db: Db }): Express {
  const app = express();
  app.disable("x-powered-by");
  app.use(requestIdMiddleware);
  app.use(healthRoutes(deps.db));
  app.use(
    "/trpc",
    createExpressMiddleware({
      router: appRouter,
      createContext: ({ req }) => ({ db: deps.db, requestId: requestIdOf(req) }),
    }),
  );
  return app;
}
