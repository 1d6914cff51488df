export {
  createMessageBatchService,
  MAX_MESSAGE_BATCH_REQUESTS,
  type MessageBatch,
  type MessageBatchResult,
  type MessageBatchService,
  messageBatchObject,
} from "./messageBatches.ts";
export { messagesRequestLimits } from "./messageBlocks.ts";
export {
  type AnthropicContentBlock,
  type AnthropicMessage,
  type AnthropicStopReason,
  type AnthropicUsage,
  stopReasonOf,
  toAnthropicMessage,
  toolInputOf,
} from "./messageResponse.ts";
export {
  type AnthropicStreamEvent,
  createMessageStreamEncoder,
  type MessageStreamEncoder,
} from "./messageStreamEncoder.ts";
export {
  type AnthropicMessageParam,
  type CountTokensRequest,
  countTokensRequestSchema,
  type MessagesRequest,
  messagesRequestSchema,
  parseCountTokensRequest,
  parseMessagesRequest,
} from "./messagesRequest.ts";
export { createMessagesService, type MessageEventStream, type MessagesService } from "./messagesService.ts";
export {
  conversationToChatRequest,
  EMPTY_TOOL_RESULT,
  messagesToChatRequest,
  TOOL_ERROR_PREFIX,
} from "./messagesToChat.ts";
