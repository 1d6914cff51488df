import type { Completion, TokenLogprob } from "@sluice/core";
import { assistantMessage } from "./assistantMessage.ts";

const utf8 = new TextEncoder();

/** One token's log probability as OpenAI shapes it (`bytes` are the token's UTF-8 bytes). */
function tokenLogprob(t: { token: string; logprob: number }) {
  return { token: t.token, logprob: t.logprob, bytes: [...utf8.encode(t.token)] };
}

/** A choice's `logprobs` object, or null when not asked for or the model gives none (Anthropic's). */
export function choiceLogprobs(logprobs: TokenLogprob[] | undefined, asked: boolean) {
  if (!asked || !logprobs) return null;
  return {
    content: logprobs.map((t) => ({
      ...tokenLogprob(t),
      top_logprobs: (t.top ?? []).map(tokenLogprob),
    })),
    refusal: null,
  };
}

/** The `choices` array of an OpenAI `chat.completion`: every choice the model returned, in order. */
export function completionChoices(completion: Completion, logprobsAsked: boolean) {
  return completion.choices.map((choice, index) => ({
    index,
    message: assistantMessage(choice),
    logprobs: choiceLogprobs(choice.logprobs, logprobsAsked),
    finish_reason: choice.finishReason,
  }));
}
