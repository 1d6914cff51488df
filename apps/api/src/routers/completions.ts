import {
  chatRequestSchema,
  embeddingsRequestSchema,
  guardedComplete,
  guardedEmbed,
  toProviderRequest,
  usageStats,
} from "@sluice/core";
import type { TRPCRouterRecord } from "@trpc/server";
import { z } from "zod";
import { tenantProcedure } from "../trpc/init.ts";

/** `chat.*`: one completion with a model or `cascade:<name>`, under the tenant's limits. */
export const chatRouter = {
  complete: tenantProcedure.input(chatRequestSchema).mutation(async ({ ctx, input, signal }) => {
    const { completion } = await guardedComplete(ctx, ctx.principal.tenant, toProviderRequest(input), {
      requestId: ctx.requestId,
      ...(signal ? { signal } : {}),
    });
    return completion;
  }),
} satisfies TRPCRouterRecord;

/** `cascade.*`: the configured cascades, and running one by name. */
export const cascadeRouter = {
  list: tenantProcedure.query(({ ctx }) => ctx.runtime.cascades.list()),
  run: tenantProcedure
    .input(z.strictObject({ name: z.string().min(1), request: z.unknown() }))
    .mutation(async ({ ctx, input, signal }) => {
      const request = chatRequestSchema.parse({
        ...(input.request as object),
        model: `cascade:${input.name}`,
      });
      const { completion } = await guardedComplete(ctx, ctx.principal.tenant, toProviderRequest(request), {
        requestId: ctx.requestId,
        ...(signal ? { signal } : {}),
      });
      return completion;
    }),
} satisfies TRPCRouterRecord;

/** `embeddings.*`. */
export const embeddingsRouter = {
  create: tenantProcedure.input(embeddingsRequestSchema).mutation(async ({ ctx, input, signal }) => {
    const inputs = typeof input.input === "string" ? [input.input] : input.input;
    const { outcome } = await guardedEmbed(
      ctx,
      ctx.principal.tenant,
      { model: input.model, input: inputs, ...(input.dimensions ? { dimensions: input.dimensions } : {}) },
      { requestId: ctx.requestId, ...(signal ? { signal } : {}) },
    );
    return {
      vectors: outcome.vectors,
      usage: outcome.usage,
      costMicros: outcome.costMicros,
      model: outcome.model.id,
    };
  }),
} satisfies TRPCRouterRecord;

/** `stats.*`: the tenant's usage, cost, cache and cascade figures. */
export const statsRouter = {
  usage: tenantProcedure
    .input(z.strictObject({ days: z.int().min(1).max(366).default(30) }).optional())
    .query(({ ctx, input }) =>
      usageStats(ctx.db, ctx.principal.tenant.id, new Date(Date.now() - (input?.days ?? 30) * 86_400_000)),
    ),
} satisfies TRPCRouterRecord;
