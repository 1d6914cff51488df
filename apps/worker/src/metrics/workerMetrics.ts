import type { AttemptEnd, BudgetAlert, DeadLetterAlert, RunningAttempt } from "@sluice/core";
import { Counter, Gauge, Histogram, Registry } from "prom-client";

/** A worker's Prometheus series. */
export function createWorkerMetrics() {
  const registry = new Registry();
  const attempts = new Counter({
    name: "sluice_job_attempts_total",
    help: "Job attempts by kind and how they ended",
    labelNames: ["kind", "outcome"] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: "sluice_job_attempt_duration_seconds",
    help: "Job attempt duration by kind",
    labelNames: ["kind"] as const,
    buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300, 1800],
    registers: [registry],
  });
  const dead = new Counter({
    name: "sluice_dead_letters_total",
    help: "Jobs that died (retries exhausted or not retriable), by kind",
    labelNames: ["kind"] as const,
    registers: [registry],
  });
  const alerts = new Counter({
    name: "sluice_dead_letter_alerts_total",
    help: "Times dead letters passed the alert threshold within a window",
    registers: [registry],
  });
  const budgetAlerts = new Counter({
    name: "sluice_budget_alerts_total",
    help: "Soft budget alerts raised by this process (once per budget and period across processes), by budget",
    labelNames: ["budget"] as const,
    registers: [registry],
  });
  const rowsDeleted = new Counter({
    name: "sluice_retention_rows_deleted_total",
    help: "Rows maintenance deleted past their retention, by table (llm_calls: rolled into daily usage)",
    labelNames: ["table"] as const,
    registers: [registry],
  });
  const maintenancePasses = new Counter({
    name: "sluice_maintenance_passes_total",
    help: "Retention passes by outcome (skipped: another worker's pass held the lock)",
    labelNames: ["outcome"] as const,
    registers: [registry],
  });
  let countRunning = () => 0;
  new Gauge({
    name: "sluice_jobs_running",
    help: "Jobs running in this worker",
    registers: [registry],
    collect() {
      this.set(countRunning());
    },
  });
  return {
    registry,
    /** Where the running-jobs gauge reads its value at scrape time. */
    countRunning(count: () => number): void {
      countRunning = count;
    },
    onEnd(attempt: RunningAttempt, end: AttemptEnd, ms: number): void {
      const outcome = end.kind === "failed" ? (end.error.retriable ? "failed" : "failed_final") : end.kind;
      attempts.inc({ kind: attempt.job.kind, outcome });
      duration.observe({ kind: attempt.job.kind }, ms / 1000);
    },
    onDead(kind: string): void {
      dead.inc({ kind });
    },
    onAlert(_alert: DeadLetterAlert): void {
      alerts.inc();
    },
    onBudgetAlert(alert: BudgetAlert): void {
      budgetAlerts.inc({ budget: alert.budget });
    },
    onRowsDeleted(table: string, rows: number): void {
      rowsDeleted.inc({ table }, rows);
    },
    onMaintenancePass(outcome: "ran" | "skipped" | "failed"): void {
      maintenancePasses.inc({ outcome });
    },
  };
}

/** A worker's metrics. */
export type WorkerMetrics = ReturnType<typeof createWorkerMetrics>;
