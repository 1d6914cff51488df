import type { Request } from "express";
import type { Logger } from "pino";
import { pinoHttp } from "pino-http";
import { requestIdOf } from "../http/requestId.ts";

/** Paths never written to logs: credentials and request bodies (prompts). */
export const REDACTED_PATHS = [
  "req.headers.authorization",
  'req.headers["x-api-key"]',
  "req.headers.cookie",
  "req.body",
  "res.headers['set-cookie']",
];

/** Request logging with the request id on every line and secrets redacted. */
export function httpLogger(logger: Logger) {
  return pinoHttp({
    logger,
    genReqId: (req) => requestIdOf(req as Request),
    customProps: (req) => ({ request_id: requestIdOf(req as Request) }),
    customLogLevel: (_req, res, error) =>
      error || res.statusCode >= 500 ? "error" : res.statusCode >= 400 ? "warn" : "info",
  });
}
