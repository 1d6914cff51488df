import { once } from "node:events";
import {
  type ErrorCode,
  endUserOf,
  errorCodes,
  type MessageBatch,
  type MessageBatchResult,
  type MessageEventStream,
  type Principal,
  parseCountTokensRequest,
  parseMessagesRequest,
  SluiceError,
  spendPrincipalOf,
} from "@sluice/core";
import { type Request, type Response, Router } from "express";
import { anthropicApiKey } from "../auth/bearerToken.ts";
import { anthropicErrorBody } from "../errors/anthropicErrorBody.ts";
import { publicError, SHUTTING_DOWN, toPublicError } from "../errors/publicError.ts";
import { requestIdOf } from "../http/requestId.ts";
import type { ApiServices } from "../services.ts";
import { END_USER_HEADER, sluiceExtension } from "./openaiRoutes.ts";
import { rateLimitHeaders } from "./rateLimitHeaders.ts";

/**
 * `anthropic-version` values answered. 2023-06-01 is the Messages API's; the bundled SDK sends its
 * own newer date, which reads the same wire format. An absent header means 2023-06-01.
 */
export const ANTHROPIC_VERSIONS = ["2023-06-01", "2026-10-21"] as const;

function checkVersion(req: Request): void {
  const version = req.header("anthropic-version");
  if (!version || (ANTHROPIC_VERSIONS as readonly string[]).includes(version)) return;
  const message = `must be one of ${ANTHROPIC_VERSIONS.join(", ")} (not "${version.slice(0, 64)}")`;
  throw new SluiceError("validation_error", `anthropic-version: ${message}`, {
    details: { issues: [{ path: "header.anthropic-version", message }] },
  });
}

/** Anthropic's Messages API: messages, count_tokens and Message Batches under `/v1/messages`. */
export function anthropicRoutes(services: ApiServices): Router {
  const router = Router();
  // Anthropic's clients read the request id from `request-id`, errors included.
  router.use("/v1/messages", (req, res, next) => {
    res.setHeader("request-id", requestIdOf(req));
    next();
  });
  const principalOf = async (req: Request): Promise<Principal> => {
    const principal = await services.auth.authenticate(anthropicApiKey(req.headers));
    checkVersion(req);
    return principal;
  };
  const scopeOf = async (req: Request) => {
    const principal = await principalOf(req);
    return { tenantId: principal.tenant.id, apiKey: principal.key, requestId: requestIdOf(req) };
  };

  router.post("/v1/messages", async (req, res) => {
    const principal = await principalOf(req);
    const body = parseMessagesRequest(req.body);
    const caller = spendPrincipalOf(
      principal,
      endUserOf(req.headers[END_USER_HEADER], body.metadata?.user_id ?? undefined),
    );
    const requestId = requestIdOf(req);
    const controller = new AbortController();
    res.on("close", () => {
      if (!res.writableFinished) controller.abort();
    });
    const context = { requestId, signal: controller.signal };
    if (body.stream) {
      // Streams end with a final event on shutdown; plain requests are left to finish.
      const onShutdown = () => controller.abort();
      services.shutdown?.addEventListener("abort", onShutdown, { once: true });
      res.once("close", () => services.shutdown?.removeEventListener("abort", onShutdown));
      const stream = await services.messages.stream(caller, body, context);
      await writeStream(services, stream, requestId, res);
      return;
    }
    const { message, completion, rateLimit } = await services.messages.create(caller, body, context);
    res.set(rateLimitHeaders(rateLimit));
    res.json({ ...message, sluice: sluiceExtension(completion) });
  });

  router.post("/v1/messages/batches", async (req, res) => {
    const scope = await scopeOf(req);
    res.json(withResultsUrl(req, await services.messageBatches.create(scope, req.body)));
  });

  router.get("/v1/messages/batches", async (req, res) => {
    const page = await services.messageBatches.list(await scopeOf(req), req.query);
    res.json({ ...page, data: page.data.map((batch) => withResultsUrl(req, batch)) });
  });

  router.get("/v1/messages/batches/:id", async (req, res) => {
    res.json(withResultsUrl(req, await services.messageBatches.get(await scopeOf(req), req.params.id)));
  });

  router.post("/v1/messages/batches/:id/cancel", async (req, res) => {
    res.json(withResultsUrl(req, await services.messageBatches.cancel(await scopeOf(req), req.params.id)));
  });

  router.get("/v1/messages/batches/:id/results", async (req, res) => {
    const lines = await services.messageBatches.results(await scopeOf(req), req.params.id);
    res.setHeader("content-type", "application/jsonl");
    for await (const line of lines) {
      if (!res.write(`${JSON.stringify(resultLine(line))}\n`)) await once(res, "drain");
    }
    res.end();
  });

  router.post("/v1/messages/count_tokens", async (req, res) => {
    await principalOf(req);
    const body = parseCountTokensRequest(req.body);
    res.json(services.messages.countTokens(body));
  });

  return router;
}

/** A batch with its `results_url` made absolute, as Anthropic gives it. */
function withResultsUrl(req: Request, batch: MessageBatch): MessageBatch {
  const path = batch.results_url;
  return path === null ? batch : { ...batch, results_url: `${req.protocol}://${req.get("host")}${path}` };
}

/** A result line with an error in Anthropic's words. */
function resultLine(line: MessageBatchResult) {
  if (line.result.type !== "errored") return line;
  const { code, message } = line.result.error;
  const known: ErrorCode = Object.hasOwn(errorCodes, code) ? (code as ErrorCode) : "model_error";
  const body = anthropicErrorBody(publicError(known, message), "");
  return {
    custom_id: line.custom_id,
    result: { type: "errored", error: { type: "error", error: body.error } },
  };
}

/** Writes Anthropic's SSE; a failure after the headers travels as a final `event: error`. */
async function writeStream(
  services: ApiServices,
  stream: MessageEventStream,
  requestId: string,
  res: Response,
): Promise<void> {
  try {
    res.writeHead(200, {
      "content-type": "text/event-stream",
      "cache-control": "no-cache",
      connection: "keep-alive",
      ...rateLimitHeaders(stream.rateLimit),
    });
    for await (const { event, data } of stream.events)
      res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    res.end();
  } catch (error) {
    const pub = services.shutdown?.aborted ? SHUTTING_DOWN : toPublicError(error);
    if (pub.code === "internal_error")
      services.logger.error({ err: error, request_id: requestId }, "stream failed");
    if (!res.writableEnded)
      res.end(`event: error\ndata: ${JSON.stringify(anthropicErrorBody(pub, requestId))}\n\n`);
  } finally {
    await stream.abandon();
  }
}
