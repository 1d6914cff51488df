import { isSluiceError, SluiceError } from "../errors/sluiceError.ts";
import type { ValidationIssue } from "../schemas/validationError.ts";

/**
 * Where a chat message came from in the Responses request: its item's path, the items of its tool
 * calls, and what its content is called there (`content`, a tool result's `output`, or nothing
 * for the instructions and a string input, which are one text).
 */
export interface MessageOrigin {
  path: string;
  calls: string[];
  content: "content" | "output" | "";
}

// Chat fields whose Responses name differs, by the prefix of their path.
const renamed: [RegExp, string][] = [
  [/^tools\.(\d+)\.function(?=\.|$)/, "tools.$1"],
  [/^tool_choice\.function(?=\.|$)/, "tool_choice"],
  [/^response_format\.json_schema(?=\.|$)/, "text.format"],
  [/^response_format(?=\.|$)/, "text.format"],
  [/^max_completion_tokens$/, "max_output_tokens"],
  [/^reasoning_effort$/, "reasoning.effort"],
];

/** A chat request's field path as the Responses request names it (`messages.2.content.1` → `input.1.content.1`). */
export function responsesPathOf(chatPath: string, origins: MessageOrigin[]): string {
  const message = /^messages\.(\d+)(?:\.(.*))?$/.exec(chatPath);
  if (!message) {
    const rule = renamed.find(([pattern]) => pattern.test(chatPath));
    return rule ? chatPath.replace(rule[0], rule[1]) : chatPath;
  }
  const origin = origins[Number(message[1])];
  const rest = message[2];
  if (!origin) return chatPath;
  const call = rest === undefined ? undefined : /^tool_calls\.(\d+)/.exec(rest);
  if (call) return origin.calls[Number(call[1])] ?? origin.path;
  if (rest === undefined || origin.content === "") return origin.path;
  const field = rest.replace(/^content(?=\.|$)/, origin.content).replace(/^tool_call_id$/, "call_id");
  return `${origin.path}.${field}`;
}

/**
 * Runs `call`; a `validation_error` it throws about the chat request is thrown again naming each
 * issue by its path in the Responses request, so the caller sees the fields it sent.
 */
export function inResponsesTerms<T>(origins: MessageOrigin[], call: () => T): T {
  try {
    return call();
  } catch (error) {
    throw renamedError(error, origins);
  }
}

/** {@link inResponsesTerms} for a call that answers later. */
export async function inResponsesTermsAsync<T>(origins: MessageOrigin[], call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw renamedError(error, origins);
  }
}

/** A `validation_error` about the chat request, naming each issue by its Responses path; anything else as is. */
export function renamedError(error: unknown, origins: MessageOrigin[]): unknown {
  if (!isSluiceError(error) || error.code !== "validation_error") return error;
  const issues = error.details?.issues;
  if (!Array.isArray(issues) || issues.length === 0) return error;
  const renamedIssues = (issues as ValidationIssue[]).map((issue) => ({
    ...issue,
    path: responsesPathOf(issue.path, origins),
  }));
  const [first] = renamedIssues;
  const more = renamedIssues.length > 1 ? `, and ${renamedIssues.length - 1} more (see details.issues)` : "";
  return new SluiceError(
    "validation_error",
    `Invalid responses request: ${first?.path}: ${first?.message}${more}.`,
    { details: { ...error.details, issues: renamedIssues }, cause: error },
  );
}
