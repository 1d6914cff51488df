import { SluiceError } from "../errors/sluiceError.ts";
import { defaultModels } from "./defaultModels.ts";
import { type ModelSpec, type ModelSpecInput, modelSpecSchema } from "./modelSpec.ts";

/** Looks models up by Sluice id. */
export interface ModelRegistry {
  /** The model, or a `not_found` SluiceError naming the known ones. */
  get(id: string): ModelSpec;
  find(id: string): ModelSpec | undefined;
  list(): ModelSpec[];
}

/** Builds a registry from the defaults plus configured entries (same id replaces the default). */
export function createModelRegistry(
  overrides: ModelSpecInput[] = [],
  base: ModelSpecInput[] = defaultModels,
): ModelRegistry {
  const models = new Map<string, ModelSpec>();
  for (const entry of [...base, ...overrides]) {
    const parsed = modelSpecSchema.safeParse(entry);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new SluiceError(
        "validation_error",
        `model "${String((entry as { id?: unknown }).id)}" is misconfigured: ${issue?.path.join(".")} ${issue?.message}`,
      );
    }
    models.set(parsed.data.id, parsed.data);
  }
  return {
    get(id) {
      const model = models.get(id);
      if (!model) {
        throw new SluiceError("not_found", `unknown model "${id}"`, {
          details: { model: id, known: [...models.keys()] },
        });
      }
      return model;
    },
    find: (id) => models.get(id),
    list: () => [...models.values()],
  };
}
