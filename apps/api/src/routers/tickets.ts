import { boundedText, type Principal, spendPrincipalOf, webhookUrlSchema } from "@sluice/core";
import type { TRPCRouterRecord } from "@trpc/server";
import { z } from "zod";
import { tenantProcedure } from "../trpc/init.ts";

/** The caller of a ticket use case: the tenant, the request and its cancellation. */
const callerOf = (ctx: { principal: Principal; requestId: string }, signal?: AbortSignal) => ({
  principal: spendPrincipalOf(ctx.principal),
  requestId: ctx.requestId,
  ...(signal ? { signal } : {}),
});

/** `tickets.*`: every operation of the classifier, scoped to the caller's tenant. */
export const ticketsRouter = {
  create: tenantProcedure
    .input(z.strictObject({ tickets: z.array(z.unknown()).min(1).max(1000) }))
    .mutation(({ ctx, input }) => ctx.tickets.create(callerOf(ctx), input.tickets)),
  get: tenantProcedure
    .input(z.strictObject({ id: z.string() }))
    .query(({ ctx, input }) => ctx.tickets.get(callerOf(ctx), input.id)),
  list: tenantProcedure
    .input(z.unknown().optional())
    .query(({ ctx, input }) => ctx.tickets.list(callerOf(ctx), input ?? {})),
  classify: tenantProcedure
    .input(z.strictObject({ id: z.uuid() }))
    .mutation(({ ctx, input, signal }) => ctx.tickets.classify(callerOf(ctx, signal), input.id)),
  classifyMany: tenantProcedure
    .input(z.strictObject({ ids: z.array(z.uuid()).min(1).max(100) }))
    .mutation(({ ctx, input, signal }) => ctx.tickets.classifyMany(callerOf(ctx, signal), input.ids)),
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
    .mutation(({ ctx, input }) =>
      ctx.tickets.classifyPending(callerOf(ctx), {
        limit: input?.limit ?? 1000,
        idempotencyKey: input?.idempotencyKey,
        webhookUrl: input?.webhookUrl,
      }),
    ),
  /** Classifies a text once, without storing a ticket: the classification, the model used and the cost. */
  classifyText: tenantProcedure
    .input(
      z.strictObject({
        subject: z.string().trim().min(1).max(255),
        body: z.string().trim().min(1).max(20_000),
      }),
    )
    .mutation(({ ctx, input, signal }) => ctx.tickets.classifyText(callerOf(ctx, signal), input)),
  stats: tenantProcedure.query(({ ctx }) => ctx.tickets.stats(callerOf(ctx))),
} satisfies TRPCRouterRecord;
