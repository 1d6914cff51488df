import type { CallRecord, CascadeResult } from "@sluice/core";
import type { NextFunction, Request, Response } from "express";
import { Counter, Gauge, Histogram, Registry } from "prom-client";

/** The API's Prometheus series, in a registry of their own. */
export function createApiMetrics() {
  const registry = new Registry();
  const httpDuration = new Histogram({
    name: "sluice_http_request_duration_seconds",
    help: "HTTP request duration by route and status",
    labelNames: ["method", "route", "status"] as const,
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30],
    registers: [registry],
  });
  const inFlight = new Gauge({
    name: "sluice_http_requests_in_flight",
    help: "HTTP requests being served",
    registers: [registry],
  });
  const modelCalls = new Counter({
    name: "sluice_model_calls_total",
    help: "Model calls by model, provider and status",
    labelNames: ["model", "provider", "status"] as const,
    registers: [registry],
  });
  const tokens = new Counter({
    name: "sluice_model_tokens_total",
    help: "Tokens by model and direction",
    labelNames: ["model", "direction"] as const,
    registers: [registry],
  });
  const cost = new Counter({
    name: "sluice_model_cost_micros_total",
    help: "Spend in micro-dollars by model",
    labelNames: ["model"] as const,
    registers: [registry],
  });
  const cacheHits = new Counter({
    name: "sluice_cache_hits_total",
    help: "Model calls answered from the cache",
    labelNames: ["model"] as const,
    registers: [registry],
  });
  const cascades = new Counter({
    name: "sluice_cascade_runs_total",
    help: "Cascade runs by cascade and outcome",
    labelNames: ["cascade", "outcome", "draft_accepted"] as const,
    registers: [registry],
  });

  return {
    registry,
    onCall(call: CallRecord): void {
      modelCalls.inc({ model: call.model, provider: call.provider, status: call.status });
      tokens.inc({ model: call.model, direction: "input" }, call.inputTokens);
      tokens.inc({ model: call.model, direction: "output" }, call.outputTokens);
      cost.inc({ model: call.model }, call.costMicros);
      if (call.cacheHit) cacheHits.inc({ model: call.model });
    },
    onCascade(result: CascadeResult): void {
      cascades.inc({
        cascade: result.cascade,
        outcome: result.outcome,
        draft_accepted: String(result.draftAccepted),
      });
    },
    /** Express middleware timing every request. */
    http(req: Request, res: Response, next: NextFunction): void {
      const stop = httpDuration.startTimer();
      inFlight.inc();
      res.once("close", () => {
        inFlight.dec();
        const route =
          req.baseUrl === "/trpc" || req.originalUrl.startsWith("/trpc/")
            ? `/trpc/${req.path.slice(1, 80)}`
            : ((req.route?.path as string | undefined) ?? "unmatched");
        stop({ method: req.method, route, status: String(res.statusCode) });
      });
      next();
    },
  };
}

/** The API's metrics. */
export type ApiMetrics = ReturnType<typeof createApiMetrics>;
