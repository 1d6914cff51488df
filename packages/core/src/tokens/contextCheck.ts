import { SluiceError } from "../errors/sluiceError.ts";

/** Throws `context_length_exceeded` when prompt plus requested output exceed the model's window. */
export function assertFitsContext(input: {
  model: string;
  promptTokens: number;
  maxTokens: number | undefined;
  contextWindow: number;
}): void {
  const needed = input.promptTokens + (input.maxTokens ?? 0);
  if (needed > input.contextWindow) {
    throw new SluiceError(
      "context_length_exceeded",
      `the request needs ${needed} tokens (${input.promptTokens} prompt + ${input.maxTokens ?? 0} output) but ${input.model} has a ${input.contextWindow}-token context`,
      {
        details: {
          model: input.model,
          promptTokens: input.promptTokens,
          maxTokens: input.maxTokens ?? 0,
          contextWindow: input.contextWindow,
        },
      },
    );
  }
}
