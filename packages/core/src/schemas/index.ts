export {
  type ChatMessage,
  type ChatRequest,
  chatMessageSchema,
  chatRequestSchema,
  MAX_OUTPUT_TOKENS_LIMIT,
  maxTokensOf,
  messageText,
  modelNameSchema,
  parseChatRequest,
} from "./chatRequest.ts";
export {
  type ChatCompletion,
  type ChatCompletionChunk,
  chatCompletionChunkSchema,
  chatCompletionSchema,
  type EmbeddingsResponse,
  embeddingsResponseSchema,
} from "./chatResponse.ts";
export {
  type EmbeddingsRequest,
  embeddingsRequestSchema,
  MAX_EMBEDDING_INPUT_CHARS,
  parseEmbeddingsRequest,
} from "./embeddingsRequest.ts";
export { issuesOf, parseOrThrow, type ValidationIssue, validationErrorFrom } from "./validationError.ts";
