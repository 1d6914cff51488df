import { SluiceError } from "../errors/sluiceError.ts";
import type { ModelRegistry } from "../models/modelRegistry.ts";
import {
  CASCADE_PREFIX,
  type CascadeSpec,
  type CascadeSpecInput,
  cascadeSpecSchema,
  defaultCascades,
} from "./cascadeSpec.ts";

/** Named cascades, addressable as `cascade:<name>` wherever a model name is accepted. */
export interface CascadeRegistry {
  get(name: string): CascadeSpec;
  list(): CascadeSpec[];
  /** The cascade a model name addresses, or undefined for a plain model. */
  resolve(modelName: string): CascadeSpec | undefined;
}

/** True when a model name addresses a cascade. */
export function isCascadeName(modelName: string): boolean {
  return modelName.startsWith(CASCADE_PREFIX);
}

/** Builds the registry from defaults plus configuration, checking every tier's model exists. */
export function createCascadeRegistry(
  models: ModelRegistry,
  configured: CascadeSpecInput[] = [],
): CascadeRegistry {
  const cascades = new Map<string, CascadeSpec>();
  for (const entry of [...defaultCascades, ...configured]) {
    const parsed = cascadeSpecSchema.safeParse(entry);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new SluiceError(
        "validation_error",
        `cascade "${String((entry as { name?: unknown }).name)}" is misconfigured: ${issue?.path.join(".")} ${issue?.message}`,
      );
    }
    for (const tier of parsed.data.tiers) {
      if (!models.find(tier.model)) {
        throw new SluiceError(
          "validation_error",
          `cascade "${parsed.data.name}" uses unknown model "${tier.model}"`,
        );
      }
    }
    cascades.set(parsed.data.name, parsed.data);
  }
  const get = (name: string) => {
    const cascade = cascades.get(name);
    if (!cascade) {
      throw new SluiceError("not_found", `unknown cascade "${name}"`, {
        details: { known: [...cascades.keys()] },
      });
    }
    return cascade;
  };
  return {
    get,
    list: () => [...cascades.values()],
    resolve: (modelName) =>
      isCascadeName(modelName) ? get(modelName.slice(CASCADE_PREFIX.length)) : undefined,
  };
}
