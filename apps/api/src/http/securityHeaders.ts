import type { NextFunction, Request, Response } from "express";

/** Conservative headers for an API, and CORS for the configured browser origins only. */
export function securityHeaders(corsOrigins: string[]) {
  const allowed = new Set(corsOrigins);
  return (req: Request, res: Response, next: NextFunction): void => {
    res.setHeader("X-Content-Type-Options", "nosniff");
    res.setHeader("X-Frame-Options", "DENY");
    res.setHeader("Referrer-Policy", "no-referrer");
    res.setHeader("Cache-Control", "no-store");
    const origin = req.header("origin");
    if (origin && (allowed.has(origin) || allowed.has("*"))) {
      res.setHeader("Access-Control-Allow-Origin", origin);
      res.setHeader("Vary", "Origin");
      res.setHeader(
        "Access-Control-Allow-Headers",
        "authorization, content-type, x-request-id, trpc-accept, last-event-id",
      );
      res.setHeader("Access-Control-Allow-Methods", "GET, POST, DELETE, OPTIONS");
      res.setHeader(
        "Access-Control-Expose-Headers",
        "x-request-id, retry-after, x-ratelimit-limit-requests, x-ratelimit-reset",
      );
      if (req.method === "OPTIONS") {
        res.status(204).end();
        return;
      }
    }
    next();
  };
}
