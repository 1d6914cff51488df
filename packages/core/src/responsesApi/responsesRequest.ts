import { z } from "zod";
import { chatMessageLimits } from "../schemas/chatMessage.ts";
import { chatRequestLimits, chatRequestSchema, toolDefinitionSchema } from "../schemas/chatRequest.ts";
import { whenFieldsValid } from "../schemas/crossFieldCheck.ts";
import { boundedText, identifierSchema, jsonObjectSchema, modelNameSchema } from "../schemas/textFields.ts";
import { parseOrThrow, withoutNullFields } from "../schemas/validationError.ts";
import { type ResponsesInput, responsesInputSchema } from "./responsesInput.ts";

const chatFields = chatRequestSchema.shape;

/** One function tool: `{ type: "function", name, description?, parameters?, strict? }`. */
export const responsesToolSchema = z.strictObject({
  type: z.literal("function", {
    error: (issue) =>
      typeof issue.input === "string"
        ? `"${issue.input}" tools are not supported (only "function" tools are)`
        : 'must be "function"',
  }),
  name: identifierSchema,
  description: boundedText(chatRequestLimits.toolDescriptionChars, 0).nullish(),
  parameters: toolDefinitionSchema.shape.function.shape.parameters.unwrap().nullish(),
  strict: z.boolean().nullish(),
});

/** Whether and which function the model must call. */
export const responsesToolChoiceSchema = z.union(
  [
    z.enum(["none", "auto", "required"]),
    z.strictObject({ type: z.literal("function", { error: 'must be "function"' }), name: identifierSchema }),
  ],
  { error: 'must be "none", "auto", "required" or { type: "function", name }' },
);

/** `text.format`: free text, any JSON object, or JSON matching a schema. */
export const responsesTextFormatSchema = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("text") }),
  z.strictObject({ type: z.literal("json_object") }),
  z.strictObject({
    type: z.literal("json_schema"),
    name: identifierSchema,
    schema: jsonObjectSchema,
    description: boundedText(chatRequestLimits.schemaDescriptionChars).optional(),
    strict: z.boolean().nullish(),
  }),
]);

const noStoredResponses = "Sluice does not store responses yet; send the whole conversation in input";

/** OpenAI-compatible `POST /v1/responses` body (the stateless subset); unknown fields are rejected. */
export const responsesRequestSchema = z
  .strictObject({
    model: modelNameSchema,
    input: responsesInputSchema,
    instructions: boundedText(chatMessageLimits.textChars).optional(),
    tools: z
      .array(responsesToolSchema)
      .min(1, "must have at least 1 tool")
      .max(chatRequestLimits.tools, `must have at most ${chatRequestLimits.tools} tools`)
      .optional(),
    tool_choice: responsesToolChoiceSchema.optional(),
    parallel_tool_calls: z.boolean().optional(),
    text: z.strictObject({ format: responsesTextFormatSchema.optional() }).optional(),
    temperature: chatFields.temperature,
    top_p: chatFields.top_p,
    max_output_tokens: chatFields.max_completion_tokens,
    metadata: chatFields.metadata,
    user: chatFields.user,
    stream: z.boolean().optional(),
    store: z
      .boolean()
      .refine((store) => !store, `store: true is not supported: ${noStoredResponses} (store: false)`)
      .optional(),
    previous_response_id: z
      .unknown()
      .refine(() => false, `is not supported: ${noStoredResponses}`)
      .optional(),
    reasoning: z.strictObject({ effort: z.enum(["minimal", "low", "medium", "high"]).nullish() }).optional(),
    truncation: z
      .literal("disabled", { error: 'must be "disabled" (Sluice does not truncate input)' })
      .optional(),
  })
  .superRefine(checkCallOutputs, whenFieldsValid("input"))
  .superRefine(checkToolNames, whenFieldsValid("tools", "tool_choice"));

// An output answers a call made earlier in the same input; an unknown id is a client bug.
function checkCallOutputs(request: { input: ResponsesInput }, ctx: z.RefinementCtx): void {
  if (typeof request.input === "string") return;
  const calls = new Set<string>();
  for (const [index, item] of request.input.entries()) {
    if (item.type === "function_call") calls.add(item.call_id);
    else if (item.type === "function_call_output" && !calls.has(item.call_id)) {
      ctx.addIssue({
        code: "custom",
        path: ["input", index, "call_id"],
        message: "must match the call_id of an earlier function_call item",
      });
    }
  }
}

function checkToolNames(
  request: { tools?: ResponsesTool[] | undefined; tool_choice?: ResponsesToolChoice | undefined },
  ctx: z.RefinementCtx,
): void {
  const names = new Set<string>();
  for (const [index, tool] of (request.tools ?? []).entries()) {
    if (names.has(tool.name)) {
      ctx.addIssue({ code: "custom", path: ["tools", index, "name"], message: "is declared twice" });
    }
    names.add(tool.name);
  }
  const choice = request.tool_choice;
  if (typeof choice === "object" && request.tools !== undefined && !names.has(choice.name)) {
    ctx.addIssue({
      code: "custom",
      path: ["tool_choice", "name"],
      message: `must name a declared tool (not "${choice.name}")`,
    });
  }
}

/** A validated Responses request. */
export type ResponsesRequest = z.infer<typeof responsesRequestSchema>;

/** A Responses request before validation (what a client sends). */
export type ResponsesRequestInput = z.input<typeof responsesRequestSchema>;

/** One declared function tool of a Responses request. */
export type ResponsesTool = z.infer<typeof responsesToolSchema>;

/** A Responses request's `tool_choice`. */
export type ResponsesToolChoice = z.infer<typeof responsesToolChoiceSchema>;

/**
 * Validates a `POST /v1/responses` body; throws a `validation_error` SluiceError listing every issue.
 * Top-level `null` fields count as absent, as OpenAI treats them.
 */
export function parseResponsesRequest(input: unknown): ResponsesRequest {
  return parseOrThrow(responsesRequestSchema, withoutNullFields(input), "responses request");
}
