import type { NextFunction, Request, Response } from "express";
import type { Logger } from "pino";
import { requestIdOf } from "../http/requestId.ts";

/** Paths never written to logs: credentials and request bodies (prompts). */
export const REDACTED_PATHS = [
  "req.headers.authorization",
  'req.headers["x-api-key"]',
  "req.headers.cookie",
  "req.body",
  "res.headers['set-cookie']",
];

type Level = "info" | "warn" | "error";

function levelOf(status: number, aborted: boolean, stream: boolean): Level {
  // An event stream ends when its client closes it: that is how EventSource clients leave.
  if (aborted && stream && status < 400) return "info";
  return aborted || status >= 500 ? "error" : status >= 400 ? "warn" : "info";
}

/**
 * One JSON line per finished request: request id, method, path, status and time; never headers
 * (credentials) or bodies (prompts). Nothing is built unless the line's level is enabled, so a quiet
 * level costs a listener per request. (pino-http serialises every request into a child logger up
 * front, whatever the level: about 4% of the API's CPU at full load.)
 */
export function httpLogger(logger: Logger) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const started = performance.now();
    const done = () => {
      res.removeListener("finish", done);
      res.removeListener("close", done);
      const aborted = !res.writableFinished;
      const stream = String(res.getHeader("content-type") ?? "").startsWith("text/event-stream");
      const level = levelOf(res.statusCode, aborted, stream);
      if (!logger.isLevelEnabled(level)) return;
      logger[level](
        {
          request_id: requestIdOf(req),
          req: { method: req.method, url: req.originalUrl },
          // No status was sent before the client went: none is logged (as pino-http logs it).
          res: { statusCode: res.headersSent ? res.statusCode : null },
          responseTime: Math.round(performance.now() - started),
        },
        aborted ? (stream ? "stream closed by client" : "request aborted") : "request completed",
      );
    };
    res.once("finish", done);
    res.once("close", done);
    next();
  };
}
