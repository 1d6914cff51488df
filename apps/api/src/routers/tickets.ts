import type { Principal } from "@sluice/core";
import {
  boundedText,
  classifyTicket,
  classifyTickets,
  classifyTicketText,
  createTickets,
  getTicket,
  listTickets,
  type PipelineContext,
  ticketStats,
  webhookUrlSchema,
} from "@sluice/core";
import type { TRPCRouterRecord } from "@trpc/server";
import { z } from "zod";
import type { ApiContext } from "../trpc/init.ts";
import { tenantProcedure } from "../trpc/init.ts";

const silentLogger = { info() {}, warn() {}, error() {} };

function pipelineContext(
  ctx: ApiContext & { principal: Principal },
  signal: AbortSignal | undefined,
): PipelineContext {
  return {
    tenantId: ctx.principal.tenant.id,
    db: ctx.db,
    models: ctx.runtime.models,
    cascades: ctx.runtime.cascades,
    signal: signal ?? new AbortController().signal,
    logger: silentLogger,
    requestId: ctx.requestId,
  };
}

/** `tickets.*`: every operation of the classifier, scoped to the caller's tenant. */
export const ticketsRouter = {
  create: tenantProcedure
    .input(z.strictObject({ tickets: z.array(z.unknown()).min(1).max(1000) }))
    .mutation(({ ctx, input }) =>
      createTickets({ db: ctx.db, tenantId: ctx.principal.tenant.id }, input.tickets),
    ),
  get: tenantProcedure
    .input(z.strictObject({ id: z.string() }))
    .query(({ ctx, input }) => getTicket({ db: ctx.db, tenantId: ctx.principal.tenant.id }, input.id)),
  list: tenantProcedure
    .input(z.unknown().optional())
    .query(({ ctx, input }) => listTickets({ db: ctx.db, tenantId: ctx.principal.tenant.id }, input ?? {})),
  classify: tenantProcedure
    .input(z.strictObject({ id: z.uuid() }))
    .mutation(({ ctx, input, signal }) =>
      classifyTicket(pipelineContext(ctx, signal), ctx.runtime.classifierModel, input.id),
    ),
  classifyMany: tenantProcedure
    .input(z.strictObject({ ids: z.array(z.uuid()).min(1).max(100) }))
    .mutation(({ ctx, input, signal }) =>
      classifyTickets(pipelineContext(ctx, signal), ctx.runtime.classifierModel, input.ids),
    ),
  /** Queues a `tickets.classifyBatch` job over the pending tickets; follow it with `jobs.onEvents`. */
  classifyPending: tenantProcedure
    .input(
      z
        .strictObject({
          limit: z.int().min(1).max(1000).default(1000),
          idempotencyKey: boundedText(200).optional(),
          webhookUrl: webhookUrlSchema.optional(),
        })
        .optional(),
    )
    .mutation(async ({ ctx, input }) => {
      const { job } = await ctx.jobs.enqueue(
        { tenantId: ctx.principal.tenant.id, requestId: ctx.requestId },
        {
          kind: "tickets.classifyBatch",
          payload: { pending: true, limit: input?.limit ?? 1000 },
          ...(input?.idempotencyKey ? { idempotencyKey: input.idempotencyKey } : {}),
          ...(input?.webhookUrl ? { webhookUrl: input.webhookUrl } : {}),
        },
      );
      return job;
    }),
  /** Classifies a text once, without storing a ticket: the classification, the model used and the cost. */
  classifyText: tenantProcedure
    .input(
      z.strictObject({
        subject: z.string().trim().min(1).max(255),
        body: z.string().trim().min(1).max(20_000),
      }),
    )
    .mutation(async ({ ctx, input, signal }) => {
      const outcome = await classifyTicketText(ctx.runtime, ctx.runtime.classifierModel, input, {
        tenantId: ctx.principal.tenant.id,
        requestId: ctx.requestId,
        ...(signal ? { signal } : {}),
      });
      return {
        ...outcome.classification,
        modelUsed: outcome.modelUsed,
        costMicros: outcome.costMicros,
        cascaded: outcome.cascade?.cascaded ?? false,
      };
    }),
  stats: tenantProcedure.query(({ ctx }) => ticketStats({ db: ctx.db, tenantId: ctx.principal.tenant.id })),
} satisfies TRPCRouterRecord;
