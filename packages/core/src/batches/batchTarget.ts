import type { CascadeRegistry } from "../cascade/cascadeRegistry.ts";
import { isCascadeName } from "../cascade/cascadeRegistry.ts";
import type { CascadeSpec } from "../cascade/cascadeSpec.ts";
import { SluiceError } from "../errors/sluiceError.ts";
import type { ModelRegistry } from "../models/modelRegistry.ts";
import type { ModelSpec } from "../models/modelSpec.ts";
import type { ProviderBatchApi } from "../providers/batchApi.ts";
import type { Provider } from "../providers/provider.ts";
import type { ProviderRegistry } from "../providers/providerRegistry.ts";

/** What batches need of the LLM runtime. */
export interface BatchRuntime {
  registry: ModelRegistry;
  cascades: CascadeRegistry;
  providers: ProviderRegistry;
}

/** One tier of a batch: a model and the provider Batch API that runs it. */
export interface BatchTier {
  model: ModelSpec;
  provider: Provider;
  api: ProviderBatchApi;
}

/** What a batch runs: one model, or a cascade's tiers cheapest first. */
export interface BatchTarget {
  /** As the batch names it. */
  name: string;
  cascade: CascadeSpec | undefined;
  tiers: BatchTier[];
  /** The tightest limits of any tier's provider. */
  limits: { maxRequests: number; maxBytes: number };
}

function tierOf(runtime: BatchRuntime, model: ModelSpec, name: string): BatchTier {
  if (model.kind !== "chat" || !model.capabilities.batch) {
    throw new SluiceError("validation_error", `model "${model.id}" cannot run as a batch`, {
      details: { issues: [{ path: "model", message: `"${model.id}" has no batch support` }], model: name },
    });
  }
  const provider = runtime.providers.forModel(model);
  if (!provider.batches) {
    throw new SluiceError("validation_error", `provider "${provider.name}" has no Batch API`, {
      details: {
        issues: [
          { path: "model", message: `"${model.id}" is served by ${provider.name}, which has no Batch API` },
        ],
      },
    });
  }
  return { model, provider, api: provider.batches };
}

/** Resolves a batch's model or `cascade:<name>`; unknown names and models without a Batch API are refused. */
export function resolveBatchTarget(runtime: BatchRuntime, name: string): BatchTarget {
  const cascade = isCascadeName(name) ? runtime.cascades.resolve(name) : undefined;
  if (isCascadeName(name) && !cascade) throw new SluiceError("not_found", `unknown cascade "${name}"`);
  const models = cascade
    ? cascade.tiers.map((t) => runtime.registry.get(t.model))
    : [runtime.registry.get(name)];
  const tiers = models.map((m) => tierOf(runtime, m, name));
  return {
    name,
    cascade,
    tiers,
    limits: {
      maxRequests: Math.min(...tiers.map((t) => t.api.limits.maxRequests)),
      maxBytes: Math.min(...tiers.map((t) => t.api.limits.maxBytes)),
    },
  };
}
