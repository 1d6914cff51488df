import { SluiceError } from "@sluice/core";
import { createExpressMiddleware } from "@trpc/server/adapters/express";
import express, { type Express, type Request } from "express";
import { bearerToken } from "./auth/bearerToken.ts";
import { anthropicErrorHandler, anthropicNoRoute } from "./errors/anthropicErrorBody.ts";
import { noRoute, restErrorHandler } from "./http/errorHandlers.ts";
import { healthRoutes } from "./http/healthRoutes.ts";
import { requestIdMiddleware, requestIdOf } from "./http/requestId.ts";
import { securityHeaders } from "./http/securityHeaders.ts";
import { httpLogger } from "./logging/httpLogger.ts";
import { anthropicRoutes } from "./rest/anthropicRoutes.ts";
import { batchRoutes } from "./rest/batchRoutes.ts";
import { jobRoutes } from "./rest/jobRoutes.ts";
import { openaiBatchRoutes } from "./rest/openaiBatchRoutes.ts";
import { openaiFileRoutes } from "./rest/openaiFileRoutes.ts";
import { openaiRoutes } from "./rest/openaiRoutes.ts";
import { responsesRoutes } from "./rest/responsesRoutes.ts";
import { spendRoutes } from "./rest/spendRoutes.ts";
import { appRouter } from "./root.ts";
import type { ApiServices } from "./services.ts";
import { streamExpiredMessage } from "./streams/streamGate.ts";
import type { ApiContext } from "./trpc/init.ts";
import { plainSuperjson } from "./trpc/plainSuperjson.ts";
import { subscriptionStreams } from "./trpc/subscriptionStreams.ts";

/** Largest request body accepted (bytes), except on the model routes below. */
export const MAX_BODY_BYTES = 2 * 1024 * 1024;

/**
 * Largest body of a model call (bytes): room for a 32 MB file or a 20 MB image as base64 plus the
 * conversation; each part's own bound is checked by the request schema.
 */
export const MAX_MODEL_BODY_BYTES = 48 * 1024 * 1024;

/** Routes whose bodies carry images, audio and files inline. */
const MODEL_ROUTES = ["/v1/chat/completions", "/v1/messages", "/v1/responses"];

/** Builds the HTTP application over the API's services. */
export function createApp(services: ApiServices): Express {
  const app = express();
  app.disable("x-powered-by");
  // API answers are not cached by clients; hashing every body for an ETag is wasted work.
  app.disable("etag");
  app.use(requestIdMiddleware);
  app.use(securityHeaders(services.corsOrigins ?? []));
  app.use(httpLogger(services.logger));
  app.use(services.metrics.http);
  app.get("/metrics", async (_req, res) => {
    res.setHeader("content-type", services.metrics.registry.contentType);
    res.end(await services.metrics.registry.metrics());
  });
  app.use(healthRoutes(services.db));
  const createContext = (req: Request): ApiContext => ({
    ...services,
    requestId: requestIdOf(req),
    apiKey: bearerToken(req.headers),
    endUserHeader: req.headers["x-sluice-user"],
  });
  app.use(
    "/trpc",
    subscriptionStreams({
      router: appRouter,
      createContext,
      // Every subscription counts against its tenant's share of this process's streams.
      admit: async (ctx) => {
        const principal = await ctx.auth.authenticate(ctx.apiKey).catch(() => undefined);
        // An unauthenticated call is refused by the procedure itself, with its own error.
        return principal ? ctx.streamGate.open(principal.tenant.id) : undefined;
      },
      expiredError: () => new SluiceError("timeout", streamExpiredMessage(services.streamGate.maxSeconds)),
      // The router's transformer is superjson: events of plain data and Dates skip its walk.
      serializeFast: plainSuperjson,
    }),
    createExpressMiddleware({
      router: appRouter,
      maxBodySize: MAX_BODY_BYTES,
      createContext: ({ req }) => createContext(req),
      // tRPC leaves errors raised before the call is parsed (bad content type, mixed batch) untyped.
      responseMeta: ({ eagerGeneration }) =>
        eagerGeneration ? {} : { headers: { "content-type": "application/json" } },
    }),
  );
  // Parsed here first, the body is left alone by the general parser below.
  app.use(MODEL_ROUTES, express.json({ limit: MAX_MODEL_BODY_BYTES }));
  app.use(express.json({ limit: MAX_BODY_BYTES }));
  app.use(anthropicRoutes(services));
  // Anthropic's paths answer misses and failures (unreadable bodies included) in Anthropic's shape.
  app.use("/v1/messages", anthropicNoRoute, anthropicErrorHandler(services.logger));
  app.use(openaiRoutes(services));
  app.use(responsesRoutes(services));
  app.use(jobRoutes(services));
  app.use(batchRoutes(services));
  app.use(openaiFileRoutes(services));
  app.use(openaiBatchRoutes(services));
  app.use(spendRoutes(services));
  app.use(noRoute);
  app.use(restErrorHandler(services.logger));
  return app;
}
