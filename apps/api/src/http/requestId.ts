import { AsyncLocalStorage } from "node:async_hooks";
import type { NextFunction, Request, Response } from "express";
import { requestIdFrom } from "../errors/errorEnvelope.ts";

// Errors raised before a tRPC context exists (bad content type, mixed batch) still need the id.
const current = new AsyncLocalStorage<string>();

/** The id of the request being handled, wherever in its handling this runs. */
export function currentRequestId(): string | undefined {
  return current.getStore();
}

/** The request id of a request: the caller's `X-Request-ID` when well-formed, else a new one. */
export function requestIdOf(req: Request): string {
  return (req as Request & { requestId?: string }).requestId ?? "unknown";
}

/** Accepts or assigns `X-Request-ID` and echoes it on the response. */
export function requestIdMiddleware(req: Request, res: Response, next: NextFunction): void {
  const id = requestIdFrom(req.header("x-request-id"));
  (req as Request & { requestId?: string }).requestId = id;
  res.setHeader("X-Request-ID", id);
  current.run(id, next);
}
