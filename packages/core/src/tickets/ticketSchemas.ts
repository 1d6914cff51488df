import { z } from "zod";

/** Ticket urgencies, most urgent first. */
export const ticketUrgencies = ["critical", "high", "medium", "low"] as const;
/** Ticket categories. */
export const ticketCategories = [
  "billing",
  "technical",
  "account",
  "feature_request",
  "bug_report",
  "other",
] as const;

const noNullBytes = (s: string) => !s.includes("\u0000");

/** A ticket as submitted. */
export const ticketInputSchema = z.strictObject({
  subject: z.string().trim().min(1).max(255).refine(noNullBytes, "must not contain null bytes"),
  body: z.string().trim().min(1).max(20_000).refine(noNullBytes, "must not contain null bytes"),
  customerEmail: z.email().max(320),
});

/** What the model must answer: validated before anything is saved. */
export const ticketClassificationSchema = z.object({
  urgency: z.enum(ticketUrgencies),
  category: z.enum(ticketCategories),
  confidence: z.number().min(0).max(1),
  suggested_response: z.string().min(1).max(4_000),
});

export type TicketInput = z.infer<typeof ticketInputSchema>;
export type TicketClassification = z.infer<typeof ticketClassificationSchema>;

/** The JSON Schema sent to models that support structured output. */
export const ticketClassificationJsonSchema = {
  type: "object",
  properties: {
    urgency: { type: "string", enum: [...ticketUrgencies] },
    category: { type: "string", enum: [...ticketCategories] },
    confidence: { type: "number", minimum: 0, maximum: 1 },
    suggested_response: { type: "string" },
  },
  required: ["urgency", "category", "confidence", "suggested_response"],
  additionalProperties: false,
} as const;
