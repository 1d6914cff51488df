import {
  endUserOf,
  modelAllowed,
  type Principal,
  parseChatRequest,
  parseEmbeddingsRequest,
  spendPrincipalOf,
} from "@sluice/core";
import { type Request, Router } from "express";
import { anthropicApiKey, bearerToken } from "../auth/bearerToken.ts";
import { requestIdOf } from "../http/requestId.ts";
import type { ApiServices } from "../services.ts";
import { completionChoices } from "./chatChoices.ts";
import { streamChatCompletion } from "./chatStream.ts";
import { rateLimitHeaders } from "./rateLimitHeaders.ts";

/** The header naming the end user a request is made for; it wins over the body's `user`. */
export const END_USER_HEADER = "x-sluice-user";

/** The `sluice` extension object added to OpenAI-shaped responses. */
export function sluiceExtension(c: {
  costMicros: number;
  modelUsed: string;
  requested: string;
  cacheHit: boolean;
  cascade?: { cascaded: boolean; draftAccepted: boolean; savedMicros: number };
}) {
  return {
    cost_micros: c.costMicros,
    model_used: c.modelUsed,
    requested_model: c.requested,
    cache_hit: c.cacheHit,
    cascaded: c.cascade?.cascaded ?? false,
    draft_accepted: c.cascade?.draftAccepted ?? null,
    saved_micros: c.cascade?.savedMicros ?? 0,
  };
}

/** OpenAI-compatible REST: `POST /v1/chat/completions`, `POST /v1/embeddings`, `GET /v1/models`. */
export function openaiRoutes(services: ApiServices): Router {
  const router = Router();
  const principalOf = (req: Request): Promise<Principal> =>
    services.auth.authenticate(bearerToken(req.headers));

  router.get("/v1/models", async (req, res) => {
    // Anthropic's SDK sends `anthropic-version` and its key in `x-api-key`, and reads its own shape.
    const anthropic = req.headers["anthropic-version"] !== undefined;
    const principal = await services.auth.authenticate(
      anthropic ? anthropicApiKey(req.headers) : bearerToken(req.headers),
    );
    // A key with a model list sees only the models and cascades it may call.
    const ids = [
      ...services.runtime.registry.list().map((m) => ({ id: m.id, owner: m.provider })),
      ...services.runtime.cascades.list().map((c) => ({ id: `cascade:${c.name}`, owner: "sluice" })),
    ].filter(({ id }) => modelAllowed(principal.key.allowedModels, id));
    if (!anthropic) {
      const data = ids.map(({ id, owner }) => ({ id, object: "model", created: 0, owned_by: owner }));
      res.json({ object: "list", data });
      return;
    }
    const data = ids.map(({ id }) => ({
      type: "model",
      id,
      display_name: id,
      created_at: "1970-01-01T00:00:00Z",
    }));
    res.json({ data, has_more: false, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null });
  });

  router.post("/v1/chat/completions", async (req, res) => {
    const principal = await principalOf(req);
    const body = parseChatRequest(req.body);
    const caller = spendPrincipalOf(principal, endUserOf(req.headers[END_USER_HEADER], body.user));
    const requestId = requestIdOf(req);
    const controller = new AbortController();
    res.on("close", () => {
      if (!res.writableFinished) controller.abort();
    });
    if (body.stream) {
      // Streams end with a final event on shutdown; plain requests are left to finish.
      const onShutdown = () => controller.abort();
      services.shutdown?.addEventListener("abort", onShutdown, { once: true });
      res.once("close", () => services.shutdown?.removeEventListener("abort", onShutdown));
      await streamChatCompletion(services, caller, body, { requestId, signal: controller.signal }, res);
      return;
    }
    const { completion, rateLimit } = await services.chat.complete(caller, body, {
      requestId,
      signal: controller.signal,
    });
    res.set(rateLimitHeaders(rateLimit));
    res.json({
      id: `chatcmpl-${requestId}`,
      object: "chat.completion",
      created: Math.floor(Date.now() / 1000),
      model: completion.requested,
      choices: completionChoices(completion, body.logprobs === true),
      usage: {
        prompt_tokens: completion.usage.inputTokens,
        completion_tokens: completion.usage.outputTokens,
        total_tokens: completion.usage.inputTokens + completion.usage.outputTokens,
      },
      sluice: sluiceExtension(completion),
    });
  });

  router.post("/v1/embeddings", async (req, res) => {
    const principal = await principalOf(req);
    const body = parseEmbeddingsRequest(req.body);
    const caller = spendPrincipalOf(principal, endUserOf(req.headers[END_USER_HEADER], body.user));
    const { outcome, rateLimit } = await services.chat.embed(caller, body, {
      requestId: requestIdOf(req),
    });
    res.set(rateLimitHeaders(rateLimit));
    const base64 = body.encoding_format === "base64";
    res.json({
      object: "list",
      model: outcome.model.id,
      data: outcome.vectors.map((v, index) => ({
        object: "embedding",
        index,
        embedding: base64 ? Buffer.from(new Float32Array(v).buffer).toString("base64") : v,
      })),
      usage: { prompt_tokens: outcome.usage.inputTokens, total_tokens: outcome.usage.inputTokens },
      sluice: { cost_micros: outcome.costMicros },
    });
  });

  return router;
}
