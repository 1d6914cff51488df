import { batchCue, batchPhase, phaseStart, requestsProcessed } from "../batchPhase.ts";
import { sendError, sendJson } from "../providerErrors.ts";
import { type SimRequest, type SimState, storeOf } from "../simContext.ts";
import { completionObject, invalidRateHeader, prepareChat } from "./chatCompletions.ts";
import { computeEmbeddings } from "./embeddings.ts";
import { fileStore, saveFile } from "./files.ts";

const ENDPOINTS = new Set(["/v1/chat/completions", "/v1/embeddings"]);

interface BatchLine {
  customId: string;
  body: unknown;
}

interface SimBatch {
  id: string;
  endpoint: string;
  inputFileId: string;
  completionWindow: string;
  metadata: Record<string, string> | null;
  createdAt: number;
  lines: BatchLine[];
  /** Line-level problems found while validating: the batch fails. */
  errors: { code: string; message: string; line: number }[];
  cancelAt?: number;
  /** The `x-sim-invalid-tool-calls` rate sent with the create call: it applies to every line. */
  invalidToolCallRate?: number | undefined;
  result?: { outputFileId: string | null; errorFileId: string | null; completed: number; failed: number };
}

function batches(state: SimState): Map<string, SimBatch> {
  return storeOf<SimBatch>(state, "openai.batches");
}

function parseInput(content: string, endpoint: string): Pick<SimBatch, "lines" | "errors"> {
  const lines: BatchLine[] = [];
  const errors: SimBatch["errors"] = [];
  const seen = new Set<string>();
  content.split("\n").forEach((raw, i) => {
    if (!raw.trim()) return;
    const line = i + 1;
    let parsed: { custom_id?: unknown; method?: unknown; url?: unknown; body?: unknown };
    try {
      parsed = JSON.parse(raw);
    } catch {
      errors.push({ code: "invalid_json_line", message: "This line is not parseable as valid JSON.", line });
      return;
    }
    if (typeof parsed.custom_id !== "string" || seen.has(parsed.custom_id)) {
      errors.push({ code: "duplicate_custom_id", message: "custom_id must be a unique string.", line });
      return;
    }
    if (parsed.method !== "POST" || parsed.url !== endpoint) {
      errors.push({
        code: "invalid_url",
        message: `The URL provided for this request does not match ${endpoint}.`,
        line,
      });
      return;
    }
    seen.add(parsed.custom_id);
    lines.push({ customId: parsed.custom_id, body: parsed.body });
  });
  if (lines.length === 0 && errors.length === 0)
    errors.push({ code: "empty_file", message: "The input file is empty.", line: 0 });
  return { lines, errors };
}

/** Writes the output and error files of the first `upTo` requests (all by default). */
function settle(
  state: SimState,
  batch: SimBatch,
  expired: boolean,
  upTo = batch.lines.length,
): NonNullable<SimBatch["result"]> {
  const out: string[] = [];
  const err: string[] = [];
  for (const line of batch.lines.slice(0, upTo)) {
    const requestId = state.nextId("req");
    const id = state.nextId("batch_req");
    if (expired) {
      err.push(
        JSON.stringify({
          id,
          custom_id: line.customId,
          response: null,
          error: {
            code: "batch_expired",
            message: "This request could not be executed before the completion window expired.",
          },
        }),
      );
      continue;
    }
    if (batchCue(line.body, state) === "error") {
      const body = {
        error: { message: "The server had an error.", type: "server_error", param: null, code: null },
      };
      err.push(
        JSON.stringify({
          id,
          custom_id: line.customId,
          response: { status_code: 500, request_id: requestId, body },
          error: null,
        }),
      );
      continue;
    }
    const outcome =
      batch.endpoint === "/v1/embeddings"
        ? computeEmbeddings(state, line.body)
        : (() => {
            const chat = prepareChat(state, line.body, { invalidToolCallRate: batch.invalidToolCallRate });
            return "status" in chat
              ? { ok: false as const, ...chat }
              : { ok: true as const, body: completionObject(chat) };
          })();
    if (outcome.ok) {
      out.push(
        JSON.stringify({
          id,
          custom_id: line.customId,
          response: { status_code: 200, request_id: requestId, body: outcome.body },
          error: null,
        }),
      );
    } else {
      const body = {
        error: {
          message: outcome.message,
          type: "invalid_request_error",
          param: outcome.param ?? null,
          code: outcome.code ?? null,
        },
      };
      err.push(
        JSON.stringify({
          id,
          custom_id: line.customId,
          response: { status_code: outcome.status, request_id: requestId, body },
          error: null,
        }),
      );
    }
  }
  const save = (lines: string[], kind: string) =>
    lines.length > 0
      ? saveFile(state, `${batch.id}_${kind}.jsonl`, "batch_output", Buffer.from(`${lines.join("\n")}\n`)).id
      : null;
  return {
    outputFileId: save(out, "output"),
    errorFileId: save(err, "error"),
    completed: out.length,
    failed: err.length,
  };
}

function seconds(ms: number | undefined): number | null {
  return ms === undefined ? null : Math.floor(ms / 1000);
}

/** The batch as the API shows it now, settling its results the first time it is seen finished. */
function batchObject(state: SimState, batch: SimBatch) {
  const now = state.clock.now();
  const t = state.batchTimings;
  const phase = batchPhase(batch.createdAt, now, t);
  const outcome = batch.metadata?.sim_outcome;
  const base = {
    id: batch.id,
    object: "batch",
    endpoint: batch.endpoint,
    errors: null as unknown,
    input_file_id: batch.inputFileId,
    completion_window: batch.completionWindow,
    status: "validating",
    output_file_id: null as string | null,
    error_file_id: null as string | null,
    created_at: seconds(batch.createdAt),
    in_progress_at: null as number | null,
    expires_at: seconds(batch.createdAt + 24 * 3_600_000),
    finalizing_at: null as number | null,
    completed_at: null as number | null,
    failed_at: null as number | null,
    expired_at: null as number | null,
    cancelling_at: null as number | null,
    cancelled_at: null as number | null,
    request_counts: { total: batch.lines.length, completed: 0, failed: 0 },
    metadata: batch.metadata,
  };
  const failing = batch.errors.length > 0 || outcome === "fail";
  if (failing && phase !== "validating") {
    const data =
      batch.errors.length > 0
        ? batch.errors
        : [{ code: "batch_failed", message: "The batch failed.", line: null }];
    return {
      ...base,
      status: "failed",
      errors: { object: "list", data },
      failed_at: seconds(phaseStart(batch.createdAt, "in_progress", t)),
    };
  }
  if (batch.cancelAt !== undefined) {
    // As OpenAI does: the requests worked through before the cancel keep their results.
    const worked = requestsProcessed(batch.createdAt, batch.cancelAt, t, batch.lines.length);
    const done = now >= batch.cancelAt + t.finalizingMs;
    if (done) batch.result ??= settle(state, batch, false, worked);
    return {
      ...base,
      status: done ? "cancelled" : "cancelling",
      cancelling_at: seconds(batch.cancelAt),
      cancelled_at: done ? seconds(batch.cancelAt + t.finalizingMs) : null,
      output_file_id: batch.result?.outputFileId ?? null,
      error_file_id: batch.result?.errorFileId ?? null,
      request_counts: batch.result
        ? { total: batch.lines.length, completed: batch.result.completed, failed: batch.result.failed }
        : { total: batch.lines.length, completed: worked, failed: 0 },
    };
  }
  if (phase === "validating") return base;
  const inProgressAt = seconds(phaseStart(batch.createdAt, "in_progress", t));
  if (phase === "in_progress") {
    const processed = requestsProcessed(batch.createdAt, now, t, batch.lines.length);
    return {
      ...base,
      status: "in_progress",
      in_progress_at: inProgressAt,
      request_counts: { total: batch.lines.length, completed: processed, failed: 0 },
    };
  }
  const finalizingAt = seconds(phaseStart(batch.createdAt, "finalizing", t));
  if (outcome === "expire") {
    batch.result ??= settle(state, batch, true);
    return {
      ...base,
      status: "expired",
      in_progress_at: inProgressAt,
      expired_at: finalizingAt,
      error_file_id: batch.result.errorFileId,
      request_counts: { total: batch.lines.length, completed: 0, failed: batch.lines.length },
    };
  }
  // From finalizing on, every request has been worked through (the files are written meanwhile).
  batch.result ??= settle(state, batch, false);
  const counts = {
    total: batch.lines.length,
    completed: batch.result.completed,
    failed: batch.result.failed,
  };
  if (phase === "finalizing")
    return {
      ...base,
      status: "finalizing",
      in_progress_at: inProgressAt,
      finalizing_at: finalizingAt,
      request_counts: counts,
    };
  return {
    ...base,
    status: "completed",
    in_progress_at: inProgressAt,
    finalizing_at: finalizingAt,
    completed_at: seconds(phaseStart(batch.createdAt, "done", t)),
    output_file_id: batch.result.outputFileId,
    error_file_id: batch.result.errorFileId,
    request_counts: counts,
  };
}

/** `POST /v1/batches`. */
export function createBatch(ctx: SimRequest) {
  const body = (ctx.body ?? {}) as {
    input_file_id?: unknown;
    endpoint?: unknown;
    completion_window?: unknown;
    metadata?: unknown;
  };
  if (typeof body.endpoint !== "string" || !ENDPOINTS.has(body.endpoint)) {
    return sendError(ctx.res, "openai", 400, "endpoint must be /v1/chat/completions or /v1/embeddings", {
      param: "endpoint",
    });
  }
  if (body.completion_window !== "24h")
    return sendError(ctx.res, "openai", 400, "completion_window must be 24h", { param: "completion_window" });
  const file = fileStore(ctx.state).get(String(body.input_file_id));
  if (!file)
    return sendError(ctx.res, "openai", 404, `No such File object: ${String(body.input_file_id)}`, {
      param: "input_file_id",
    });
  const batch: SimBatch = {
    id: ctx.state.nextId("batch"),
    endpoint: body.endpoint,
    inputFileId: file.id,
    completionWindow: "24h",
    metadata:
      body.metadata && typeof body.metadata === "object" ? (body.metadata as Record<string, string>) : null,
    createdAt: ctx.state.clock.now(),
    invalidToolCallRate: invalidRateHeader(ctx),
    ...parseInput(file.content.toString("utf8"), body.endpoint),
  };
  batches(ctx.state).set(batch.id, batch);
  sendJson(ctx.res, 200, batchObject(ctx.state, batch));
}

/** `GET /v1/batches/:id`. */
export function getBatch(ctx: SimRequest) {
  const batch = batches(ctx.state).get(ctx.params[0] ?? "");
  if (!batch) return sendError(ctx.res, "openai", 404, `No batch found with id '${ctx.params[0]}'`);
  sendJson(ctx.res, 200, batchObject(ctx.state, batch));
}

/** `GET /v1/batches` (newest first, `after` + `limit`). */
export function listBatches(ctx: SimRequest) {
  const all = [...batches(ctx.state).values()].reverse();
  const after = ctx.url.searchParams.get("after");
  const limit = Math.min(100, Number(ctx.url.searchParams.get("limit") ?? 20) || 20);
  const start = after ? all.findIndex((b) => b.id === after) + 1 : 0;
  const page = all.slice(start, start + limit).map((b) => batchObject(ctx.state, b));
  sendJson(ctx.res, 200, {
    object: "list",
    data: page,
    first_id: page[0]?.id ?? null,
    last_id: page.at(-1)?.id ?? null,
    has_more: start + limit < all.length,
  });
}

/** `POST /v1/batches/:id/cancel`. */
export function cancelBatch(ctx: SimRequest) {
  const batch = batches(ctx.state).get(ctx.params[0] ?? "");
  if (!batch) return sendError(ctx.res, "openai", 404, `No batch found with id '${ctx.params[0]}'`);
  const status = batchObject(ctx.state, batch).status;
  if (["completed", "failed", "expired", "cancelled"].includes(status)) {
    return sendError(ctx.res, "openai", 400, `Cannot cancel a batch with status '${status}'.`);
  }
  batch.cancelAt ??= ctx.state.clock.now();
  sendJson(ctx.res, 200, batchObject(ctx.state, batch));
}
