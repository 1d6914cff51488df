import { tierRequest } from "../cascade/cascadeEngine.ts";
import type { CascadeSpec } from "../cascade/cascadeSpec.ts";
import {
  confidenceValidator,
  heuristicsValidator,
  structuredOutputValidator,
  validateDraft,
} from "../cascade/validators.ts";
import type { ModelClient } from "../llm/modelClient.ts";
import { isAbort } from "../providers/providerErrors.ts";
import { classifyRequest } from "../tickets/classifyPrompt.ts";
import { type TicketClassification, ticketClassificationSchema } from "../tickets/ticketSchemas.ts";

/** A labelled ticket to evaluate against. */
export interface LabelledTicket {
  subject: string;
  body: string;
  urgency: string;
  category: string;
}

/** One tier's answer to one ticket. */
export interface TierRecord {
  model: string;
  /** Passed the hard gates (heuristics and schema). */
  usable: boolean;
  correct: boolean;
  /** The confidence the cascade would judge by (0 when unusable). */
  confidence: number;
  costMicros: number;
  latencyMs: number;
}

/** Asks every tier of the cascade about every ticket, with bounded concurrency and no cache. */
export async function collectTierRecords(
  models: ModelClient,
  cascade: CascadeSpec,
  tickets: LabelledTicket[],
  options: {
    concurrency?: number;
    signal?: AbortSignal;
    onProgress?: (done: number, total: number) => void;
  } = {},
): Promise<TierRecord[][]> {
  const signal = options.signal ?? new AbortController().signal;
  const judge = [
    heuristicsValidator(cascade.heuristics),
    structuredOutputValidator(ticketClassificationSchema),
    // Threshold 0: only to read the confidence the cascade would use.
    confidenceValidator(0, cascade.confidenceSource),
  ];
  const records: TierRecord[][] = new Array(tickets.length);
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < tickets.length) {
      const index = next++;
      const ticket = tickets[index]!;
      const row: TierRecord[] = [];
      for (let tier = 0; tier < cascade.tiers.length; tier++) {
        const request = tierRequest(cascade, tier, classifyRequest(ticket));
        try {
          const outcome = await models.chat(request, { signal, cache: "off" });
          const draft = {
            model: request.model,
            content: outcome.result.content,
            finishReason: outcome.result.finishReason,
            ...(outcome.result.logprobs ? { logprobs: outcome.result.logprobs } : {}),
          };
          const verdict = await validateDraft(draft, judge, { signal });
          const parsed = (draft as { parsed?: TicketClassification }).parsed;
          row.push({
            model: request.model,
            usable: verdict.accept,
            correct:
              verdict.accept && parsed?.urgency === ticket.urgency && parsed?.category === ticket.category,
            confidence: verdict.accept ? (verdict.confidence ?? 1) : 0,
            costMicros: outcome.costMicros,
            latencyMs: outcome.latencyMs,
          });
        } catch (error) {
          if (isAbort(error)) throw error;
          row.push({
            model: request.model,
            usable: false,
            correct: false,
            confidence: 0,
            costMicros: 0,
            latencyMs: 0,
          });
        }
      }
      records[index] = row;
      options.onProgress?.(++done, tickets.length);
    }
  };
  await Promise.all(
    Array.from({ length: Math.max(1, Math.min(options.concurrency ?? 8, tickets.length)) }, worker),
  );
  return records;
}
