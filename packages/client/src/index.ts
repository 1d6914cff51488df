export {
  type ClientFetch,
  createSluiceClient,
  type SluiceClient,
  type SluiceClientOptions,
} from "./createSluiceClient.ts";
