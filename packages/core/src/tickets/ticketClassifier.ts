import { findTicket, saveTicketClassification, type Ticket } from "@sluice/db";
import { z } from "zod";
import { recordCascadeRun } from "../cascade/cascadeRecorder.ts";
import { SluiceError } from "../errors/sluiceError.ts";
import { definePipeline } from "../pipelines/pipeline.ts";
import { classifyTicketText } from "./classifyTicketText.ts";
import { ticketCategories, ticketUrgencies } from "./ticketSchemas.ts";

/** A classified ticket as the classifier returns it. */
export const classifiedTicketSchema = z.object({
  id: z.uuid(),
  urgency: z.enum(ticketUrgencies),
  category: z.enum(ticketCategories),
  confidence: z.number(),
  suggestedResponse: z.string(),
  modelUsed: z.string(),
  costMicros: z.int().min(0),
  classifiedAt: z.date(),
});

export type ClassifiedTicket = z.infer<typeof classifiedTicketSchema>;

/** A stored ticket's classification; undefined while it is not classified. */
export function classifiedTicketOf(ticket: Ticket): ClassifiedTicket | undefined {
  if (!ticket.classifiedAt || !ticket.urgency || !ticket.category || ticket.confidence === null)
    return undefined;
  return {
    id: ticket.id,
    urgency: ticket.urgency,
    category: ticket.category,
    confidence: ticket.confidence,
    suggestedResponse: ticket.suggestedResponse ?? "",
    modelUsed: ticket.modelUsed ?? "",
    costMicros: ticket.costMicros,
    classifiedAt: ticket.classifiedAt,
  };
}

/** The support-ticket classifier: load the tenant's ticket, classify it, store the validated result. */
export function ticketClassifierPipeline(model: string) {
  return definePipeline({
    name: "ticket-classifier",
    input: z.object({ ticketId: z.uuid() }),
    output: classifiedTicketSchema,
    async acquire({ ticketId }, ctx) {
      const ticket = await findTicket(ctx.db, ctx.tenantId, ticketId);
      if (!ticket)
        throw new SluiceError("not_found", `ticket ${ticketId} not found`, { details: { ticketId } });
      return ticket;
    },
    prepare: (ticket) => ({ subject: ticket.subject, body: ticket.body }),
    process: (text, ctx) =>
      classifyTicketText(ctx, model, text, {
        tenantId: ctx.tenantId,
        signal: ctx.signal,
        ...(ctx.requestId ? { requestId: ctx.requestId } : {}),
        ...(ctx.jobId ? { jobId: ctx.jobId } : {}),
      }),
    parse: (outcome) => outcome,
    async render(outcome, ctx, ticket) {
      if (outcome.cascade)
        await recordCascadeRun(ctx.db, outcome.cascade, { tenantId: ctx.tenantId, requestId: ctx.requestId });
      const saved = await saveTicketClassification(ctx.db, ctx.tenantId, ticket.id, {
        urgency: outcome.classification.urgency,
        category: outcome.classification.category,
        suggestedResponse: outcome.classification.suggested_response,
        confidence: outcome.classification.confidence,
        modelUsed: outcome.modelUsed,
        costMicros: outcome.costMicros,
      });
      const classified = saved && classifiedTicketOf(saved);
      if (!classified) {
        throw new SluiceError("not_found", `ticket ${ticket.id} disappeared while it was classified`);
      }
      return classified;
    },
  });
}
