import { batchListQuerySchema, createBatchInputSchema, isFinalBatchStatus, watchBatch } from "@sluice/core";
import { type TRPCRouterRecord, tracked } from "@trpc/server";
import { z } from "zod";
import { SHUTTING_DOWN, toPublicError } from "../errors/publicError.ts";
import { tenantProcedure } from "../trpc/init.ts";

const byId = z.strictObject({ id: z.uuid() });
const page = z.strictObject({
  id: z.uuid(),
  limit: z.int().min(1).max(1000).optional(),
  cursor: z.string().max(200).optional(),
});

const scopeOf = (ctx: {
  principal: { tenant: { id: string }; key: { id: string; allowedModels: string[] | null } };
  requestId: string;
}) => ({
  tenantId: ctx.principal.tenant.id,
  apiKey: ctx.principal.key,
  requestId: ctx.requestId,
});

/** `batches.*`: provider Batch API runs of many chat requests at batch pricing, cascades included. */
export const batchesRouter = {
  create: tenantProcedure
    .input(createBatchInputSchema)
    .mutation(({ ctx, input }) => ctx.batches.create(scopeOf(ctx), input)),
  addRequests: tenantProcedure
    .input(
      z
        .strictObject({
          id: z.uuid(),
          /** `{ customId, body }` items or OpenAI batch-file lines. */
          requests: z.array(z.unknown()).min(1).max(10_000).optional(),
          /** JSONL text: one `{ custom_id, body }` per line. */
          jsonl: z.string().min(1).optional(),
        })
        .refine((v) => (v.requests === undefined) !== (v.jsonl === undefined), {
          message: "send either requests or jsonl",
        }),
    )
    .mutation(({ ctx, input }) =>
      ctx.batches.addRequests(scopeOf(ctx), input.id, input.requests ?? input.jsonl ?? ""),
    ),
  list: tenantProcedure
    .input(batchListQuerySchema.optional())
    .query(({ ctx, input }) => ctx.batches.list(scopeOf(ctx), input ?? {})),
  get: tenantProcedure.input(byId).query(({ ctx, input }) => ctx.batches.get(scopeOf(ctx), input.id)),
  requests: tenantProcedure
    .input(page)
    .query(({ ctx, input: { id, ...query } }) => ctx.batches.listRequests(scopeOf(ctx), id, query)),
  responses: tenantProcedure
    .input(page)
    .query(({ ctx, input: { id, ...query } }) => ctx.batches.listResponses(scopeOf(ctx), id, query)),
  /**
   * The batch's answers as JSONL lines in input order (as `GET /v1/sluice/batches/:id/results`), streamed:
   * the typed client iterates them as they are read, a thousand rows at a time. The batch is looked
   * up (and refused as not found) before the stream starts.
   */
  results: tenantProcedure.input(byId).query(({ ctx, input }) => ctx.batches.results(scopeOf(ctx), input.id)),
  submit: tenantProcedure
    .input(byId)
    .mutation(({ ctx, input }) => ctx.batches.submit(scopeOf(ctx), input.id)),
  cancel: tenantProcedure
    .input(byId)
    .mutation(({ ctx, input }) => ctx.batches.cancel(scopeOf(ctx), input.id)),
  delete: tenantProcedure.input(byId).mutation(async ({ ctx, input }) => {
    await ctx.batches.deleteDraft(scopeOf(ctx), input.id);
    return { id: input.id, deleted: true };
  }),
  stats: tenantProcedure.query(({ ctx }) => ctx.batches.stats(scopeOf(ctx))),
  /**
   * The batch as it changes (`{ type: "batch", batch }` on every change of status, tier, counts,
   * the provider's progress or cost), ending once it is final; `{ type: "error" }` ends it early
   * (unknown batch, shutdown).
   * Event ids count changes: a client that reconnects with one gets the batch as it is now.
   */
  onProgress: tenantProcedure
    .input(z.strictObject({ id: z.uuid(), lastEventId: z.string().max(40).nullish() }))
    .subscription(async function* ({ ctx, input, signal }) {
      let n = Number.parseInt(input.lastEventId ?? "0", 10) || 0;
      const stop = AbortSignal.any([
        signal ?? new AbortController().signal,
        ctx.shutdown ?? new AbortController().signal,
      ]);
      let final = false;
      try {
        for await (const batch of watchBatch(ctx.batches, scopeOf(ctx), input.id, { signal: stop })) {
          final = isFinalBatchStatus(batch.status);
          n++;
          yield tracked(String(n), { type: "batch" as const, batch });
        }
      } catch (error) {
        // A final error event ends the subscription; a thrown error would make clients reconnect forever.
        const pub = toPublicError(error);
        yield tracked(`${n}-error`, { type: "error" as const, code: pub.code, message: pub.message });
        return;
      }
      if (!final && ctx.shutdown?.aborted) {
        yield tracked(`${n}-shutdown`, {
          type: "error" as const,
          code: SHUTTING_DOWN.code,
          message: SHUTTING_DOWN.message,
        });
      }
    }),
} satisfies TRPCRouterRecord;
