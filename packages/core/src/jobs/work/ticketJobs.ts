import { findTicket, findTickets } from "@sluice/db";
import { SluiceError } from "../../errors/sluiceError.ts";
import type { PipelineContext } from "../../pipelines/pipeline.ts";
import { type ClassifiedTicket, classifiedTicketOf } from "../../tickets/ticketClassifier.ts";
import {
  classifyPendingTickets,
  classifyTicket,
  classifyTickets,
  gateRefusal,
} from "../../tickets/ticketService.ts";

/**
 * `tickets.classify`: classifies the ticket unless it already is (a retried or re-run job finds
 * its own earlier result and spends nothing), so the classification is written once.
 */
export async function runClassifyJob(
  ctx: PipelineContext,
  model: string,
  ticketId: string,
): Promise<ClassifiedTicket> {
  const ticket = await findTicket(ctx.db, ctx.tenantId, ticketId);
  if (!ticket) throw new SluiceError("not_found", `ticket ${ticketId} not found`, { details: { ticketId } });
  return classifiedTicketOf(ticket) ?? classifyTicket(ctx, model, ticketId);
}

/** What a `tickets.classifyBatch` job leaves as its result. */
export interface ClassifyBatchResult {
  total: number;
  classified: number;
  failed: number;
  failures: { ticketId: string; code: string; message: string }[];
}

/** `tickets.classifyBatch`: the given tickets (skipping classified ones) or the pending ones, with progress. */
export async function runClassifyBatchJob(
  ctx: PipelineContext,
  model: string,
  payload: { ticketIds: string[] } | { pending: true; limit: number },
): Promise<ClassifyBatchResult> {
  const ids = "ticketIds" in payload ? await unclassified(ctx, payload.ticketIds) : undefined;
  const results =
    ids === undefined
      ? await classifyPendingTickets(ctx, model, { limit: "limit" in payload ? payload.limit : 1000 })
      : ids.length === 0
        ? []
        : await classifyTickets(ctx, model, ids);
  // Refused by the spend gate: the job fails as refused (budget: for good; rate limit: retried
  // later), and a later attempt skips what this one classified.
  const refusal = gateRefusal(results);
  if (refusal) throw refusal;
  const failures = results.flatMap((r) => (r.ok ? [] : [{ ticketId: r.input.ticketId, ...r.error }]));
  if (results.length === 0) ctx.progress?.(100, "nothing to classify");
  return {
    total: results.length,
    classified: results.length - failures.length,
    failed: failures.length,
    failures,
  };
}

/** The ids not yet classified (unknown ids stay, so they fail as not found). */
async function unclassified(ctx: PipelineContext, ids: string[]): Promise<string[]> {
  const done = new Set(
    (await findTickets(ctx.db, ctx.tenantId, ids)).filter((t) => t.classifiedAt).map((t) => t.id),
  );
  return ids.filter((id) => !done.has(id));
}
