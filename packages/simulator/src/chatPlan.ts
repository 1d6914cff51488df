import { type Answer, type AnswerFormat, type AnswerToken, answer } from "./answers.ts";
import type { SimModel } from "./catalog.ts";
import type { SimState } from "./simContext.ts";

/** One choice after stop sequences and the token limit are applied. */
export interface PlannedChoice {
  tokens: AnswerToken[];
  text: string;
  finish: "stop" | "length";
  /** The stop sequence that ended it, if one did. */
  stopSequence?: string;
}

/** Everything a chat endpoint needs to answer, in either wire format. */
export interface ChatPlan {
  choices: PlannedChoice[];
  promptTokens: number;
  completionTokens: number;
}

function applyLimits(generated: Answer, stop: string[], maxTokens: number): PlannedChoice {
  const tokens: AnswerToken[] = [];
  let text = "";
  for (const token of generated.tokens) {
    if (tokens.length >= maxTokens) return { tokens, text, finish: "length" };
    const next = text + token.text;
    let cut = -1;
    let stopSequence = "";
    for (const s of stop) {
      const at = next.indexOf(s);
      if (at >= 0 && (cut < 0 || at < cut)) {
        cut = at;
        stopSequence = s;
      }
    }
    if (cut >= 0) {
      const kept = next.slice(0, cut);
      if (kept.length > text.length) tokens.push({ ...token, text: kept.slice(text.length) });
      return { tokens, text: kept, finish: "stop", stopSequence };
    }
    tokens.push(token);
    text = next;
  }
  return { tokens, text, finish: "stop" };
}

/** Plans the answer to a chat request. */
export function planChat(
  state: SimState,
  model: SimModel,
  input: {
    prompt: string;
    promptTokens: number;
    format: AnswerFormat;
    stop: string[];
    maxTokens: number;
    n: number;
  },
): ChatPlan {
  const ticket = state.ticketIndex.find(input.prompt);
  const choices: PlannedChoice[] = [];
  for (let i = 0; i < input.n; i++) {
    choices.push(
      applyLimits(
        answer(model, input.prompt, input.format, state.seed, ticket, i),
        input.stop,
        input.maxTokens,
      ),
    );
  }
  return {
    choices,
    promptTokens: input.promptTokens,
    completionTokens: choices.reduce((sum, c) => sum + c.tokens.length, 0),
  };
}
