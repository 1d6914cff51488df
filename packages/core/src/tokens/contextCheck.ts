import { SluiceError } from "../errors/sluiceError.ts";

/** What a context-window check needs to know about one call. */
export interface ContextCheckInput {
  /** Model id, named in the error. */
  model: string;
  promptTokens: number;
  /** Completion tokens the request reserves; absent counts as 0. */
  maxTokens: number | undefined;
  contextWindow: number;
}

/**
 * Throws `context_length_exceeded` when prompt plus reserved completion tokens exceed the window;
 * exactly at the window passes. Run before any upstream call, so an impossible request costs nothing.
 */
export function assertFitsContext(input: ContextCheckInput): void {
  const maxTokens = input.maxTokens ?? 0;
  const needed = input.promptTokens + maxTokens;
  if (needed <= input.contextWindow) return;
  throw new SluiceError(
    "context_length_exceeded",
    `The request needs ${needed} tokens (${input.promptTokens} prompt + ${maxTokens} completion) but ${input.model} has a context window of ${input.contextWindow} tokens.`,
    {
      details: {
        model: input.model,
        promptTokens: input.promptTokens,
        maxTokens,
        contextWindow: input.contextWindow,
      },
    },
  );
}
