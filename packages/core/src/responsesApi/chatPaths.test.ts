import { describe, expect, it } from "vitest";
import { SluiceError } from "../errors/sluiceError.ts";
import { inResponsesTerms, responsesPathOf } from "./chatPaths.ts";
import { parseResponsesRequest } from "./responsesRequest.ts";
import { translateRequest } from "./toChatRequest.ts";

const { origins } = translateRequest(
  parseResponsesRequest({
    model: "gpt-4o-mini",
    instructions: "Be brief.",
    input: [
      { role: "user", content: [{ type: "input_text", text: "Weather?" }] },
      { type: "function_call", call_id: "c1", name: "f", arguments: "{}" },
      { type: "function_call", call_id: "c2", name: "f", arguments: "{}" },
      { type: "function_call_output", call_id: "c1", output: "1" },
    ],
  }),
);

describe("responsesPathOf", () => {
  it.each([
    ["messages.0.content", "instructions"],
    ["messages.1.content.0", "input.0.content.0"],
    ["messages.2.tool_calls.1.function.arguments", "input.2"],
    ["messages.3.content", "input.3.output"],
    ["messages.3.tool_call_id", "input.3.call_id"],
    ["tools.2.function.parameters", "tools.2.parameters"],
    ["tool_choice.function.name", "tool_choice.name"],
    ["response_format.json_schema.schema", "text.format.schema"],
    ["max_completion_tokens", "max_output_tokens"],
    ["temperature", "temperature"],
  ])("names %s as %s", (chat, responses) => {
    expect(responsesPathOf(chat, origins)).toBe(responses);
  });
});

describe("inResponsesTerms", () => {
  it("throws a chat validation error again with Responses paths, keeping its other details", () => {
    const chatError = new SluiceError("validation_error", "messages.1.content.0: no images here.", {
      details: { model: "sim-text", issues: [{ path: "messages.1.content.0", message: "no images here" }] },
    });
    const thrown = (() => {
      try {
        inResponsesTerms(origins, () => {
          throw chatError;
        });
      } catch (error) {
        return error as SluiceError;
      }
    })();
    expect(thrown?.message).toBe("Invalid responses request: input.0.content.0: no images here.");
    expect(thrown?.details).toEqual({
      model: "sim-text",
      issues: [{ path: "input.0.content.0", message: "no images here" }],
    });
  });

  it("leaves every other error as it is", () => {
    const timeout = new SluiceError("timeout", "too slow");
    expect(() =>
      inResponsesTerms(origins, () => {
        throw timeout;
      }),
    ).toThrow(timeout);
  });
});
