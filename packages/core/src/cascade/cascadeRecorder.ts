import { type Db, insertCascadeRun } from "@sluice/db";
import type { CascadeResult } from "./cascadeResult.ts";

/** Stores a cascade run and its attempts; returns the run id. */
export async function recordCascadeRun(
  db: Db,
  result: CascadeResult,
  context: { tenantId?: string | null; requestId?: string | undefined },
): Promise<string> {
  return insertCascadeRun(
    db,
    {
      tenantId: context.tenantId ?? null,
      requestId: context.requestId ?? null,
      cascade: result.cascade,
      modelUsed: result.modelUsed,
      outcome: result.outcome,
      cascaded: result.cascaded,
      draftAccepted: result.draftAccepted,
      preRouted: result.preRouted,
      totalCostMicros: result.totalCostMicros,
      savedMicros: result.savedMicros,
      latencyMs: result.latencyMs,
    },
    result.attempts,
  );
}
