import type { BudgetAlert, CallRecord, CascadeResult } from "@sluice/core";
import { countJobsByStatus, type Db } from "@sluice/db";
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
  const budgetAlerts = new Counter({
    name: "sluice_budget_alerts_total",
    help: "Soft budget alerts raised by this process (once per budget and period across processes), by budget",
    labelNames: ["budget"] as const,
    registers: [registry],
  });

  // Label sets repeat (a few models, routes and statuses): their bound children are looked up
  // by one string instead of prom-client hashing a label object on every observation.
  type Inc = { inc(value?: number): void };
  const callSeries = new Map<string, { calls: Inc; input: Inc; output: Inc; cost: Inc }>();
  const seriesFor = (call: CallRecord) => {
    const key = `${call.model}\0${call.provider}\0${call.status}`;
    let series = callSeries.get(key);
    if (!series) {
      series = {
        calls: modelCalls.labels(call.model, call.provider, call.status),
        input: tokens.labels(call.model, "input"),
        output: tokens.labels(call.model, "output"),
        cost: cost.labels(call.model),
      };
      callSeries.set(key, series);
    }
    return series;
  };
  const httpSeries = new Map<string, { observe(seconds: number): void }>();
  const observeHttp = (method: string, route: string, status: number, seconds: number) => {
    const key = `${method}\0${route}\0${status}`;
    let series = httpSeries.get(key);
    if (!series) {
      series = httpDuration.labels(method, route, String(status));
      if (httpSeries.size < 10_000) httpSeries.set(key, series);
    }
    series.observe(seconds);
  };

  let jobsDb: Db | undefined;
  new Gauge({
    name: "sluice_jobs",
    help: "Jobs by kind and status (read from Postgres at scrape time, all workers together)",
    labelNames: ["kind", "status"] as const,
    registers: [registry],
    async collect() {
      if (!jobsDb) return;
      this.reset();
      for (const row of await countJobsByStatus(jobsDb).catch(() => [])) {
        this.set({ kind: row.kind, status: row.status }, row.count);
      }
    },
  });

  return {
    registry,
    /** Reports job counts (dead letters among them) from this database at every scrape. */
    watchJobs(db: Db): void {
      jobsDb = db;
    },
    onCall(call: CallRecord): void {
      const series = seriesFor(call);
      series.calls.inc();
      series.input.inc(call.inputTokens);
      series.output.inc(call.outputTokens);
      series.cost.inc(call.costMicros);
      if (call.cacheHit) cacheHits.inc({ model: call.model });
    },
    onBudgetAlert(alert: BudgetAlert): void {
      budgetAlerts.inc({ budget: alert.budget });
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
      const started = performance.now();
      inFlight.inc();
      res.once("close", () => {
        inFlight.dec();
        const route =
          req.baseUrl === "/trpc" || req.originalUrl.startsWith("/trpc/")
            ? `/trpc/${req.path.slice(1, 80)}`
            : ((req.route?.path as string | undefined) ?? "unmatched");
        observeHttp(req.method, route, res.statusCode, (performance.now() - started) / 1000);
      });
      next();
    },
  };
}

/** The API's metrics. */
export type ApiMetrics = ReturnType<typeof createApiMetrics>;
