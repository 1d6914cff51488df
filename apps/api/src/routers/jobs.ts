import {
  boundedText,
  deadLetterFilterSchema,
  enqueueInputSchema,
  jobListQuerySchema,
  jobReadScope,
  type PublicJobEvent,
  publicJobEvent,
  SluiceError,
  storableDate,
} from "@sluice/core";
import { type TRPCRouterRecord, tracked } from "@trpc/server";
import { z } from "zod";
import { SHUTTING_DOWN, toPublicError } from "../errors/publicError.ts";
import { followJob, memoOnEvent } from "../streams/followJob.ts";
import { adminProcedure, tenantProcedure } from "../trpc/init.ts";
import { shareValue } from "../trpc/subscriptionStreams.ts";

const byId = z.strictObject({ id: z.uuid() });

// The hub hands every subscriber of a job the same event object; its public form is built once, and
// shared so the subscription stream serializes it once too.
const sharedPublicEvent = memoOnEvent((event) => {
  const shared = publicJobEvent(event);
  Object.freeze(shared.data);
  return shareValue(shared) as PublicJobEvent;
});

/** The last event of a subscription that cannot go on (not found, shutting down). */
function errorEvent(jobId: string, code: string, message: string, id = 0) {
  return {
    id,
    jobId,
    type: "error" as const,
    data: { code, message } as Record<string, unknown>,
    at: new Date(),
  };
}

/** `jobs.*`: enqueue, read, cancel and retry the tenant's background jobs, and follow their events. */
export const jobsRouter = {
  kinds: tenantProcedure.query(({ ctx }) => ctx.jobs.kinds()),
  enqueue: tenantProcedure
    .input(enqueueInputSchema)
    .mutation(({ ctx, input }) =>
      ctx.jobs.enqueue(
        { tenantId: ctx.principal.tenant.id, requestId: ctx.requestId, apiKeyId: ctx.principal.key.id },
        input,
      ),
    ),
  get: tenantProcedure
    .input(byId)
    .query(({ ctx, input }) => ctx.jobs.get(jobReadScope(ctx.principal), input.id)),
  list: tenantProcedure
    .input(jobListQuerySchema.optional())
    .query(({ ctx, input }) => ctx.jobs.list(jobReadScope(ctx.principal), input ?? {})),
  cancel: tenantProcedure
    .input(byId)
    .mutation(({ ctx, input }) => ctx.jobs.cancel(jobReadScope(ctx.principal), input.id)),
  retry: tenantProcedure
    .input(byId)
    .mutation(({ ctx, input }) => ctx.jobs.retry(jobReadScope(ctx.principal), input.id)),
  /** The outcome of a job: its result once completed, its error once dead. */
  result: tenantProcedure
    .input(byId)
    .query(({ ctx, input }) => ctx.jobs.outcome(jobReadScope(ctx.principal), input.id)),
  /** A job's history (events after `afterId`). */
  events: tenantProcedure
    .input(z.strictObject({ id: z.uuid(), afterId: z.int().min(0).default(0) }))
    .query(({ ctx, input }) => ctx.jobs.events(jobReadScope(ctx.principal), input.id, input.afterId)),
  /**
   * A job's events: its history, then live ones, ending after the final event. Each carries its id;
   * reconnecting with `lastEventId` continues after it, with nothing missed or repeated.
   */
  onEvents: tenantProcedure
    .input(z.strictObject({ id: z.uuid(), lastEventId: z.string().nullish() }))
    .subscription(async function* ({ ctx, input, signal }) {
      const after = Number(input.lastEventId ?? 0);
      try {
        if (!Number.isSafeInteger(after) || after < 0) {
          throw new SluiceError("validation_error", "invalid lastEventId: must be an event id");
        }
        // The job must be the tenant's (another tenant's id is not found) before anything streams.
        await ctx.jobs.get(jobReadScope(ctx.principal), input.id);
      } catch (error) {
        // A final error event ends the subscription; a thrown error would make clients reconnect forever.
        const pub = toPublicError(error);
        yield tracked("error", errorEvent(input.id, pub.code, pub.message));
        return;
      }
      const stop = AbortSignal.any([
        signal ?? new AbortController().signal,
        ctx.shutdown ?? new AbortController().signal,
      ]);
      let last = after;
      for await (const event of followJob({ db: ctx.db, hub: ctx.jobEvents }, input.id, after, stop)) {
        last = event.id;
        yield tracked(String(event.id), sharedPublicEvent(event));
      }
      if (ctx.shutdown?.aborted) {
        yield tracked(
          `${last}-shutdown`,
          errorEvent(input.id, SHUTTING_DOWN.code, SHUTTING_DOWN.message, last),
        );
      }
    }),
} satisfies TRPCRouterRecord;

/** `deadLetters.*` (admin): jobs that died, across tenants; requeue or purge them. */
export const deadLettersRouter = {
  list: adminProcedure
    .input(
      deadLetterFilterSchema
        .extend({ limit: z.int().min(1).max(200).optional(), cursor: z.string().max(200).optional() })
        .optional(),
    )
    .query(({ ctx, input }) => ctx.deadLetters.list(input ?? {})),
  get: adminProcedure.input(byId).query(({ ctx, input }) => ctx.deadLetters.get(input.id)),
  requeue: adminProcedure
    .input(
      z.union([
        z.strictObject({ ids: z.array(z.uuid()).min(1).max(1000) }),
        z.strictObject({
          all: z.literal(true),
          kind: boundedText(100, 0).optional(),
          errorCode: boundedText(100, 0).optional(),
          since: storableDate().optional(),
          until: storableDate().optional(),
        }),
      ]),
    )
    .mutation(({ ctx, input }) => ctx.deadLetters.requeue(input)),
  purge: adminProcedure
    .input(z.strictObject({ before: storableDate(), kind: boundedText(100, 0).optional() }))
    .mutation(({ ctx, input }) => ctx.deadLetters.purge(input)),
} satisfies TRPCRouterRecord;
