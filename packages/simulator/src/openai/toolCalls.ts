import { valueForSchema } from "../jsonSchemaValue.ts";
import { hashString, pick, seededRandom } from "../random.ts";
import { countTokens, splitTokens } from "../tokens.ts";

/** One function call the simulated model makes. */
export interface SimToolCall {
  id: string;
  name: string;
  arguments: string;
}

interface ToolsBody {
  messages: unknown[];
  tools?: unknown;
  tool_choice?: unknown;
}

interface FunctionTool {
  name: string;
  parameters?: unknown;
}

function functionsOf(tools: unknown): FunctionTool[] {
  if (!Array.isArray(tools)) return [];
  return tools.flatMap((tool) => {
    const fn = (tool as { function?: { name?: unknown; parameters?: unknown } } | null)?.function;
    return typeof fn?.name === "string" ? [{ name: fn.name, parameters: fn.parameters }] : [];
  });
}

// A forced choice always calls; "auto" calls on a fresh user turn and answers in text once a tool
// result is back, which is what a tool-calling loop needs to terminate.
function chosenTool(body: ToolsBody, tools: FunctionTool[]): FunctionTool | undefined {
  const choice = body.tool_choice ?? "auto";
  if (choice === "none" || tools.length === 0) return undefined;
  if (typeof choice === "object" && choice !== null) {
    const name = (choice as { function?: { name?: unknown } }).function?.name;
    return tools.find((t) => t.name === name);
  }
  if (choice === "required") return tools[0];
  const last = body.messages.at(-1) as { role?: unknown } | undefined;
  return last?.role === "user" ? tools[0] : undefined;
}

// Models at or above this quality never break a call; at or below the weakest level they break it
// at the full configured rate; in between, linearly.
const RELIABLE_QUALITY = 0.9;
const WEAKEST_QUALITY = 0.6;

/** The chance that a model of this quality breaks a tool call, given the rate for the weakest models. */
export function invalidToolCallChance(quality: number, rate: number): number {
  const weakness = (RELIABLE_QUALITY - quality) / (RELIABLE_QUALITY - WEAKEST_QUALITY);
  return Math.max(0, Math.min(1, rate)) * Math.max(0, Math.min(1, weakness));
}

type Breakage = "wrong_type" | "missing_required" | "malformed_json";

// Breaks valid arguments the way weak models do: a value of the wrong type, a required field left
// out, or JSON cut short. Only the breakages the tool's schema makes possible are drawn.
function brokenArguments(args: unknown, parameters: unknown, random: () => number): string {
  const schema = (parameters ?? {}) as {
    properties?: Record<string, { type?: unknown }>;
    required?: unknown;
  };
  const object = args && typeof args === "object" && !Array.isArray(args) ? { ...args } : {};
  const typed = Object.entries(schema.properties ?? {}).find(([, sub]) => typeof sub?.type === "string");
  const required = Array.isArray(schema.required) ? schema.required.filter((r) => typeof r === "string") : [];
  const kinds: Breakage[] = [
    ...(typed ? (["wrong_type"] as const) : []),
    ...(required.length > 0 ? (["missing_required"] as const) : []),
    "malformed_json",
  ];
  const kind = pick(kinds, random);
  if (kind === "wrong_type" && typed) {
    const [key, sub] = typed;
    return JSON.stringify({ ...object, [key]: sub.type === "string" ? 42 : "not a valid value" });
  }
  if (kind === "missing_required") {
    const { [required[0] as string]: _dropped, ...rest } = object as Record<string, unknown>;
    return JSON.stringify(rest);
  }
  return JSON.stringify(object).slice(0, -1);
}

/** What a planned call depends on: the model and its quality, the prompt, the seed, and an id source. */
export interface ToolPlanContext {
  model: string;
  quality: number;
  invalidRate: number;
  prompt: string;
  seed: number;
  nextId: () => string;
}

/**
 * The call the simulated model answers with, or undefined when it answers with text. With an
 * `invalidRate`, weaker models sometimes write arguments that break the tool's schema (see
 * {@link invalidToolCallChance}); like everything else, the same request and seed give the same call.
 */
export function plannedToolCall(body: ToolsBody, context: ToolPlanContext): SimToolCall | undefined {
  const tool = chosenTool(body, functionsOf(body.tools));
  if (!tool) return undefined;
  const random = seededRandom(
    hashString(`${context.model}|tool|${tool.name}|${context.prompt}`, context.seed),
  );
  const args = valueForSchema(tool.parameters ?? { type: "object" }, random) ?? {};
  // A separate stream, so turning breakage on leaves the valid calls' arguments as they were.
  const breaks = seededRandom(
    hashString(`${context.model}|broken-tool|${tool.name}|${context.prompt}`, context.seed),
  );
  const broken = breaks() < invalidToolCallChance(context.quality, context.invalidRate);
  const text = broken ? brokenArguments(args, tool.parameters, breaks) : JSON.stringify(args);
  return { id: context.nextId(), name: tool.name, arguments: text };
}

/** Prompt tokens the declared tools add (their JSON, as providers inject it). */
export function toolPromptTokens(tools: unknown): number {
  return Array.isArray(tools) && tools.length > 0 ? countTokens(JSON.stringify(tools)) : 0;
}

/** Completion tokens of a tool call: its name and arguments. */
export function toolCallTokens(call: SimToolCall): number {
  return countTokens(call.name) + countTokens(call.arguments);
}

/** The assistant `message` of a choice that only calls a tool, in OpenAI's shape. */
export function toolCallMessage(call: SimToolCall) {
  return {
    role: "assistant",
    content: null,
    refusal: null,
    tool_calls: [{ id: call.id, type: "function", function: { name: call.name, arguments: call.arguments } }],
  };
}

/**
 * The streamed `delta.tool_calls` pieces of a call, as OpenAI sends them: first the call's index,
 * id, type and name with empty arguments, then the arguments a token or so at a time.
 */
export function toolCallDeltas(call: SimToolCall) {
  const pieces = splitTokens(call.arguments);
  // The token pattern skips trailing whitespace; never stream arguments that differ from the call's.
  const fragments = pieces.join("") === call.arguments ? pieces : [call.arguments];
  return [
    { index: 0, id: call.id, type: "function", function: { name: call.name, arguments: "" } },
    ...fragments.map((piece) => ({ index: 0, function: { arguments: piece } })),
  ];
}
