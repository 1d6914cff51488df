import { batchCue, phaseStart, requestsProcessed } from "../batchPhase.ts";
import { invalidRateHeader } from "../openai/chatCompletions.ts";
import { sendError, sendJson } from "../providerErrors.ts";
import { type SimRequest, type SimState, storeOf } from "../simContext.ts";
import { messageObject, planMessages } from "./messages.ts";

interface SimMessageBatch {
  id: string;
  createdAt: number;
  requests: { customId: string; params: Record<string, unknown> }[];
  /** The `x-sim-invalid-tool-calls` rate the batch was created with, for every request in it. */
  invalidToolCallRate?: number | undefined;
  cancelAt?: number;
  results?: string;
  counts?: { succeeded: number; errored: number; canceled: number; expired: number };
}

function store(state: SimState): Map<string, SimMessageBatch> {
  return storeOf<SimMessageBatch>(state, "anthropic.batches");
}

const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());

/** Writes the results: requests from `worked` on were cancelled before they ran. */
function settle(state: SimState, batch: SimMessageBatch, worked = batch.requests.length): void {
  const counts = { succeeded: 0, errored: 0, canceled: 0, expired: 0 };
  const lines = batch.requests.map(({ customId, params }, i) => {
    if (i >= worked) {
      counts.canceled++;
      return { custom_id: customId, result: { type: "canceled" } };
    }
    const cue = batchCue(params, state);
    if (cue === "error") {
      counts.errored++;
      return {
        custom_id: customId,
        result: {
          type: "errored",
          error: { type: "error", error: { type: "api_error", message: "Internal server error" } },
        },
      };
    }
    if (params.model === "sim-expire" || cue === "expire") {
      counts.expired++;
      return { custom_id: customId, result: { type: "expired" } };
    }
    const planned = planMessages(
      { state, res: undefined as never },
      params,
      false,
      batch.invalidToolCallRate,
    );
    if ("error" in planned) {
      counts.errored++;
      const type = planned.error.status === 404 ? "not_found_error" : "invalid_request_error";
      return {
        custom_id: customId,
        result: {
          type: "errored",
          error: { type: "error", error: { type, message: planned.error.message } },
        },
      };
    }
    counts.succeeded++;
    return {
      custom_id: customId,
      result: {
        type: "succeeded",
        message: messageObject(state, planned),
      },
    };
  });
  batch.results = `${lines.map((l) => JSON.stringify(l)).join("\n")}\n`;
  batch.counts = counts;
}

function batchObject(ctx: SimRequest, batch: SimMessageBatch) {
  const { state } = ctx;
  const now = state.clock.now();
  const t = state.batchTimings;
  const endedAt =
    batch.cancelAt !== undefined ? batch.cancelAt + t.finalizingMs : phaseStart(batch.createdAt, "done", t);
  const ended = now >= endedAt;
  const total = batch.requests.length;
  // A cancel stops the batch where it was: the requests worked through by then keep their results.
  if (ended && !batch.results)
    settle(state, batch, requestsProcessed(batch.createdAt, batch.cancelAt ?? now, t, total));
  return {
    id: batch.id,
    type: "message_batch",
    processing_status: ended ? "ended" : batch.cancelAt !== undefined ? "canceling" : "in_progress",
    // As Anthropic counts them: every request is `processing` until the whole batch has ended.
    request_counts: {
      processing: ended ? 0 : total,
      ...(batch.counts ?? { succeeded: 0, errored: 0, canceled: 0, expired: 0 }),
    },
    ended_at: ended ? iso(endedAt) : null,
    created_at: iso(batch.createdAt),
    expires_at: iso(batch.createdAt + 24 * 3_600_000),
    archived_at: null,
    cancel_initiated_at: iso(batch.cancelAt),
    results_url: ended ? `http://${ctx.req.headers.host}/v1/messages/batches/${batch.id}/results` : null,
  };
}

/** `POST /v1/messages/batches`. */
export function createMessageBatch(ctx: SimRequest) {
  const body = (ctx.body ?? {}) as { requests?: unknown };
  if (!Array.isArray(body.requests) || body.requests.length === 0) {
    return sendError(ctx.res, "anthropic", 400, "requests: at least one request is required");
  }
  const seen = new Set<string>();
  const requests: SimMessageBatch["requests"] = [];
  for (const [i, r] of (body.requests as { custom_id?: unknown; params?: unknown }[]).entries()) {
    if (
      typeof r?.custom_id !== "string" ||
      seen.has(r.custom_id) ||
      !r.params ||
      typeof r.params !== "object"
    ) {
      return sendError(
        ctx.res,
        "anthropic",
        400,
        `requests.${i}: custom_id must be a unique string and params an object`,
      );
    }
    seen.add(r.custom_id);
    requests.push({ customId: r.custom_id, params: r.params as Record<string, unknown> });
  }
  const batch: SimMessageBatch = {
    id: ctx.state.nextId("msgbatch"),
    createdAt: ctx.state.clock.now(),
    requests,
    invalidToolCallRate: invalidRateHeader(ctx),
  };
  store(ctx.state).set(batch.id, batch);
  sendJson(ctx.res, 200, batchObject(ctx, batch));
}

function find(ctx: SimRequest): SimMessageBatch | undefined {
  const batch = store(ctx.state).get(ctx.params[0] ?? "");
  if (!batch) sendError(ctx.res, "anthropic", 404, `message batch ${ctx.params[0]} not found`);
  return batch;
}

/** `GET /v1/messages/batches/:id`. */
export function getMessageBatch(ctx: SimRequest) {
  const batch = find(ctx);
  if (batch) sendJson(ctx.res, 200, batchObject(ctx, batch));
}

/** `GET /v1/messages/batches`. */
export function listMessageBatches(ctx: SimRequest) {
  const all = [...store(ctx.state).values()].reverse();
  const after = ctx.url.searchParams.get("after_id");
  const limit = Math.min(100, Number(ctx.url.searchParams.get("limit") ?? 20) || 20);
  const start = after ? all.findIndex((b) => b.id === after) + 1 : 0;
  const page = all.slice(start, start + limit).map((b) => batchObject(ctx, b));
  sendJson(ctx.res, 200, {
    data: page,
    has_more: start + limit < all.length,
    first_id: page[0]?.id ?? null,
    last_id: page.at(-1)?.id ?? null,
  });
}

/** `GET /v1/messages/batches/:id/results` (JSONL, once ended). */
export function messageBatchResults(ctx: SimRequest) {
  const batch = find(ctx);
  if (!batch) return;
  if (batchObject(ctx, batch).processing_status !== "ended" || !batch.results) {
    return sendError(ctx.res, "anthropic", 400, `message batch ${batch.id} has not ended yet`);
  }
  ctx.res.writeHead(200, { "content-type": "application/binary" });
  ctx.res.end(batch.results);
}

/** `POST /v1/messages/batches/:id/cancel`. */
export function cancelMessageBatch(ctx: SimRequest) {
  const batch = find(ctx);
  if (!batch) return;
  if (batchObject(ctx, batch).processing_status === "in_progress") batch.cancelAt = ctx.state.clock.now();
  sendJson(ctx.res, 200, batchObject(ctx, batch));
}
