import type { Principal, PublicJob } from "@sluice/core";
import { type Request, Router } from "express";
import { bearerToken } from "../auth/bearerToken.ts";
import { requestIdOf } from "../http/requestId.ts";
import type { ApiServices } from "../services.ts";
import { streamJobEvents } from "./jobEventStream.ts";

/** A job in the REST surface's snake_case. */
export function restJob(job: PublicJob) {
  return {
    id: job.id,
    object: "job",
    kind: job.kind,
    status: job.status,
    priority: job.priority,
    progress: job.progress,
    progress_message: job.progressMessage,
    payload: job.payload,
    result: job.result,
    error: job.error,
    attempts: job.attempts,
    max_attempts: job.maxAttempts,
    idempotency_key: job.idempotencyKey,
    webhook_url: job.webhookUrl,
    requeued_from: job.requeuedFrom,
    run_at: job.runAt,
    created_at: job.createdAt,
    started_at: job.startedAt,
    finished_at: job.finishedAt,
    status_url: `/v1/jobs/${job.id}`,
  };
}

/** The REST body's snake_case fields, as the job service takes them. */
function enqueueInput(body: unknown): unknown {
  if (typeof body !== "object" || body === null || Array.isArray(body)) return body;
  const { idempotency_key, run_at, webhook_url, ...rest } = body as Record<string, unknown>;
  return {
    ...rest,
    ...(idempotency_key === undefined ? {} : { idempotencyKey: idempotency_key }),
    ...(run_at === undefined ? {} : { runAt: run_at }),
    ...(webhook_url === undefined ? {} : { webhookUrl: webhook_url }),
  };
}

/**
 * `POST /v1/jobs` (202 with the job and its status URL), `GET /v1/jobs[/:id]`,
 * `GET /v1/jobs/:id/events` (SSE), `DELETE /v1/jobs/:id`.
 */
export function jobRoutes(services: ApiServices): Router {
  const router = Router();
  const principalOf = (req: Request): Promise<Principal> =>
    services.auth.authenticate(bearerToken(req.headers));

  router.post("/v1/jobs", async (req, res) => {
    const principal = await principalOf(req);
    const { job, created } = await services.jobs.enqueue(
      { tenantId: principal.tenant.id, requestId: requestIdOf(req), apiKeyId: principal.key.id },
      enqueueInput(req.body),
    );
    res.setHeader("Location", `/v1/jobs/${job.id}`);
    res.status(created ? 202 : 200).json(restJob(job));
  });

  router.get("/v1/jobs", async (req, res) => {
    const principal = await principalOf(req);
    const q = req.query as Record<string, string | undefined>;
    const page = await services.jobs.list(
      { tenantId: principal.tenant.id },
      {
        ...(q.limit ? { limit: Number(q.limit) } : {}),
        ...(q.cursor ? { cursor: q.cursor } : {}),
        ...(q.kind ? { kind: q.kind } : {}),
        ...(q.status ? { status: q.status } : {}),
      },
    );
    res.json({ object: "list", data: page.items.map(restJob), next_cursor: page.nextCursor });
  });

  router.get("/v1/jobs/:id", async (req, res) => {
    const principal = await principalOf(req);
    res.json(restJob(await services.jobs.get({ tenantId: principal.tenant.id }, req.params.id)));
  });

  router.get("/v1/jobs/:id/events", async (req, res) => {
    await streamJobEvents(services, await principalOf(req), req, res);
  });

  router.delete("/v1/jobs/:id", async (req, res) => {
    const principal = await principalOf(req);
    res.json(restJob(await services.jobs.cancel({ tenantId: principal.tenant.id }, req.params.id)));
  });

  return router;
}
