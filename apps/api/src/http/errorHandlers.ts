import type { NextFunction, Request, Response } from "express";
import type { Logger } from "pino";
import { errorBody, publicError, toPublicError } from "../errors/publicError.ts";
import { requestIdOf } from "./requestId.ts";

/** Answers a request no route took: 404 in the public envelope. */
export function noRoute(req: Request, res: Response): void {
  const pub = publicError("not_found", `no route for ${req.method} ${req.path}`);
  res.status(pub.status).json(errorBody(pub, requestIdOf(req)));
}

/** The one REST error handler: every failure leaves in the public envelope with the request id. */
export function restErrorHandler(logger: Logger) {
  return (error: unknown, req: Request, res: Response, _next: NextFunction): void => {
    const pub = toPublicError(error);
    if (pub.code === "internal_error")
      logger.error({ err: error, request_id: requestIdOf(req) }, "unhandled error");
    if (res.headersSent) {
      // Mid-body (a streamed download): headers are gone, the connection ends the answer.
      res.end();
      return;
    }
    if (pub.retryAfterMs !== undefined)
      res.setHeader("Retry-After", String(Math.max(1, Math.ceil(pub.retryAfterMs / 1000))));
    res.status(pub.status).json(errorBody(pub, requestIdOf(req)));
  };
}
