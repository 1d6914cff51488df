import type { Db, Ticket, TicketPage } from "@sluice/db";
import type { JobService } from "../jobs/jobService.ts";
import type { PublicJob } from "../jobs/publicJob.ts";
import { admittedRuns, gatedModels } from "../limits/gatedModels.ts";
import type { Guards } from "../limits/guardedCall.ts";
import type { SpendPrincipal } from "../limits/spendPrincipal.ts";
import type { ItemResult, PipelineContext } from "../pipelines/pipeline.ts";
import { classifyTicketText } from "./classifyTicketText.ts";
import type { ClassifiedTicket } from "./ticketClassifier.ts";
import type { TicketClassification } from "./ticketSchemas.ts";
import {
  classifyTicket,
  classifyTickets,
  createTickets,
  gateRefusal,
  getTicket,
  listTickets,
  ticketStats,
} from "./ticketService.ts";

/** Who asks, as a transport knows it: the principal charged, the request and its cancellation. */
export interface TicketCaller {
  principal: SpendPrincipal;
  requestId?: string;
  signal?: AbortSignal;
}

/** A text classified once, without storing a ticket. */
export type TextClassification = TicketClassification & {
  modelUsed: string;
  costMicros: number;
  cascaded: boolean;
};

/** The ticket classifier's use cases, each scoped to the caller's tenant. */
export interface TicketService {
  create(caller: TicketCaller, tickets: unknown): Promise<Ticket[]>;
  get(caller: TicketCaller, id: string): Promise<Ticket>;
  list(caller: TicketCaller, query: unknown): Promise<TicketPage>;
  classify(caller: TicketCaller, id: string): Promise<ClassifiedTicket>;
  classifyMany(
    caller: TicketCaller,
    ids: string[],
  ): Promise<ItemResult<{ ticketId: string }, ClassifiedTicket>[]>;
  /** Queues a `tickets.classifyBatch` job over the pending tickets. */
  classifyPending(
    caller: TicketCaller,
    options: { limit: number; idempotencyKey?: string | undefined; webhookUrl?: string | undefined },
  ): Promise<PublicJob>;
  classifyText(caller: TicketCaller, ticket: { subject: string; body: string }): Promise<TextClassification>;
  stats(caller: TicketCaller): ReturnType<typeof ticketStats>;
}

const silentLogger = { info() {}, warn() {}, error() {} };

/**
 * Builds the ticket service from the database, the guards and the job service. Every classification
 * reaches models through the gate, charged to the caller's principal.
 */
export function createTicketService(deps: { db: Db; guards: Guards; jobs: JobService }): TicketService {
  const { db, guards, jobs } = deps;
  const runtime = guards.runtime;
  const scope = (caller: TicketCaller) => ({ db, tenantId: caller.principal.tenant.id });
  const pipeline = (caller: TicketCaller): PipelineContext => ({
    tenantId: caller.principal.tenant.id,
    db,
    models: gatedModels(guards, caller.principal),
    admit: admittedRuns(guards, caller.principal),
    cascades: runtime.cascades,
    signal: caller.signal ?? new AbortController().signal,
    logger: silentLogger,
    ...(caller.requestId === undefined ? {} : { requestId: caller.requestId }),
  });
  return {
    create: (caller, tickets) => createTickets(scope(caller), tickets),
    get: (caller, id) => getTicket(scope(caller), id),
    list: (caller, query) => listTickets(scope(caller), query ?? {}),
    classify: (caller, id) => classifyTicket(pipeline(caller), runtime.classifierModel, id),
    async classifyMany(caller, ids) {
      const results = await classifyTickets(pipeline(caller), runtime.classifierModel, ids);
      // Nothing classified because the gate refused: the call is refused (402 / 429), not a success.
      const refusal = results.some((r) => r.ok) ? undefined : gateRefusal(results);
      if (refusal) throw refusal;
      return results;
    },
    async classifyPending(caller, options) {
      const { job } = await jobs.enqueue(
        {
          tenantId: caller.principal.tenant.id,
          ...(caller.requestId === undefined ? {} : { requestId: caller.requestId }),
          ...(caller.principal.apiKey ? { apiKeyId: caller.principal.apiKey.id } : {}),
        },
        {
          kind: "tickets.classifyBatch",
          payload: { pending: true, limit: options.limit },
          ...(options.idempotencyKey ? { idempotencyKey: options.idempotencyKey } : {}),
          ...(options.webhookUrl ? { webhookUrl: options.webhookUrl } : {}),
        },
      );
      return job;
    },
    async classifyText(caller, ticket) {
      const models = gatedModels(guards, caller.principal);
      const deps = { models, cascades: runtime.cascades, admit: admittedRuns(guards, caller.principal) };
      const outcome = await classifyTicketText(deps, runtime.classifierModel, ticket, {
        tenantId: caller.principal.tenant.id,
        ...(caller.requestId === undefined ? {} : { requestId: caller.requestId }),
        ...(caller.signal ? { signal: caller.signal } : {}),
      });
      return {
        ...outcome.classification,
        modelUsed: outcome.modelUsed,
        costMicros: outcome.costMicros,
        cascaded: outcome.cascade?.cascaded ?? false,
      };
    },
    stats: (caller) => ticketStats(scope(caller)),
  };
}
