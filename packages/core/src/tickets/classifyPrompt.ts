import type { ProviderChatRequest } from "../providers/provider.ts";
import { ticketCategories, ticketClassificationJsonSchema, ticketUrgencies } from "./ticketSchemas.ts";

const SYSTEM = [
  "You triage customer support tickets.",
  `Classify the ticket's urgency (${ticketUrgencies.join(", ")}) and category (${ticketCategories.join(", ")}),`,
  "state your confidence between 0 and 1, and draft a short, polite suggested response.",
  'Answer with JSON only: {"urgency", "category", "confidence", "suggested_response"}.',
].join(" ");

/** The chat request that asks a model to classify one ticket. */
export function classifyRequest(ticket: { subject: string; body: string }): ProviderChatRequest {
  return {
    model: "classifier",
    temperature: 0,
    maxTokens: 400,
    messages: [
      { role: "system", content: SYSTEM },
      { role: "user", content: `Subject: ${ticket.subject}\n\n${ticket.body}` },
    ],
    responseFormat: {
      type: "json_schema",
      name: "ticket_classification",
      schema: ticketClassificationJsonSchema as unknown as Record<string, unknown>,
      strict: true,
    },
  };
}
