export { type MessageOrigin, responsesPathOf } from "./chatPaths.ts";
export { createResponseEventWriter, type ResponseStreamEvent } from "./responseEvents.ts";
export {
  type FunctionCallItem,
  type OutputItem,
  type OutputMessageItem,
  type OutputText,
  outputItems,
  outputText,
  type ResponseBase,
  type ResponseExtension,
  type ResponseIds,
  type ResponseObject,
  type ResponseOutcome,
  responseIds,
  responseObject,
} from "./responseObject.ts";
export {
  type ResponsesContentPart,
  type ResponsesInput,
  type ResponsesInputItem,
  responsesInputLimits,
} from "./responsesInput.ts";
export {
  parseResponsesRequest,
  type ResponsesRequest,
  type ResponsesRequestInput,
  type ResponsesTool,
  type ResponsesToolChoice,
  responsesRequestSchema,
} from "./responsesRequest.ts";
export {
  createResponsesService,
  type ResponsesCallOptions,
  type ResponsesService,
  type ResponsesStream,
} from "./responsesService.ts";
export { type TranslatedRequest, toChatRequest, translateRequest } from "./toChatRequest.ts";
