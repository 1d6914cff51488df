import { z } from "zod";
import { type ChatMessage, chatMessageSchema, textContentSchema } from "./chatMessage.ts";
import { whenFieldsValid } from "./crossFieldCheck.ts";
import { boundedText, identifierSchema, jsonObjectSchema, modelNameSchema } from "./textFields.ts";
import { parseOrThrow, withoutNullFields } from "./validationError.ts";

/** Bounds on a chat completion request. */
export const chatRequestLimits = {
  messages: 1000,
  stopSequences: 4,
  stopSequenceChars: 1_024,
  /** Upper bound on `max_tokens`/`max_completion_tokens`; each model's own output cap applies on top. */
  maxTokens: 131_072,
  n: 8,
  topLogprobs: 20,
  userChars: 256,
  metadataKeys: 16,
  metadataKeyChars: 64,
  metadataValueChars: 512,
  schemaDescriptionChars: 4_096,
  /** Tools in one request (OpenAI's own limit). */
  tools: 128,
  toolDescriptionChars: 4_096,
  /** Characters of one tool's `parameters` schema as JSON. */
  toolParametersChars: 65_536,
} as const;

/** Upper bound on generated tokens Sluice accepts in one request. */
export const MAX_OUTPUT_TOKENS_LIMIT = chatRequestLimits.maxTokens;

const between = (min: number, max: number) =>
  z.number().min(min, `must be between ${min} and ${max}`).max(max, `must be between ${min} and ${max}`);
const intBetween = (min: number, max: number) =>
  z.int().min(min, `must be between ${min} and ${max}`).max(max, `must be between ${min} and ${max}`);

type ToolFields = {
  tools?: ToolDefinition[] | undefined;
  tool_choice?: ToolChoice | undefined;
  parallel_tool_calls?: boolean | undefined;
};

function checkTools(request: ToolFields, ctx: z.RefinementCtx): void {
  const names = new Set<string>();
  for (const [index, tool] of (request.tools ?? []).entries()) {
    if (names.has(tool.function.name)) {
      ctx.addIssue({
        code: "custom",
        path: ["tools", index, "function", "name"],
        message: "is declared twice",
      });
    }
    names.add(tool.function.name);
  }
  const choice = request.tool_choice;
  if (choice !== undefined && request.tools === undefined) {
    ctx.addIssue({ code: "custom", path: ["tool_choice"], message: "requires tools" });
  } else if (typeof choice === "object" && !names.has(choice.function.name)) {
    ctx.addIssue({
      code: "custom",
      path: ["tool_choice", "function", "name"],
      message: `must name a declared tool (not "${choice.function.name}")`,
    });
  }
  if (request.parallel_tool_calls !== undefined && request.tools === undefined) {
    ctx.addIssue({ code: "custom", path: ["parallel_tool_calls"], message: "requires tools" });
  }
}

// A tool result answers a call the conversation made earlier; an unknown id is a client bug.
function checkToolResults(request: { messages: ChatMessage[] }, ctx: z.RefinementCtx): void {
  const calls = new Set<string>();
  for (const [index, message] of request.messages.entries()) {
    if (message.role === "assistant") {
      for (const call of message.tool_calls ?? []) calls.add(call.id);
    } else if (message.role === "tool" && !calls.has(message.tool_call_id)) {
      ctx.addIssue({
        code: "custom",
        path: ["messages", index, "tool_call_id"],
        message: "must match the id of a tool call in an earlier assistant message",
      });
    }
  }
}

/** Output format: free text, any JSON object, or JSON matching a schema. */
export const responseFormatSchema = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("text") }),
  z.strictObject({ type: z.literal("json_object") }),
  z.strictObject({
    type: z.literal("json_schema"),
    json_schema: z.strictObject({
      name: identifierSchema,
      description: boundedText(chatRequestLimits.schemaDescriptionChars).optional(),
      schema: jsonObjectSchema,
      strict: z.boolean().optional(),
    }),
  }),
]);

/** One declared function tool: `{ type: "function", function: { name, description?, parameters?, strict? } }`. */
export const toolDefinitionSchema = z.strictObject({
  type: z.literal("function", { error: 'must be "function" (only function tools are supported)' }),
  function: z.strictObject({
    name: identifierSchema,
    description: boundedText(chatRequestLimits.toolDescriptionChars, 0).optional(),
    parameters: jsonObjectSchema
      .refine(
        (schema) => JSON.stringify(schema).length <= chatRequestLimits.toolParametersChars,
        `must be at most ${chatRequestLimits.toolParametersChars} characters as JSON`,
      )
      .optional(),
    strict: z.boolean().optional(),
  }),
});

/** Whether and which tool the model must call. */
export const toolChoiceSchema = z.union(
  [
    z.enum(["none", "auto", "required"]),
    z.strictObject({
      type: z.literal("function", { error: 'must be "function"' }),
      function: z.strictObject({ name: identifierSchema }),
    }),
  ],
  { error: 'must be "none", "auto", "required" or { type: "function", function: { name } }' },
);

const stopSequence = boundedText(chatRequestLimits.stopSequenceChars);

/** OpenAI-compatible `POST /v1/chat/completions` body; unknown fields are rejected. */
export const chatRequestSchema = z
  .strictObject({
    model: modelNameSchema,
    messages: z
      .array(chatMessageSchema)
      .min(1, "must have at least 1 message")
      .max(chatRequestLimits.messages, `must have at most ${chatRequestLimits.messages} messages`),
    temperature: between(0, 2).optional(),
    top_p: between(0, 1).optional(),
    presence_penalty: between(-2, 2).optional(),
    frequency_penalty: between(-2, 2).optional(),
    stop: z
      .union(
        [
          stopSequence,
          z
            .array(stopSequence)
            .max(
              chatRequestLimits.stopSequences,
              `must have at most ${chatRequestLimits.stopSequences} stop sequences`,
            ),
        ],
        { error: "must be a string or an array of strings" },
      )
      .optional(),
    max_tokens: intBetween(1, chatRequestLimits.maxTokens).optional(),
    max_completion_tokens: intBetween(1, chatRequestLimits.maxTokens).optional(),
    n: intBetween(1, chatRequestLimits.n).optional(),
    stream: z.boolean().optional(),
    stream_options: z.strictObject({ include_usage: z.boolean().optional() }).optional(),
    response_format: responseFormatSchema.optional(),
    logprobs: z.boolean().optional(),
    top_logprobs: intBetween(0, chatRequestLimits.topLogprobs).optional(),
    seed: z.int().optional(),
    tools: z
      .array(toolDefinitionSchema)
      .min(1, "must have at least 1 tool")
      .max(chatRequestLimits.tools, `must have at most ${chatRequestLimits.tools} tools`)
      .optional(),
    tool_choice: toolChoiceSchema.optional(),
    parallel_tool_calls: z.boolean().optional(),
    // Passed to OpenAI-wire providers, which take them; Anthropic models ignore them (docs/api.md).
    reasoning_effort: z.enum(["minimal", "low", "medium", "high"]).optional(),
    service_tier: z.enum(["auto", "default", "flex", "priority", "scale"]).optional(),
    prediction: z.strictObject({ type: z.literal("content"), content: textContentSchema }).optional(),
    modalities: z
      .array(z.enum(["text", "audio"]))
      .min(1, "must have at least 1 modality")
      .max(2, "must have at most 2 modalities")
      .refine((modalities) => !modalities.includes("audio"), 'audio output is not supported; send ["text"]')
      .optional(),
    user: boundedText(chatRequestLimits.userChars).optional(),
    metadata: z
      .record(
        boundedText(chatRequestLimits.metadataKeyChars),
        boundedText(chatRequestLimits.metadataValueChars, 0),
      )
      .refine(
        (metadata) => Object.keys(metadata).length <= chatRequestLimits.metadataKeys,
        `must have at most ${chatRequestLimits.metadataKeys} keys`,
      )
      .optional(),
  })
  .superRefine(
    (request, ctx) => {
      if (request.max_tokens !== undefined && request.max_completion_tokens !== undefined) {
        ctx.addIssue({
          code: "custom",
          path: ["max_tokens"],
          message: "must not be sent together with max_completion_tokens (which replaces it)",
        });
      }
    },
    whenFieldsValid("max_tokens", "max_completion_tokens"),
  )
  .superRefine(
    (request, ctx) => {
      if (request.top_logprobs !== undefined && request.logprobs !== true) {
        ctx.addIssue({ code: "custom", path: ["top_logprobs"], message: "requires logprobs: true" });
      }
    },
    whenFieldsValid("top_logprobs", "logprobs"),
  )
  .superRefine(
    (request, ctx) => {
      if (request.stream_options !== undefined && request.stream !== true) {
        ctx.addIssue({ code: "custom", path: ["stream_options"], message: "requires stream: true" });
      }
    },
    whenFieldsValid("stream_options", "stream"),
  )

  .superRefine(checkTools, whenFieldsValid("tools", "tool_choice", "parallel_tool_calls"))
  .superRefine(checkToolResults, whenFieldsValid("messages"));

/** A validated chat completion request. */
export type ChatRequest = z.infer<typeof chatRequestSchema>;

/** A chat completion request before validation (what a typed client sends). */
export type ChatRequestInput = z.input<typeof chatRequestSchema>;

/** One declared function tool. */
export type ToolDefinition = z.infer<typeof toolDefinitionSchema>;

/** A request's `tool_choice`. */
export type ToolChoice = z.infer<typeof toolChoiceSchema>;

/** Requested output format of a chat completion. */
export type ChatResponseFormat = z.infer<typeof responseFormatSchema>;

/**
 * Validates a chat completion body; throws a `validation_error` SluiceError listing every issue.
 * Top-level `null` fields count as absent, as OpenAI treats them.
 */
export function parseChatRequest(input: unknown): ChatRequest {
  return parseOrThrow(
    chatRequestSchema,
    withoutEmptyCallContent(withoutNullFields(input)),
    "chat completion request",
  );
}

// OpenAI takes `content: ""` on an assistant turn that calls tools, and SDKs send it back so when
// their stream reader saw an empty opening chunk: it means no text, not blank text.
function withoutEmptyCallContent(input: unknown): unknown {
  const messages = (input as { messages?: unknown } | null)?.messages;
  if (!Array.isArray(messages)) return input;
  const isEmptyCall = (m: unknown) => {
    const message = m as { role?: unknown; content?: unknown; tool_calls?: unknown } | null;
    return message?.role === "assistant" && message.content === "" && Array.isArray(message.tool_calls);
  };
  if (!messages.some(isEmptyCall)) return input;
  return {
    ...(input as object),
    messages: messages.map((m) => (isEmptyCall(m) ? { ...m, content: null } : m)),
  };
}

/** The completion-token cap a request asks for: `max_completion_tokens`, else `max_tokens`. */
export function maxTokensOf(
  request: Pick<ChatRequest, "max_tokens" | "max_completion_tokens">,
): number | undefined {
  return request.max_completion_tokens ?? request.max_tokens;
}

// Code holding a request usually needs the message helpers too; one import serves both.
export { type ChatMessage, messageText } from "./chatMessage.ts";
