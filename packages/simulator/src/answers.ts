import type { SimModel } from "./catalog.ts";
import type { Ticket } from "./dataset/ticketDataset.ts";
import { type Category, type Urgency, urgencies } from "./dataset/ticketTemplates.ts";
import { valueForSchema } from "./jsonSchemaValue.ts";
import { hashString, pick, seededRandom, unitFrom } from "./random.ts";
import { splitTokens } from "./tokens.ts";

/** What the caller asked the answer to look like. */
export type AnswerFormat =
  | { type: "text" }
  | { type: "json_object" }
  | { type: "json_schema"; schema: unknown };

/** One generated token with its log probability and alternatives. */
export interface AnswerToken {
  text: string;
  logprob: number;
  alternatives: { text: string; logprob: number }[];
}

/** A generated answer before truncation. */
export interface Answer {
  tokens: AnswerToken[];
  refusal: boolean;
}

/** A model's classification of a dataset ticket, right or wrong. */
export interface TicketVerdict {
  urgency: Urgency;
  category: Category;
  confidence: number;
  correct: boolean;
}

const REFUSAL = "I'm sorry, but I can't help with that request.";
const VOCABULARY = (
  "the a system request team data report customer update service support process result value model " +
  "quickly clearly usually often carefully review check improve explain consider suggest provide include"
).split(" ");
const CONFUSABLE: Record<Category, Category> = {
  billing: "account",
  technical: "bug_report",
  account: "billing",
  feature_request: "other",
  bug_report: "technical",
  other: "feature_request",
};

/** Whether and how well a model classifies a ticket: right when quality + seeded noise beats difficulty. */
export function classifyTicket(model: SimModel, ticket: Ticket, seed: number): TicketVerdict {
  const noise = (unitFrom(seed, model.id, ticket.id, "noise") - 0.5) * 0.16;
  const correct = model.quality + noise > ticket.difficulty;
  const r = unitFrom(seed, model.id, ticket.id, "confidence");
  if (correct)
    return {
      urgency: ticket.urgency,
      category: ticket.category,
      confidence: round(0.72 + 0.27 * r),
      correct,
    };
  const wrongUrgency = unitFrom(seed, model.id, ticket.id, "which") < 0.5;
  const i = urgencies.indexOf(ticket.urgency);
  return {
    urgency: wrongUrgency ? (urgencies[i === 0 ? 1 : i - 1] as Urgency) : ticket.urgency,
    category: wrongUrgency ? ticket.category : CONFUSABLE[ticket.category],
    confidence: round(0.3 + 0.48 * r),
    correct,
  };
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}

function ticketObject(verdict: TicketVerdict, ticket: Ticket): Record<string, unknown> {
  const response = `Thanks for reaching out about "${ticket.subject}". Our ${verdict.category.replace("_", " ")} team is on it.`;
  return {
    urgency: verdict.urgency,
    category: verdict.category,
    confidence: verdict.confidence,
    suggested_response: response,
    suggestedResponse: response,
    reasoning: `Classified as ${verdict.category} with ${verdict.urgency} urgency.`,
  };
}

function tokensOf(text: string, logprobFor: (start: number) => number, random: () => number): AnswerToken[] {
  let offset = 0;
  return splitTokens(text).map((t) => {
    const logprob = logprobFor(offset);
    offset += t.length;
    return {
      text: t,
      logprob,
      alternatives: [
        { text: t, logprob },
        {
          text: ` ${pick(VOCABULARY, random)}`,
          logprob: Math.log(Math.max(1e-6, 1 - Math.exp(logprob)) * 0.6),
        },
      ],
    };
  });
}

function genericText(model: SimModel, prompt: string, seed: number, variant: number): string {
  const random = seededRandom(hashString(`${model.id}|${variant}|${prompt}`, seed));
  const length = 12 + Math.floor(random() * 48);
  const words: string[] = [];
  for (let i = 0; i < length; i++) words.push(pick(VOCABULARY, random));
  const sentence = words.join(" ");
  return `${sentence.charAt(0).toUpperCase()}${sentence.slice(1)}.`;
}

/** Generates a model's answer to a prompt (deterministic for model, prompt, seed and variant). */
export function answer(
  model: SimModel,
  prompt: string,
  format: AnswerFormat,
  seed: number,
  ticket: Ticket | undefined,
  variant = 0,
): Answer {
  const random = seededRandom(hashString(`${model.id}|${variant}|tokens|${prompt.length}`, seed));
  const weak = model.quality < 0.9;
  if (weak && prompt.includes("[[sim:refuse]]")) {
    return { tokens: tokensOf(REFUSAL, () => Math.log(0.97), random), refusal: true };
  }
  const json = format.type !== "text" || ticket !== undefined;
  if (json && weak && prompt.includes("[[sim:invalid-json]]")) {
    return {
      tokens: tokensOf('{"urgency": "high", "category": ', () => Math.log(0.9), random),
      refusal: false,
    };
  }
  if (ticket) {
    const verdict = classifyTicket(model, ticket, seed);
    const full = ticketObject(verdict, ticket);
    const { suggestedResponse: _camel, reasoning: _reasoning, ...plain } = full;
    const object = format.type === "json_schema" ? valueForSchema(format.schema, random, full) : plain;
    const text = JSON.stringify(object);
    // The tokens of the urgency and category values carry the model's confidence.
    const spans = [`"urgency":"${verdict.urgency}"`, `"category":"${verdict.category}"`].flatMap((needle) => {
      const at = text.indexOf(needle);
      const valueStart = at + needle.indexOf(":") + 1;
      return at < 0 ? [] : [[valueStart, at + needle.length] as const];
    });
    const valueLogprob = Math.log(verdict.confidence);
    return {
      tokens: tokensOf(
        text,
        (start) => (spans.some(([a, b]) => start >= a && start < b) ? valueLogprob : Math.log(0.995)),
        random,
      ),
      refusal: false,
    };
  }
  if (format.type === "json_schema" || format.type === "json_object") {
    const schema =
      format.type === "json_schema"
        ? format.schema
        : { type: "object", properties: { answer: { type: "string" } } };
    const value = valueForSchema(schema, random);
    return { tokens: tokensOf(JSON.stringify(value), () => Math.log(0.98), random), refusal: false };
  }
  const text = genericText(model, prompt, seed, variant);
  return { tokens: tokensOf(text, () => Math.log(0.9), random), refusal: false };
}
