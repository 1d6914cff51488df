import { runCascade } from "../cascade/cascadeEngine.ts";
import type { CascadeRegistry } from "../cascade/cascadeRegistry.ts";
import type { CascadeResult } from "../cascade/cascadeResult.ts";
import { structuredOutputValidator, validateDraft } from "../cascade/validators.ts";
import { SluiceError } from "../errors/sluiceError.ts";
import type { RunAdmission } from "../limits/gatedModels.ts";
import type { ModelCallContext, ModelClient } from "../llm/modelClient.ts";
import { classifyRequest } from "./classifyPrompt.ts";
import { type TicketClassification, ticketClassificationSchema } from "./ticketSchemas.ts";

/** A classification with the model that made it and what it cost. */
export interface ClassificationOutcome {
  classification: TicketClassification;
  modelUsed: string;
  costMicros: number;
  cascade?: CascadeResult;
}

const PLAIN_MODEL_ATTEMPTS = 2;

/**
 * Classifies a ticket's text with a model or `cascade:<name>`. The answer must pass the schema:
 * a cascade escalates on failure; a plain model is asked again once; nothing invalid is returned.
 */
export async function classifyTicketText(
  deps: { models: ModelClient; cascades: CascadeRegistry; admit?: RunAdmission | undefined },
  model: string,
  ticket: { subject: string; body: string },
  context: ModelCallContext,
): Promise<ClassificationOutcome> {
  const request = classifyRequest(ticket);
  const cascade = deps.cascades.resolve(model);
  // Under the spend gate, a cascade is admitted whole (every tier reserved) and each attempt of a
  // plain model on its own; without one (tools, tests), calls go to `models` as they are.
  const admit: RunAdmission = deps.admit ?? ((_request, run) => run(deps.models));
  if (cascade) {
    const result = await admit({ ...request, model }, (models) =>
      runCascade(models, {
        cascade,
        request,
        schema: ticketClassificationSchema,
        context,
      }),
    );
    const parsed = ticketClassificationSchema.parse(result.parsed);
    return {
      classification: parsed,
      modelUsed: result.modelUsed,
      costMicros: result.totalCostMicros,
      cascade: result,
    };
  }
  const validate = structuredOutputValidator(ticketClassificationSchema);
  let spent = 0;
  let lastReason = "";
  for (let attempt = 0; attempt < PLAIN_MODEL_ATTEMPTS; attempt++) {
    const outcome = await admit({ ...request, model }, (models) =>
      models.chat({ ...request, model }, { ...context, cache: attempt === 0 ? "auto" : "off" }),
    );
    spent += outcome.costMicros;
    const draft = { model, content: outcome.result.content, finishReason: outcome.result.finishReason };
    const verdict = await validateDraft(draft, [validate], {
      signal: context.signal ?? new AbortController().signal,
    });
    if (verdict.accept) {
      return {
        classification: (draft as { parsed?: TicketClassification }).parsed!,
        modelUsed: model,
        costMicros: spent,
      };
    }
    lastReason = verdict.reason;
  }
  throw new SluiceError(
    "model_error",
    `model ${model} did not return a valid classification (${lastReason})`,
    {
      details: { model, reason: lastReason },
    },
  );
}
