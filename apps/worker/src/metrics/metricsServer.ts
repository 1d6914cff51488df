import http from "node:http";
import type { Logger } from "pino";
import type { Registry } from "prom-client";
// The API's error envelope and status table, by path: @sluice/api depends on this package for its
// tests, so depending back on it would make a cycle. The file imports nothing at runtime.
import {
  errorBody,
  type PublicError,
  publicError,
  requestIdFrom,
} from "../../../api/src/errors/errorEnvelope.ts";

/** A started metrics server. */
export interface MetricsServer {
  url: string;
  close(): Promise<void>;
}

/**
 * Serves `GET /metrics` (Prometheus text) and `GET /healthz`; every other answer is an error in
 * the API's envelope, and every answer carries the request's `X-Request-ID`.
 */
export async function serveMetrics(
  registry: Registry,
  options: { host: string; port: number; logger: Logger },
): Promise<MetricsServer> {
  const server = http.createServer((req, res) => {
    const requestId = requestIdFrom(req.headers["x-request-id"]);
    res.setHeader("x-request-id", requestId);
    const fail = (pub: PublicError) => {
      res.statusCode = pub.status;
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify(errorBody(pub, requestId)));
    };
    const path = new URL(req.url ?? "/", "http://worker").pathname;
    const known = path === "/metrics" || path === "/healthz";
    if (!known || (req.method !== "GET" && req.method !== "HEAD")) {
      // As the API answers a method a path does not take: no route.
      fail(publicError("not_found", `no route for ${req.method} ${path}`));
      return;
    }
    if (path === "/healthz") {
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ status: "ok" }));
      return;
    }
    registry.metrics().then(
      (text) => {
        res.setHeader("content-type", registry.contentType);
        res.end(text);
      },
      (error: unknown) => {
        options.logger.error({ err: error, request_id: requestId }, "metrics could not be read");
        fail(publicError("internal_error", "the metrics could not be read"));
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(options.port, options.host, resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://${options.host}:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
