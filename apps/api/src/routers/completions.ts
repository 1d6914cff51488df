import {
  chatRequestSchema,
  embeddingsRequestSchema,
  endUserOf,
  SluiceError,
  spendPrincipalOf,
  spendQuerySchema,
  spendTenantOf,
} from "@sluice/core";
import { type TRPCRouterRecord, tracked } from "@trpc/server";
import { z } from "zod";
import { SHUTTING_DOWN } from "../errors/publicError.ts";
import { type ChatStreamData, produceChatStream, streamError } from "../streams/chatStreamEvents.ts";
import { tenantProcedure } from "../trpc/init.ts";

const streamInput = z.strictObject({
  /** Chosen by the client; reconnecting with the same id resumes the same stream. */
  streamId: z.uuid(),
  request: chatRequestSchema,
  mode: z.enum(["hold", "optimistic"]).default("optimistic"),
  lastEventId: z.string().nullish(),
});

/** A subscription that starts a stream (or rejoins it) and yields its events with resumable ids. */
const streamProcedure = tenantProcedure.input(streamInput).subscription(async function* ({
  ctx,
  input,
  signal,
}) {
  const tenantId = ctx.principal.tenant.id;
  if (!ctx.streams.has(input.streamId, tenantId)) {
    if (input.lastEventId) {
      // A final error event ends the subscription; a thrown error would make clients reconnect forever.
      yield tracked(
        String(Number(input.lastEventId) + 1 || 1),
        streamError(new SluiceError("not_found", `stream ${input.streamId} not found or expired`)),
      );
      return;
    }
    try {
      ctx.streams.start(
        input.streamId,
        tenantId,
        (emit) => produceChatStream(ctx, ctx.principal, input.request, input.mode, ctx.requestId, emit),
        streamError,
      );
    } catch (error) {
      yield tracked("1", streamError(error));
      return;
    }
  }
  const after = Number(input.lastEventId ?? 0);
  const stop = AbortSignal.any([
    signal ?? new AbortController().signal,
    ctx.shutdown ?? new AbortController().signal,
  ]);
  let last = Number.isInteger(after) ? after : 0;
  for await (const event of ctx.streams.follow(input.streamId, tenantId, last, stop)) {
    last = event.seq;
    yield tracked(String(event.seq), event.data);
  }
  if (ctx.shutdown?.aborted) {
    // Streams live in this process: tell the subscriber why it ends instead of dropping it.
    const data: ChatStreamData = {
      type: "error",
      error: { code: SHUTTING_DOWN.code, message: SHUTTING_DOWN.message },
    };
    yield tracked(`${last}-shutdown`, data);
  }
});

/** The `user` field of a request not parsed yet (a cascade run's). */
function userField(request: unknown): unknown {
  return typeof request === "object" && request !== null ? (request as { user?: unknown }).user : undefined;
}

/** `chat.*`: one completion with a model or `cascade:<name>`, under the tenant's limits; or a resumable stream. */
export const chatRouter = {
  stream: streamProcedure,
  complete: tenantProcedure.input(chatRequestSchema).mutation(async ({ ctx, input, signal }) => {
    const { completion } = await ctx.chat.complete(
      spendPrincipalOf(ctx.principal, endUserOf(ctx.endUserHeader, input.user)),
      input,
      {
        requestId: ctx.requestId,
        ...(signal ? { signal } : {}),
      },
    );
    return completion;
  }),
} satisfies TRPCRouterRecord;

/** `cascade.*`: the configured cascades, and running one by name. */
export const cascadeRouter = {
  /** Same as `chat.stream`; the request's model must be `cascade:<name>`. */
  stream: streamProcedure,
  list: tenantProcedure.query(({ ctx }) => ctx.runtime.cascades.list()),
  run: tenantProcedure
    .input(z.strictObject({ name: z.string().min(1), request: z.unknown() }))
    .mutation(async ({ ctx, input, signal }) => {
      const { completion } = await ctx.chat.runCascade(
        spendPrincipalOf(ctx.principal, endUserOf(ctx.endUserHeader, userField(input.request))),
        input.name,
        input.request,
        {
          requestId: ctx.requestId,
          ...(signal ? { signal } : {}),
        },
      );
      return completion;
    }),
} satisfies TRPCRouterRecord;

/** `embeddings.*`. */
export const embeddingsRouter = {
  create: tenantProcedure.input(embeddingsRequestSchema).mutation(async ({ ctx, input, signal }) => {
    const { outcome } = await ctx.chat.embed(
      spendPrincipalOf(ctx.principal, endUserOf(ctx.endUserHeader, input.user)),
      input,
      {
        requestId: ctx.requestId,
        ...(signal ? { signal } : {}),
      },
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
    .query(({ ctx, input }) => ctx.stats.usage(ctx.principal.tenant.id, input?.days ?? 30)),
  /** Spend by tenant, key, end user, model and day; a tenant sees its own, an admin any. */
  spend: tenantProcedure
    .input(spendQuerySchema.optional())
    .query(({ ctx, input }) =>
      ctx.stats.spend({ ...input, tenantId: spendTenantOf(ctx.principal, input?.tenantId) }),
    ),
} satisfies TRPCRouterRecord;
