import type { BatchScope } from "@sluice/core";
import { type Request, Router } from "express";
import { bearerToken } from "../auth/bearerToken.ts";
import { requestIdOf } from "../http/requestId.ts";
import type { ApiServices } from "../services.ts";

/**
 * OpenAI's Batches API over Sluice's batches: `POST /v1/batches` (from an uploaded JSONL file),
 * `GET /v1/batches[/:id]`, `POST /v1/batches/:id/cancel`.
 */
export function openaiBatchRoutes(services: ApiServices): Router {
  const router = Router();
  const scopeOf = async (req: Request): Promise<BatchScope> => {
    const principal = await services.auth.authenticate(bearerToken(req.headers));
    return { tenantId: principal.tenant.id, apiKey: principal.key, requestId: requestIdOf(req) };
  };
  const id = (req: Request) => String(req.params.id);

  router.post("/v1/batches", async (req, res) => {
    res.json(await services.openaiBatches.create(await scopeOf(req), req.body));
  });

  router.get("/v1/batches", async (req, res) => {
    const page = await services.openaiBatches.list(await scopeOf(req), req.query);
    res.json({
      object: "list",
      data: page.items,
      has_more: page.hasMore,
      first_id: page.items[0]?.id ?? null,
      last_id: page.items.at(-1)?.id ?? null,
    });
  });

  router.get("/v1/batches/:id", async (req, res) => {
    res.json(await services.openaiBatches.get(await scopeOf(req), id(req)));
  });

  router.post("/v1/batches/:id/cancel", async (req, res) => {
    res.json(await services.openaiBatches.cancel(await scopeOf(req), id(req)));
  });

  return router;
}
