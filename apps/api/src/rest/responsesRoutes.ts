import {
  createResponsesService,
  endUserOf,
  parseResponsesRequest,
  type ResponsesRequest,
  type ResponsesService,
  type ResponsesStream,
  spendPrincipalOf,
} from "@sluice/core";
import { type Request, type Response, Router } from "express";
import { bearerToken } from "../auth/bearerToken.ts";
import { SHUTTING_DOWN, toPublicError } from "../errors/publicError.ts";
import { requestIdOf } from "../http/requestId.ts";
import type { ApiServices } from "../services.ts";
import { END_USER_HEADER, sluiceExtension } from "./openaiRoutes.ts";
import { rateLimitHeaders } from "./rateLimitHeaders.ts";

/** Aborts when the client leaves before the answer is written (and, for streams, on shutdown). */
function callSignal(services: ApiServices, res: Response, stream: boolean): AbortSignal {
  const controller = new AbortController();
  res.on("close", () => {
    if (!res.writableFinished) controller.abort();
  });
  if (stream) {
    // Streams end with a final event on shutdown; plain requests are left to finish.
    const onShutdown = () => controller.abort();
    services.shutdown?.addEventListener("abort", onShutdown, { once: true });
    res.once("close", () => services.shutdown?.removeEventListener("abort", onShutdown));
  }
  return controller.signal;
}

/** Writes a response stream as named server-sent events; a failure midway ends it with its events. */
async function writeStream(
  services: ApiServices,
  stream: ResponsesStream,
  requestId: string,
  res: Response,
): Promise<void> {
  res.writeHead(200, {
    "content-type": "text/event-stream",
    "cache-control": "no-cache",
    connection: "keep-alive",
    "x-request-id": requestId,
    ...rateLimitHeaders(stream.rateLimit),
  });
  const send = (event: { type: string }) =>
    res.write(`event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
  try {
    for await (const event of stream.events) send(event);
  } catch (error) {
    const pub = services.shutdown?.aborted ? SHUTTING_DOWN : toPublicError(error);
    if (pub.code === "internal_error")
      services.logger.error({ err: error, request_id: requestId }, "response stream failed");
    if (!res.writableEnded) for (const event of stream.fail(pub)) send(event);
  } finally {
    res.end();
    await stream.abandon();
  }
}

/** OpenAI-compatible `POST /v1/responses`: native for OpenAI-family models, translated onto chat for the others. */
export function responsesRoutes(services: ApiServices): Router {
  const router = Router();
  const responses: ResponsesService = createResponsesService({ chat: services.chat });

  router.post("/v1/responses", async (req: Request, res: Response) => {
    const principal = await services.auth.authenticate(bearerToken(req.headers));
    const body: ResponsesRequest = parseResponsesRequest(req.body);
    const caller = spendPrincipalOf(principal, endUserOf(req.headers[END_USER_HEADER], body.user));
    const requestId = requestIdOf(req);
    const options = {
      context: { requestId, signal: callSignal(services, res, body.stream === true) },
      extension: sluiceExtension,
    };
    if (body.stream) {
      const stream = await responses.stream(caller, body, options);
      await writeStream(services, stream, requestId, res);
      return;
    }
    const { response, rateLimit } = await responses.create(caller, body, options);
    res.set(rateLimitHeaders(rateLimit));
    res.json(response);
  });

  return router;
}
