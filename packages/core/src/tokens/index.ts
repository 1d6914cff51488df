export { assertFitsContext } from "./contextCheck.ts";
export { countChatTokens, countTextTokens } from "./tokenCount.ts";
