import type { ProviderChatRequest } from "../providers/provider.ts";
import { type JsonSchemaCheck, jsonSchemaCheck } from "./jsonSchemaCheck.ts";
import type { Validator, Verdict } from "./validators.ts";

/** Why a draft that should have called a tool (`tool_choice` required or named) is rejected. */
export const MISSING_TOOL_CALL_REASON = "missing tool call";

// A draft that breaks what the request itself demands is unusable below the last tier; the last
// tier's is returned as is, as a plain call to that model would be.
const broken = (reason: string): Verdict => ({ accept: false, hard: true, keepAtLastTier: true, reason });

function toolChecks(request: ProviderChatRequest): Map<string, JsonSchemaCheck | undefined> {
  const checks = new Map<string, JsonSchemaCheck | undefined>();
  for (const [index, tool] of (request.tools ?? []).entries()) {
    const field = `tools.${index}.function.parameters`;
    checks.set(tool.name, tool.parameters ? jsonSchemaCheck(tool.parameters, field) : undefined);
  }
  return checks;
}

/**
 * When the request declares tools: every call a draft makes names a declared tool (the one
 * `tool_choice` names, if it names one), its arguments are JSON, and they match that tool's
 * `parameters`; `tool_choice` "required" or a named tool demands a call. Schemas compile here,
 * before any tier runs, so an unusable one is a 400 with nothing spent.
 */
export function toolCallValidator(request: ProviderChatRequest): Validator | undefined {
  if (!request.tools || request.tools.length === 0) return undefined;
  const checks = toolChecks(request);
  const choice = request.toolChoice ?? "auto";
  return (draft) => {
    const calls = draft.toolCalls ?? [];
    if (calls.length === 0) {
      const demanded = choice === "required" || typeof choice === "object";
      return demanded ? broken(MISSING_TOOL_CALL_REASON) : { accept: true, reason: "no tool call" };
    }
    for (const [index, call] of calls.entries()) {
      const label = `tool call ${index} (${call.name})`;
      if (choice === "none") return broken(`${label}: made although tool_choice is "none"`);
      if (typeof choice === "object" && call.name !== choice.name)
        return broken(`${label}: tool_choice names "${choice.name}"`);
      if (!checks.has(call.name)) return broken(`${label}: not a declared tool`);
      let args: unknown;
      try {
        args = JSON.parse(call.arguments);
      } catch {
        return broken(`${label}: arguments are not valid JSON`);
      }
      const problem = checks.get(call.name)?.(args);
      if (problem !== undefined) return broken(`${label}: arguments.${problem}`);
    }
    return { accept: true, reason: `${calls.length} valid tool call${calls.length === 1 ? "" : "s"}` };
  };
}

/**
 * When the request asks for `response_format: json_schema`: a text answer must be JSON valid
 * against that schema (a draft that calls tools instead is left to the tool-call check). On
 * success the draft's `parsed` is set, so a self-reported `confidence` in it counts.
 */
export function responseSchemaValidator(request: ProviderChatRequest): Validator | undefined {
  const format = request.responseFormat;
  if (format?.type !== "json_schema") return undefined;
  const check = jsonSchemaCheck(format.schema, "response_format.json_schema.schema");
  return (draft) => {
    if (draft.toolCalls && draft.toolCalls.length > 0) return { accept: true, reason: "tool calls" };
    let json: unknown;
    try {
      json = JSON.parse(draft.content);
    } catch {
      return broken("schema: not valid JSON");
    }
    const problem = check(json);
    if (problem !== undefined) return broken(`schema: ${problem}`);
    draft.parsed ??= json;
    return { accept: true, reason: "schema valid" };
  };
}
