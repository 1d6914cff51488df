export { assertFitsContext, type ContextCheckInput } from "./contextCheck.ts";
export {
  encodingForModel,
  preloadEncodings,
  type TextTokenCounter,
  type TokenEncoding,
  tokenCounter,
} from "./encodings.ts";
export {
  ANTHROPIC_TOKEN_PERCENT,
  type CountableChat,
  type CountableMessage,
  countChatTokens,
  countTextTokens,
  REPLY_PRIMING_TOKENS,
  TOKENS_PER_MESSAGE,
  TOKENS_PER_NAME,
} from "./tokenCount.ts";
