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

/**
 * Request logging with the request id on every line and secrets redacted. The request is bound
 * only to lines actually written, so a level that logs nothing costs next to nothing.
 */
export function httpLogger(logger: Logger) {
  return pinoHttp({
    logger,
    genReqId: (req) => requestIdOf(req as Request),
    customAttributeKeys: { reqId: "request_id" },
    quietReqLogger: true,
    quietResLogger: true,
    customSuccessObject: (req, _res, fields) => ({ req, ...fields }),
    customErrorObject: (req, _res, _error, fields) => ({ req, ...fields }),
    // Method, path and status only: headers (credentials) and bodies (prompts) are never serialised.
    wrapSerializers: false,
    serializers: {
      req: (req: Request) => ({ method: req.method, url: req.originalUrl ?? req.url }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
    customLogLevel: (_req, res, error) => {
      const level = error || res.statusCode >= 500 ? "error" : res.statusCode >= 400 ? "warn" : "info";
      return logger.isLevelEnabled(level) ? level : "silent";
    },
  });
}
