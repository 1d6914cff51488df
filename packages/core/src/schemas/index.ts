export {
  assistantMessageSchema,
  type ChatMessage,
  type ChatRole,
  chatMessageLimits,
  chatMessageSchema,
  type MessageContent,
  messageContentSchema,
  messageText,
  plainMessageSchema,
  type ToolCall,
  textContentSchema,
  textPartSchema,
  toolCallSchema,
} from "./chatMessage.ts";
export {
  type ChatRequest,
  type ChatRequestInput,
  type ChatResponseFormat,
  chatRequestLimits,
  chatRequestSchema,
  MAX_OUTPUT_TOKENS_LIMIT,
  maxTokensOf,
  parseChatRequest,
  responseFormatSchema,
  type ToolChoice,
  type ToolDefinition,
  toolChoiceSchema,
  toolDefinitionSchema,
} from "./chatRequest.ts";
export {
  type ChatCompletion,
  type ChatCompletionChunk,
  type ChatFinishReason,
  chatCompletionChunkSchema,
  chatCompletionSchema,
  choiceLogprobsSchema,
  finishReasonSchema,
  tokenLogprobSchema,
  type Usage,
  usageSchema,
} from "./chatResponse.ts";
export {
  type ContentPart,
  contentPartLimits,
  contentPartSchema,
  filePartSchema,
  imageUrlPartSchema,
  inputAudioPartSchema,
  isTextPart,
  parseImageDataUrl,
} from "./contentParts.ts";
export { whenFieldsValid } from "./crossFieldCheck.ts";
export { storableDate } from "./dateFields.ts";
export {
  type EmbeddingsRequest,
  type EmbeddingsRequestInput,
  embeddingInputs,
  embeddingsRequestLimits,
  embeddingsRequestSchema,
  MAX_EMBEDDING_INPUT_CHARS,
  parseEmbeddingsRequest,
} from "./embeddingsRequest.ts";
export {
  type Embedding,
  type EmbeddingsResponse,
  embeddingSchema,
  embeddingsResponseSchema,
} from "./embeddingsResponse.ts";
export {
  boundedText,
  identifierSchema,
  jsonObjectSchema,
  modelNameSchema,
  nullByteMessage,
  webhookUrlSchema,
} from "./textFields.ts";
export {
  issuesOf,
  parseOrThrow,
  readableIssueMessage,
  type ValidationIssue,
  validationErrorFrom,
  withoutNullFields,
} from "./validationError.ts";
