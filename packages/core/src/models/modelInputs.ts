import { SluiceError } from "../errors/sluiceError.ts";
import type { ProviderContentPart, ProviderMessage } from "../providers/provider.ts";
import type { ModelInput, ModelSpec } from "./modelSpec.ts";

const inputOf: Record<ProviderContentPart["type"], ModelInput> = {
  text: "text",
  image: "image",
  audio: "audio",
  file: "file",
};

/** The request's parts by kind, as the caller sent them (`image_url`, `input_audio`, `file`). */
const wireName: Record<ModelInput, string> = {
  text: "text",
  image: "image_url",
  audio: "input_audio",
  file: "file",
};

/** Every part of the messages a model does not take, by path (`messages.N.content.M`) and why. */
export function modelInputIssues(
  model: ModelSpec,
  messages: readonly ProviderMessage[],
): { path: string; message: string }[] {
  const issues: { path: string; message: string }[] = [];
  for (const [m, message] of messages.entries()) {
    for (const [p, part] of (message.parts ?? []).entries()) {
      const input = inputOf[part.type];
      if (model.inputs.includes(input)) continue;
      issues.push({
        path: `messages.${m}.content.${p}`,
        message: `model "${model.id}" does not take ${wireName[input]} parts (it takes ${model.inputs.join(", ")})`,
      });
    }
  }
  return issues;
}

/**
 * Refuses, before anything is spent, a message part the model does not take (an image sent to a
 * text-only model): a `validation_error` naming the model and each part's path
 * (`messages.N.content.M`), with the model's inputs in the details.
 */
export function assertModelTakesInputs(model: ModelSpec, messages: readonly ProviderMessage[]): void {
  const issues = modelInputIssues(model, messages);
  const first = issues[0];
  if (!first) return;
  const more = issues.length > 1 ? `, and ${issues.length - 1} more (see details.issues)` : "";
  throw new SluiceError("validation_error", `${first.path}: ${first.message}${more}.`, {
    details: { model: model.id, inputs: model.inputs, issues },
  });
}
