import { z } from "zod";
import { smallParameters, toolName } from "./toolShapes.ts";

/**
 * A bounded shape for `POST /v1/responses`, for generating only: what counts as valid is still the
 * real schema's call. A function_call_output answers an earlier function_call often enough to reach
 * a model; image parts are generated too (the route refuses them by name for now).
 */

const callId = z.enum(["call_1", "call_2"]);
const inputText = z.strictObject({ type: z.literal("input_text"), text: z.string().min(1) });
const inputImage = z.strictObject({
  type: z.literal("input_image"),
  image_url: z.url(),
  detail: z.enum(["auto", "low", "high"]).optional(),
});
const message = z.strictObject({
  type: z.literal("message").optional(),
  role: z.enum(["user", "assistant", "system", "developer"]),
  content: z.union([
    z.string().min(1),
    z
      .array(z.union([inputText, inputImage]))
      .min(1)
      .max(2),
  ]),
});
const functionCall = z.strictObject({
  type: z.literal("function_call"),
  call_id: callId,
  name: toolName,
  arguments: z.enum(["{}", '{"city":"Paris"}', '{"days":3}']),
});
const functionCallOutput = z.strictObject({
  type: z.literal("function_call_output"),
  call_id: callId,
  output: z.string().min(1),
});

/** `input`: a string, messages, or a call and its output followed by anything. */
const input = z.union([
  z.string().min(1),
  z.array(message).min(1),
  z.tuple(
    [message, functionCall.extend({ call_id: z.literal("call_1") })],
    z.union([message, functionCall, functionCallOutput]),
  ),
]);

const tool = z.strictObject({
  type: z.literal("function"),
  name: toolName,
  description: z.string().max(60).optional(),
  parameters: smallParameters.optional(),
});
const toolChoice = z.union([
  z.enum(["none", "auto", "required"]),
  z.strictObject({ type: z.literal("function"), name: toolName }),
]);

/** A Responses request for one of `models`, with up to 3 small tools. */
export function responsesShape(models: readonly string[]) {
  return z.strictObject({
    model: z.enum(models as [string, ...string[]]),
    input,
    instructions: z.string().min(1).optional(),
    tools: z.array(tool).min(1).max(3).optional(),
    tool_choice: toolChoice.optional(),
    max_output_tokens: z.int().min(1).max(1024).optional(),
    temperature: z.number().min(0).max(2).optional(),
    stream: z.boolean().optional(),
  });
}
