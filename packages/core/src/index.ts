export { ConfigError, parseConfig, type SluiceConfig } from "./config/configSchema.ts";
export { loadConfig } from "./config/env.ts";
export {
  type ErrorCode,
  errorCodes,
  isSluiceError,
  SluiceError,
  type SluiceErrorOptions,
  type TrpcErrorCode,
} from "./errors/sluiceError.ts";
