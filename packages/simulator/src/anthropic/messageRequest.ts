import {
  plannedToolCall,
  type ToolPlanContext,
  toolCallTokens,
  toolPromptTokens,
} from "../openai/toolCalls.ts";
import { imageSourceTokens } from "./imageTokens.ts";

type Block = { type?: unknown } & Record<string, unknown>;
type Turn = { role?: unknown; content?: unknown };

/** One tool call the simulated model makes, as an Anthropic `tool_use` block carries it. */
export interface SimToolUse {
  id: string;
  name: string;
  input: Record<string, unknown>;
  /** `input` as JSON text: what streams in `input_json_delta` pieces. */
  json: string;
  /** Completion tokens of the call. */
  tokens: number;
}

/** A Messages request's content blocks; a string content is one text block. */
export function blocksOf(content: unknown): Block[] {
  if (typeof content === "string") return [{ type: "text", text: content }];
  if (!Array.isArray(content)) return [];
  return content.filter((b): b is Block => b !== null && typeof b === "object");
}

const IMAGE_TYPES = new Set(["image/jpeg", "image/png", "image/gif", "image/webp"]);

function imageProblem(block: Block, path: string): string | undefined {
  const source = (block.source ?? {}) as {
    type?: unknown;
    media_type?: unknown;
    data?: unknown;
    url?: unknown;
  };
  if (source.type === "url")
    return typeof source.url === "string" ? undefined : `${path}.source.url: Field required`;
  if (source.type !== "base64") return `${path}.source.type: Input should be 'base64' or 'url'`;
  if (!IMAGE_TYPES.has(String(source.media_type)))
    return `${path}.source.media_type: Input should be 'image/jpeg', 'image/png', 'image/gif' or 'image/webp'`;
  return typeof source.data === "string" && source.data.length > 0
    ? undefined
    : `${path}.source.data: Field required`;
}

function toolsProblem(tools: unknown): string | undefined {
  if (tools === undefined) return undefined;
  if (!Array.isArray(tools)) return "tools: Input should be a valid list";
  for (const [i, tool] of tools.entries()) {
    const t = (tool ?? {}) as { name?: unknown; input_schema?: { type?: unknown } };
    if (typeof t.name !== "string") return `tools.${i}.name: Field required`;
    if (t.input_schema?.type !== "object") return `tools.${i}.input_schema.type: Input should be 'object'`;
  }
  return undefined;
}

const idsOf = (blocks: Block[], type: "tool_use" | "tool_result", key: "id" | "tool_use_id") =>
  blocks.filter((b) => b.type === type).map((b) => String(b[key]));

// Anthropic's pairing rules: every tool_use is answered by a tool_result at the start of the next
// (user) turn, and every tool_result answers a tool_use of the turn just before it.
function pairingProblem(turns: Turn[], i: number): string | undefined {
  const blocks = blocksOf(turns[i]?.content);
  if (turns[i]?.role === "assistant") {
    const next = turns[i + 1];
    if (!next) return undefined;
    const answered = new Set(idsOf(blocksOf(next.content), "tool_result", "tool_use_id"));
    const missing = idsOf(blocks, "tool_use", "id").filter((id) => !answered.has(id));
    if (missing.length === 0) return undefined;
    return `messages.${i}: \`tool_use\` ids were found without \`tool_result\` blocks immediately after: ${missing.join(", ")}. Each \`tool_use\` block must have a corresponding \`tool_result\` block in the next message.`;
  }
  const asked = new Set(i > 0 ? idsOf(blocksOf(turns[i - 1]?.content), "tool_use", "id") : []);
  let seenOther = false;
  for (const [j, block] of blocks.entries()) {
    if (block.type !== "tool_result") {
      seenOther = true;
      continue;
    }
    if (seenOther)
      return `messages.${i}.content.${j}: \`tool_result\` blocks must come before any other content in a user message.`;
    if (!asked.has(String(block.tool_use_id)))
      return `messages.${i}.content.${j}: unexpected \`tool_use_id\` found in \`tool_result\` blocks: ${String(block.tool_use_id)}. Each \`tool_result\` block must have a corresponding \`tool_use\` block in the previous message.`;
  }
  return undefined;
}

/** Why a Messages request's tools or turns break Anthropic's rules, or undefined when they do not. */
export function contentProblem(body: { tools?: unknown; messages: Turn[] }): string | undefined {
  const toolsIssue = toolsProblem(body.tools);
  if (toolsIssue) return toolsIssue;
  const declared = Array.isArray(body.tools) && body.tools.length > 0;
  for (const [i, turn] of body.messages.entries()) {
    const blocks = blocksOf(turn?.content);
    if (!declared && blocks.some((b) => b.type === "tool_use" || b.type === "tool_result"))
      return "Requests which include `tool_use` or `tool_result` blocks must define tools.";
    for (const [j, block] of blocks.entries()) {
      const issue = block.type === "image" ? imageProblem(block, `messages.${i}.content.${j}`) : undefined;
      if (issue) return issue;
    }
    const pairing = pairingProblem(body.messages, i);
    if (pairing) return pairing;
  }
  return undefined;
}

function resultText(content: unknown): string {
  if (typeof content === "string") return content;
  return blocksOf(content)
    .map((b) => (b.type === "text" ? String(b.text) : ""))
    .join("");
}

/** The text a turn puts before the model: its text, tool results and the calls it made. */
export function turnText(content: unknown): string {
  return blocksOf(content)
    .map((b) => {
      if (b.type === "text") return String(b.text ?? "");
      if (b.type === "tool_result") return resultText(b.content);
      if (b.type === "tool_use") return `${String(b.name)} ${JSON.stringify(b.input ?? {})}`;
      return "";
    })
    .join("");
}

/** Prompt tokens of the images of every turn and of the declared tools. */
export function extraPromptTokens(body: { tools?: unknown; messages: Turn[] }): number {
  let total = toolPromptTokens(body.tools);
  for (const turn of body.messages) {
    for (const block of blocksOf(turn?.content)) {
      if (block.type === "image") total += imageSourceTokens((block.source ?? {}) as { type?: unknown });
      else if (block.type === "tool_result" && Array.isArray(block.content))
        for (const inner of blocksOf(block.content))
          if (inner.type === "image") total += imageSourceTokens((inner.source ?? {}) as { type?: unknown });
    }
  }
  return total;
}

// The OpenAI-shaped view the shared tool planner reads: a user turn holding tool results is a tool turn.
function openAiShaped(body: { tools?: unknown; tool_choice?: unknown; messages: Turn[] }) {
  const tools = Array.isArray(body.tools)
    ? body.tools.map((t) => ({ type: "function", function: { name: t?.name, parameters: t?.input_schema } }))
    : undefined;
  const choice = (body.tool_choice ?? {}) as { type?: unknown; name?: unknown };
  const toolChoice =
    choice.type === "any"
      ? "required"
      : choice.type === "tool"
        ? { type: "function", function: { name: choice.name } }
        : choice.type === "none"
          ? "none"
          : "auto";
  const messages = body.messages.map((m) => ({
    role: m?.role === "user" && blocksOf(m.content).some((b) => b.type === "tool_result") ? "tool" : m?.role,
  }));
  return { messages, tools, tool_choice: toolChoice };
}

/** The tool the simulated model calls, or undefined when it answers in text. */
export function plannedToolUse(
  body: { tools?: unknown; tool_choice?: unknown; messages: Turn[] },
  context: ToolPlanContext,
): SimToolUse | undefined {
  const call = plannedToolCall(openAiShaped(body), context);
  if (!call) return undefined;
  // Anthropic hands tool input over parsed: arguments a weak model cut short arrive as an empty object.
  let input: unknown;
  try {
    input = JSON.parse(call.arguments);
  } catch {
    input = {};
  }
  const object =
    input && typeof input === "object" && !Array.isArray(input) ? (input as Record<string, unknown>) : {};
  const json = JSON.stringify(object);
  return {
    id: call.id,
    name: call.name,
    input: object,
    json,
    tokens: toolCallTokens({ ...call, arguments: json }),
  };
}
