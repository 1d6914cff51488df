import {
  decodeTicketCursor,
  findTicket,
  insertTickets,
  listTickets as listTicketRows,
  listUnclassifiedTicketIds,
  type Ticket,
  type TicketPage,
  ticketStats as ticketStatsRows,
} from "@sluice/db";
import { z } from "zod";
import { SluiceError } from "../errors/sluiceError.ts";
import {
  type ItemResult,
  type PipelineContext,
  runPipeline,
  runPipelineMany,
} from "../pipelines/pipeline.ts";
import { parseOrThrow } from "../schemas/validationError.ts";
import { type ClassifiedTicket, ticketClassifierPipeline } from "./ticketClassifier.ts";
import { ticketCategories, ticketInputSchema, ticketUrgencies } from "./ticketSchemas.ts";

/** Most tickets one call may create or classify. */
export const MAX_TICKETS_PER_CALL = 1000;

const createManySchema = z.array(ticketInputSchema).min(1).max(MAX_TICKETS_PER_CALL);

/** Filters and paging of `listTickets`. */
export const ticketListQuerySchema = z.strictObject({
  limit: z.int().min(1).max(100).default(50),
  cursor: z.string().max(200).optional(),
  urgency: z.enum(ticketUrgencies).optional(),
  category: z.enum(ticketCategories).optional(),
  classified: z.boolean().optional(),
});

/** Creates tickets for the tenant: every one valid, or none stored (errors name each index). */
export async function createTickets(
  ctx: Pick<PipelineContext, "db" | "tenantId">,
  input: unknown,
): Promise<Ticket[]> {
  const tickets = parseOrThrow(createManySchema, input, "tickets");
  return insertTickets(ctx.db, ctx.tenantId, tickets);
}

/** One of the tenant's tickets; another tenant's id is simply not found. */
export async function getTicket(ctx: Pick<PipelineContext, "db" | "tenantId">, id: string): Promise<Ticket> {
  const parsedId = parseOrThrow(z.uuid(), id, "ticket id");
  const ticket = await findTicket(ctx.db, ctx.tenantId, parsedId);
  if (!ticket)
    throw new SluiceError("not_found", `ticket ${parsedId} not found`, { details: { ticketId: parsedId } });
  return ticket;
}

/** A page of the tenant's tickets with filters; pass `nextCursor` back for the next page. */
export async function listTickets(
  ctx: Pick<PipelineContext, "db" | "tenantId">,
  query: unknown,
): Promise<TicketPage> {
  const q = parseOrThrow(ticketListQuerySchema, query ?? {}, "ticket query");
  const position = q.cursor === undefined ? undefined : decodeTicketCursor(q.cursor);
  if (q.cursor !== undefined && !position) {
    throw new SluiceError(
      "validation_error",
      "invalid ticket query: cursor: not a cursor from this listing",
      {
        details: { issues: [{ path: "cursor", message: "not a cursor from this listing" }] },
      },
    );
  }
  return listTicketRows(ctx.db, ctx.tenantId, q, position);
}

/** Classifies one of the tenant's tickets and stores the result. */
export function classifyTicket(
  ctx: PipelineContext,
  model: string,
  ticketId: string,
): Promise<ClassifiedTicket> {
  return runPipeline(ticketClassifierPipeline(model), { ticketId }, ctx);
}

/** Classifies the given tickets; each item succeeds or fails on its own. */
export function classifyTickets(
  ctx: PipelineContext,
  model: string,
  ticketIds: string[],
  options: { concurrency?: number } = {},
): Promise<ItemResult<{ ticketId: string }, ClassifiedTicket>[]> {
  const ids = parseOrThrow(z.array(z.uuid()).min(1).max(MAX_TICKETS_PER_CALL), ticketIds, "ticket ids");
  return runPipelineMany(
    ticketClassifierPipeline(model),
    ids.map((ticketId) => ({ ticketId })),
    ctx,
    options,
  );
}

const GATE_CODES = ["budget_exceeded", "rate_limit_exceeded"] as const;

/**
 * The spend gate's refusal among a run's items, if any (a budget refusal before a rate limit):
 * callers turn it into the run's own failure rather than a success that classified nothing.
 */
export function gateRefusal(results: ItemResult<{ ticketId: string }, unknown>[]): SluiceError | undefined {
  for (const code of GATE_CODES) {
    const refused = results.filter((r) => !r.ok && r.error.code === code);
    const first = refused[0];
    if (!first || first.ok) continue;
    return new SluiceError(
      code,
      `${refused.length} of ${results.length} tickets were refused: ${first.error.message}`,
      { details: { refused: refused.length, total: results.length } },
    );
  }
  return undefined;
}

/** Classifies up to `limit` of the tenant's unclassified tickets, oldest first. */
export async function classifyPendingTickets(
  ctx: PipelineContext,
  model: string,
  options: { limit?: number; concurrency?: number } = {},
): Promise<ItemResult<{ ticketId: string }, ClassifiedTicket>[]> {
  const ids = await listUnclassifiedTicketIds(
    ctx.db,
    ctx.tenantId,
    Math.min(options.limit ?? 100, MAX_TICKETS_PER_CALL),
  );
  if (ids.length === 0) return [];
  return classifyTickets(ctx, model, ids, options);
}

/** Counts by urgency and category, classified share and classification spend. */
export function ticketStats(ctx: Pick<PipelineContext, "db" | "tenantId">) {
  return ticketStatsRows(ctx.db, ctx.tenantId);
}
