import { parseConfig, type SluiceConfig } from "./configSchema.ts";

let cached: SluiceConfig | undefined;

/** The process's configuration, parsed from `process.env` on first use and then reused. */
export function loadConfig(): SluiceConfig {
  cached ??= parseConfig(process.env);
  return cached;
}
