export {
  type ClientFetch,
  createSluiceClient,
  type RouterInputs,
  type RouterOutputs,
  type SluiceClient,
  type SluiceClientOptions,
} from "./createSluiceClient.ts";
export { parseSuperjson } from "./parseSuperjson.ts";
export { type SseSubscriptionLinkOptions, sseSubscriptionLink } from "./sseSubscriptionLink.ts";
