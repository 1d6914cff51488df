import { z } from "zod";

const workerEnvSchema = z.object({
  SLUICE_WORKER_METRICS_PORT: z.preprocess(
    (v) => (v === "" ? undefined : v),
    z.coerce.number().int().min(0).max(65_535).optional(),
  ),
  SLUICE_WORKER_METRICS_HOST: z.string().min(1).default("127.0.0.1"),
  SLUICE_WORKER_KINDS: z.string().default(""),
});

/** Settings of a worker process, on top of the shared Sluice configuration. */
export interface WorkerEnv {
  /** Serve `/metrics` and `/healthz` here (unset: no HTTP server). */
  metricsPort: number | undefined;
  metricsHost: string;
  /** Job kinds to work (`SLUICE_WORKER_KINDS`, comma-separated; empty: all). */
  kinds: string[] | undefined;
}

/** Parses the worker's own variables; a wrong value names the variable. */
export function loadWorkerEnv(source: Record<string, string | undefined> = process.env): WorkerEnv {
  const parsed = workerEnvSchema.safeParse(source);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`invalid configuration: ${String(issue?.path[0])} ${issue?.message}`);
  }
  const kinds = parsed.data.SLUICE_WORKER_KINDS.split(",")
    .map((k) => k.trim())
    .filter(Boolean);
  return {
    metricsPort: parsed.data.SLUICE_WORKER_METRICS_PORT,
    metricsHost: parsed.data.SLUICE_WORKER_METRICS_HOST,
    kinds: kinds.length > 0 ? kinds : undefined,
  };
}
