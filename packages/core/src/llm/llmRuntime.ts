import type { Db } from "@sluice/db";
import type { SluiceConfig } from "../config/configSchema.ts";
import { createModelRegistry, type ModelRegistry } from "../models/modelRegistry.ts";
import type { ModelSpecInput } from "../models/modelSpec.ts";
import { createProviderRegistry, type ProviderRegistry } from "../providers/providerRegistry.ts";
import { createResilienceRegistry } from "../resilience/resilienceRegistry.ts";
import { type CallLogWriter, createCallLogWriter } from "./callLogWriter.ts";
import { createModelClient, type ModelClient, type ResilienceExecutor } from "./modelClient.ts";
import { createResponseCache } from "./responseCache.ts";

/** Everything a process needs to call models, built once from configuration. */
export interface LlmRuntime {
  models: ModelClient;
  registry: ModelRegistry;
  providers: ProviderRegistry;
  callLog: CallLogWriter;
  /** Flushes the call log; call before the process exits. */
  close(): Promise<void>;
}

/** Wires registry, providers, cache, call log and resilience from configuration. */
export function createLlmRuntime(
  config: SluiceConfig,
  db: Db,
  options: { resilience?: ResilienceExecutor; onCallLogError?: (error: unknown, rows: number) => void } = {},
): LlmRuntime {
  const registry = createModelRegistry(config.models as ModelSpecInput[]);
  const providers = createProviderRegistry(config.providers);
  const callLog = createCallLogWriter(db, options.onCallLogError ? { onError: options.onCallLogError } : {});
  const models = createModelClient({
    registry,
    providers,
    callLog,
    cache: createResponseCache({ db, ttlSeconds: config.cache.ttlSeconds, scope: config.cache.scope }),
    resilience: options.resilience ?? createResilienceRegistry(),
  });
  return { models, registry, providers, callLog, close: () => callLog.close() };
}
