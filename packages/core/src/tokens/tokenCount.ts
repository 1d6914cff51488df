import { countTokens as cl100k } from "gpt-tokenizer/encoding/cl100k_base";
import { countTokens as o200k } from "gpt-tokenizer/encoding/o200k_base";
import type { ModelFamily } from "../models/modelSpec.ts";

// OpenAI counts ~3 tokens of framing per chat message and 3 that prime the reply.
const PER_MESSAGE_TOKENS = 3;
const REPLY_PRIMING_TOKENS = 3;
// Anthropic publishes no local tokenizer; its tokens run somewhat longer than o200k's, so
// estimates are scaled up to stay on the safe side of the context window.
const ANTHROPIC_FACTOR = 1.1;

const OLDER_OPENAI = /^(gpt-4(?!o|\.)|gpt-3\.5)/;

/** Tokens of a text for a model family (and model name, to pick OpenAI's encoding). */
export function countTextTokens(text: string, family: ModelFamily, model = ""): number {
  if (family === "anthropic") return Math.ceil(o200k(text) * ANTHROPIC_FACTOR);
  return OLDER_OPENAI.test(model) ? cl100k(text) : o200k(text);
}

/** Prompt tokens of a chat the way providers bill them: content plus per-message framing. */
export function countChatTokens(messages: { content: string }[], family: ModelFamily, model = ""): number {
  let total = REPLY_PRIMING_TOKENS;
  for (const m of messages) total += PER_MESSAGE_TOKENS + countTextTokens(m.content, family, model);
  return total;
}
