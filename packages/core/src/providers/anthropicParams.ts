import type {
  ContentBlockParam,
  MessageCreateParamsBase,
  MessageParam,
  Tool,
  ToolChoice,
} from "@anthropic-ai/sdk/resources/messages";
import { SluiceError } from "../errors/sluiceError.ts";
import { inexpressible, messageBlocksOf } from "./anthropicContentBlocks.ts";
import type { ProviderChatRequest } from "./provider.ts";

// The Messages API has no response_format: structured output is asked for in the system prompt.
function formatInstruction(request: ProviderChatRequest): string | undefined {
  const format = request.responseFormat;
  if (!format || format.type === "text") return undefined;
  if (format.type === "json_object") return "Respond with a single JSON object and nothing else.";
  return `Respond with a single JSON object and nothing else, valid against this JSON Schema:\n${JSON.stringify(format.schema)}`;
}

/**
 * Refuses what Anthropic cannot answer as asked. What it merely lacks is left out: seed, penalties,
 * logprobs, and temperature and top_p, which API version 2026-10-21 (the one the SDK sends) answers
 * with a 400 at any value.
 */
function assertExpressible(request: ProviderChatRequest): void {
  if ((request.n ?? 1) > 1) {
    throw inexpressible("n", "n > 1 is not supported; Anthropic models answer one choice", request.model);
  }
  const stops = request.stop ?? [];
  for (const [i, stop] of stops.entries()) {
    if (stop.trim() === "") {
      // A lone stop may have been sent as a plain string: name the field itself then.
      throw inexpressible(
        stops.length === 1 ? "stop" : `stop.${i}`,
        "Anthropic models refuse stop sequences that are only whitespace",
        request.model,
      );
    }
  }
}

function toolsOf(request: ProviderChatRequest): Tool[] | undefined {
  return request.tools?.map((tool, i) => {
    const schema = tool.parameters ?? { type: "object", properties: {} };
    if (schema.type !== undefined && schema.type !== "object") {
      throw inexpressible(
        `tools.${i}.function.parameters.type`,
        'must be "object": Anthropic tools take an object as input',
        request.model,
      );
    }
    return {
      name: tool.name,
      ...(tool.description === undefined ? {} : { description: tool.description }),
      input_schema: { ...schema, type: "object" },
      ...(tool.strict === undefined ? {} : { strict: tool.strict }),
    };
  });
}

/**
 * Anthropic refuses a history with tool_use blocks unless tools are declared, where OpenAI takes it:
 * such calls are declared as placeholders the model may not call, which is what OpenAI's answer
 * without tools would be.
 */
function placeholderTools(request: ProviderChatRequest): Tool[] | undefined {
  const names = new Set(request.messages.flatMap((m) => (m.toolCalls ?? []).map((c) => c.name)));
  // Tool results answer earlier calls (validated), so a history without calls has no tool blocks.
  if (names.size === 0) return undefined;
  return [...names].map((name) => ({
    name,
    description: "A tool an earlier turn called; not available now.",
    input_schema: { type: "object" },
  }));
}

function toolChoiceOf(request: ProviderChatRequest): ToolChoice | undefined {
  const choice = request.toolChoice;
  const parallel = request.parallelToolCalls === false ? { disable_parallel_tool_use: true } : {};
  if (choice === "none") return { type: "none" };
  if (choice === "required") return { type: "any", ...parallel };
  if (typeof choice === "object") return { type: "tool", name: choice.name, ...parallel };
  if (choice === "auto" || request.parallelToolCalls === false) return { type: "auto", ...parallel };
  return undefined;
}

function toolParamsOf(request: ProviderChatRequest): Partial<MessageCreateParamsBase> {
  const tools = toolsOf(request);
  if (tools) {
    const choice = toolChoiceOf(request);
    return { tools, ...(choice ? { tool_choice: choice } : {}) };
  }
  const placeholders = placeholderTools(request);
  return placeholders ? { tools: placeholders, tool_choice: { type: "none" } } : {};
}

function isToolResult(block: ContentBlockParam): boolean {
  return block.type === "tool_result";
}

/**
 * Anthropic wants alternating user/assistant turns whose user turns start with their tool results:
 * consecutive messages of one role merge into one turn (tool results first), and a turn of text
 * only is sent as one string, as before blocks existed.
 */
function turnsOf(request: ProviderChatRequest): MessageParam[] {
  const turns: { role: "user" | "assistant"; blocks: ContentBlockParam[] }[] = [];
  for (const [index, message] of request.messages.entries()) {
    if (message.role === "system" || message.role === "developer") continue;
    const role = message.role === "assistant" ? "assistant" : "user";
    const blocks = messageBlocksOf(message, index, request.model);
    if (blocks.length === 0) continue;
    const last = turns.at(-1);
    if (last && last.role === role) last.blocks.push(...blocks);
    else turns.push({ role, blocks });
  }
  return turns.map(({ role, blocks }) => {
    if (blocks.every((b) => b.type === "text"))
      return { role, content: blocks.map((b) => (b.type === "text" ? b.text : "")).join("\n\n") };
    return { role, content: [...blocks.filter(isToolResult), ...blocks.filter((b) => !isToolResult(b))] };
  });
}

/** The Messages API body the provider sends for a request (also each request of a batch). */
export function toParams(request: ProviderChatRequest, defaultMaxTokens: number): MessageCreateParamsBase {
  assertExpressible(request);
  const system = request.messages
    .filter((m) => m.role === "system" || m.role === "developer")
    .map((m) => m.content);
  const instruction = formatInstruction(request);
  if (instruction) system.push(instruction);
  const messages = turnsOf(request);
  if (messages.length === 0) {
    throw new SluiceError("validation_error", "Anthropic models need at least one user or assistant message");
  }
  return {
    model: request.model,
    max_tokens: request.maxTokens ?? defaultMaxTokens,
    messages,
    ...(system.length > 0 ? { system: system.join("\n\n") } : {}),
    ...(request.stop === undefined ? {} : { stop_sequences: request.stop }),
    ...toolParamsOf(request),
  };
}
