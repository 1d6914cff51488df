import type { Db, Ticket, TicketPage } from "@sluice/db";
import type { JobService } from "../jobs/jobService.ts";
import type { PublicJob } from "../jobs/publicJob.ts";
import type { LlmRuntime } from "../llm/llmRuntime.ts";
import type { ItemResult, PipelineContext } from "../pipelines/pipeline.ts";
import { classifyTicketText } from "./classifyTicketText.ts";
import type { ClassifiedTicket } from "./ticketClassifier.ts";
import type { TicketClassification } from "./ticketSchemas.ts";
import {
  classifyTicket,
  classifyTickets,
  createTickets,
  getTicket,
  listTickets,
  ticketStats,
} from "./ticketService.ts";

/** Who asks, as a transport knows it: the tenant, the request and its cancellation. */
export interface TicketCaller {
  tenantId: string;
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

/** Builds the ticket service from the database, the model runtime and the job service. */
export function createTicketService(deps: { db: Db; runtime: LlmRuntime; jobs: JobService }): TicketService {
  const { db, runtime, jobs } = deps;
  const scope = (caller: TicketCaller) => ({ db, tenantId: caller.tenantId });
  const pipeline = (caller: TicketCaller): PipelineContext => ({
    tenantId: caller.tenantId,
    db,
    models: runtime.models,
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
    classifyMany: (caller, ids) => classifyTickets(pipeline(caller), runtime.classifierModel, ids),
    async classifyPending(caller, options) {
      const { job } = await jobs.enqueue(
        {
          tenantId: caller.tenantId,
          ...(caller.requestId === undefined ? {} : { requestId: caller.requestId }),
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
      const outcome = await classifyTicketText(runtime, runtime.classifierModel, ticket, {
        tenantId: caller.tenantId,
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
