import {
  type BatchScope,
  type PublicBatch,
  type PublicBatchRequest,
  type PublicBatchResponse,
  SluiceError,
} from "@sluice/core";
import { type Request, type Response, Router } from "express";
import { bearerToken } from "../auth/bearerToken.ts";
import { requestIdOf } from "../http/requestId.ts";
import type { ApiServices } from "../services.ts";

/** A batch in the REST surface's snake_case. */
export function restBatch(b: PublicBatch) {
  return {
    id: b.id,
    object: "sluice.batch",
    name: b.name,
    description: b.description,
    provider: b.provider,
    model: b.model,
    status: b.status,
    tier: b.tier,
    provider_batch_id: b.providerBatchId,
    completion_window: b.completionWindow,
    webhook_url: b.webhookUrl,
    metadata: b.metadata,
    request_counts: b.counts,
    retried: b.retried,
    usage: { input_tokens: b.usage.inputTokens, output_tokens: b.usage.outputTokens },
    cost_micros: b.costMicros,
    sync_cost_micros: b.syncCostMicros,
    savings_micros: b.savingsMicros,
    top_tier_cost_micros: b.topTierCostMicros,
    error: b.error,
    created_at: b.createdAt,
    submitted_at: b.submittedAt,
    finished_at: b.finishedAt,
    results_url: `/v1/sluice/batches/${b.id}/results`,
  };
}

function restRequest(r: PublicBatchRequest) {
  return { custom_id: r.customId, status: r.status, tier: r.tier, body: r.body };
}

function restResponse(r: PublicBatchResponse) {
  return {
    custom_id: r.customId,
    status: r.status,
    model: r.model,
    response: r.response,
    error: r.error,
    usage: { input_tokens: r.usage.inputTokens, output_tokens: r.usage.outputTokens },
    cost_micros: r.costMicros,
    attempts: r.attempts,
  };
}

/** The REST body's snake_case fields, as the batch service takes them. */
function createInput(body: unknown): unknown {
  if (typeof body !== "object" || body === null || Array.isArray(body)) return body;
  const { completion_window, webhook_url, ...rest } = body as Record<string, unknown>;
  return {
    ...rest,
    ...(completion_window === undefined ? {} : { completionWindow: completion_window }),
    ...(webhook_url === undefined ? {} : { webhookUrl: webhook_url }),
  };
}

function pageQuery(req: Request) {
  const q = req.query as Record<string, string | undefined>;
  return {
    ...(q.limit ? { limit: Number(q.limit) } : {}),
    ...(q.cursor ? { cursor: q.cursor } : {}),
    ...(q.status ? { status: q.status } : {}),
  };
}

/** Bodies read as JSONL: streamed line by line, never parsed whole. */
const JSONL_TYPES = ["application/jsonl", "application/x-ndjson", "application/x-jsonlines", "text/plain"];

/**
 * `POST /v1/sluice/batches`, `GET /v1/sluice/batches[/:id]`, `GET /v1/sluice/batches/stats`,
 * `POST /v1/sluice/batches/:id/requests` (JSON `{ requests }` or a JSONL body), `GET /v1/sluice/batches/:id/requests`,
 * `GET /v1/sluice/batches/:id/responses`, `GET /v1/sluice/batches/:id/results` (JSONL), `POST /v1/sluice/batches/:id/submit`,
 * `POST /v1/sluice/batches/:id/cancel`, `DELETE /v1/sluice/batches/:id` (drafts).
 */
export function batchRoutes(services: ApiServices): Router {
  const router = Router();
  const scopeOf = async (req: Request): Promise<BatchScope> => {
    const principal = await services.auth.authenticate(bearerToken(req.headers));
    return { tenantId: principal.tenant.id, apiKey: principal.key, requestId: requestIdOf(req) };
  };
  const id = (req: Request) => String(req.params.id);

  router.post("/v1/sluice/batches", async (req, res) => {
    const batch = await services.batches.create(await scopeOf(req), createInput(req.body));
    res.setHeader("Location", `/v1/sluice/batches/${batch.id}`);
    res.status(201).json(restBatch(batch));
  });

  router.get("/v1/sluice/batches", async (req, res) => {
    const page = await services.batches.list(await scopeOf(req), pageQuery(req));
    res.json({ object: "list", data: page.items.map(restBatch), next_cursor: page.nextCursor });
  });

  router.get("/v1/sluice/batches/stats", async (req, res) => {
    const s = await services.batches.stats(await scopeOf(req));
    res.json({
      object: "sluice.batch_stats",
      by_status: s.byStatus,
      batches: s.batches,
      requests: s.requests,
      succeeded: s.succeeded,
      errored: s.errored,
      usage: { input_tokens: s.usage.inputTokens, output_tokens: s.usage.outputTokens },
      cost_micros: s.costMicros,
      sync_cost_micros: s.syncCostMicros,
      savings_micros: s.savingsMicros,
    });
  });

  router.get("/v1/sluice/batches/:id", async (req, res) => {
    res.json(restBatch(await services.batches.get(await scopeOf(req), id(req))));
  });

  router.post("/v1/sluice/batches/:id/requests", async (req: Request, res: Response) => {
    const scope = await scopeOf(req);
    const jsonl = req.is(JSONL_TYPES);
    const body = req.body as { requests?: unknown } | undefined;
    const source = jsonl ? req : Array.isArray(body?.requests) ? body.requests : undefined;
    if (source === undefined) {
      throw new SluiceError(
        "validation_error",
        'Invalid batch requests: send a JSONL body (content-type application/jsonl) or JSON { "requests": [...] }.',
      );
    }
    try {
      const { added, batch } = await services.batches.addRequests(scope, id(req), source);
      res.json({ added, batch: restBatch(batch) });
    } catch (error) {
      // Refused before the whole body was read: the rest is discarded and the connection not reused.
      if (jsonl && !req.complete) {
        res.setHeader("connection", "close");
        req.resume();
      }
      throw error;
    }
  });

  router.get("/v1/sluice/batches/:id/requests", async (req, res) => {
    const page = await services.batches.listRequests(await scopeOf(req), id(req), pageQuery(req));
    res.json({ object: "list", data: page.items.map(restRequest), next_cursor: page.nextCursor });
  });

  router.get("/v1/sluice/batches/:id/responses", async (req, res) => {
    const page = await services.batches.listResponses(await scopeOf(req), id(req), pageQuery(req));
    res.json({ object: "list", data: page.items.map(restResponse), next_cursor: page.nextCursor });
  });

  router.get("/v1/sluice/batches/:id/results", async (req, res) => {
    const lines = await services.batches.results(await scopeOf(req), id(req));
    res.status(200).setHeader("content-type", "application/jsonl; charset=utf-8");
    res.setHeader("content-disposition", `attachment; filename="batch-${id(req)}.jsonl"`);
    for await (const line of lines) {
      if (!res.write(line)) {
        // Wait for the client to take more, or for it to go away.
        await new Promise<void>((resolve) => {
          const done = () => {
            res.off("drain", done);
            res.off("close", done);
            resolve();
          };
          res.once("drain", done);
          res.once("close", done);
        });
      }
      if (res.destroyed) return;
    }
    res.end();
  });

  router.post("/v1/sluice/batches/:id/submit", async (req, res) => {
    res.json(restBatch(await services.batches.submit(await scopeOf(req), id(req))));
  });

  router.post("/v1/sluice/batches/:id/cancel", async (req, res) => {
    res.json(restBatch(await services.batches.cancel(await scopeOf(req), id(req))));
  });

  router.delete("/v1/sluice/batches/:id", async (req, res) => {
    await services.batches.deleteDraft(await scopeOf(req), id(req));
    res.json({ id: id(req), object: "sluice.batch", deleted: true });
  });

  return router;
}
