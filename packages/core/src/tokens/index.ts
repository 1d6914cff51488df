export { assertFitsContext, type ContextCheckInput } from "./contextCheck.ts";
export {
  encodingForModel,
  preloadEncodings,
  type TextTokenCounter,
  type TokenEncoding,
  tokenCounter,
} from "./encodings.ts";
export { type ImageFormat, type ImageSize, imageSizeOf, imageSizeOfBase64 } from "./imageSize.ts";
export {
  type CostedImage,
  imageTokens,
  OPENAI_MAX_PATCHES,
  OPENAI_MAX_TILES,
} from "./imageTokens.ts";
export { contentPartTokens } from "./partTokens.ts";
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
