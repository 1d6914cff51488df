import { randomUUID } from "node:crypto";
import type { Db } from "@sluice/db";
import { type CascadeRegistry, createCascadeRegistry } from "../cascade/cascadeRegistry.ts";
import type { CascadeResult } from "../cascade/cascadeResult.ts";
import type { CascadeSpecInput } from "../cascade/cascadeSpec.ts";
import { cascadesFilePath, readCascadesFile } from "../config/cascadesFile.ts";
import type { SluiceConfig } from "../config/configSchema.ts";
import { createModelRegistry, type ModelRegistry } from "../models/modelRegistry.ts";
import type { ModelSpecInput } from "../models/modelSpec.ts";
import type { ProviderChatRequest } from "../providers/provider.ts";
import { createProviderRegistry, type ProviderRegistry } from "../providers/providerRegistry.ts";
import { createResilienceRegistry } from "../resilience/resilienceRegistry.ts";
import { type CallLogWriter, createCallLogWriter } from "./callLogWriter.ts";
import { type Completion, complete } from "./completion.ts";
import {
  type CallRecord,
  createModelClient,
  type ModelCallContext,
  type ModelClient,
  type ResilienceExecutor,
} from "./modelClient.ts";
import { createResponseCache } from "./responseCache.ts";

/** Everything a process needs to call models, built once from configuration. */
export interface LlmRuntime {
  models: ModelClient;
  registry: ModelRegistry;
  providers: ProviderRegistry;
  callLog: CallLogWriter;
  /** This process's id on its call-log rows; give it to the budget guard as its lease holder. */
  holder: string;
  /** Named cascades: defaults, configuration, and calibrated ones from the cascades file. */
  cascades: CascadeRegistry;
  /** Model or `cascade:<name>` the ticket classifier uses. */
  classifierModel: string;
  /** Completes with a model id or `cascade:<name>`. */
  complete(request: ProviderChatRequest, context?: ModelCallContext): Promise<Completion>;
  /** Flushes the call log and closes provider connections; call before the process exits. */
  close(): Promise<void>;
}

/** Wires registry, providers, cache, call log and resilience from configuration. */
export function createLlmRuntime(
  config: SluiceConfig,
  db: Db,
  options: {
    resilience?: ResilienceExecutor;
    onCallLogError?: (error: unknown, rows: number) => void;
    /** This process's id, stamped on its call-log rows (default random). */
    holder?: string;
    onCall?: (call: CallRecord) => void;
    onCascade?: (result: CascadeResult) => void;
  } = {},
): LlmRuntime {
  const registry = createModelRegistry(config.models as ModelSpecInput[]);
  const providers = createProviderRegistry(config.providers, {
    batchCaps: { maxRequests: config.batches.maxRequests, maxBytes: config.batches.maxBytes },
  });
  const holder = options.holder ?? randomUUID();
  const callLog = createCallLogWriter(db, {
    ...(options.onCallLogError ? { onError: options.onCallLogError } : {}),
    holder,
  });
  const models = createModelClient({
    registry,
    providers,
    callLog,
    cache: createResponseCache({ db, ttlSeconds: config.cache.ttlSeconds, scope: config.cache.scope }),
    resilience: options.resilience ?? createResilienceRegistry({ defaults: config.modelLimits }),
    ...(options.onCall ? { onCall: options.onCall } : {}),
  });
  const cascades = createCascadeRegistry(registry, [
    ...config.cascades,
    ...readCascadesFile(cascadesFilePath(config.home)),
  ] as CascadeSpecInput[]);
  return {
    models,
    registry,
    providers,
    callLog,
    holder,
    cascades,
    classifierModel: config.classifierModel,
    complete: (request, context) =>
      complete(
        { models, cascades, db, ...(options.onCascade ? { onCascade: options.onCascade } : {}) },
        request,
        context,
      ),
    close: async () => {
      await callLog.close();
      await providers.close();
    },
  };
}
