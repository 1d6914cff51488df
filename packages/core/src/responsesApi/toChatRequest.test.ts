import { describe, expect, it } from "vitest";
import { SluiceError } from "../errors/sluiceError.ts";
import type { ValidationIssue } from "../schemas/validationError.ts";
import { testPngDataUrl } from "../testing/testImages.ts";
import { parseResponsesRequest } from "./responsesRequest.ts";
import { toChatRequest } from "./toChatRequest.ts";

const translate = (body: Record<string, unknown>) =>
  toChatRequest(parseResponsesRequest({ model: "gpt-4o-mini", ...body }));

function paths(body: Record<string, unknown>): string[] {
  try {
    translate(body);
  } catch (error) {
    if (!(error instanceof SluiceError)) throw error;
    return ((error.details?.issues ?? []) as ValidationIssue[]).map((issue) => issue.path);
  }
  throw new Error("expected the request to be rejected");
}

describe("toChatRequest", () => {
  it("puts instructions first as a system message and a string input as the user's", () => {
    const chat = translate({ instructions: "Be brief.", input: "Hi", max_output_tokens: 50, temperature: 0 });
    expect(chat.messages).toEqual([
      { role: "system", content: "Be brief." },
      { role: "user", content: "Hi" },
    ]);
    expect([chat.max_completion_tokens, chat.temperature]).toEqual([50, 0]);
  });

  it("joins an assistant message and the function calls after it into one turn with tool_calls", () => {
    const chat = translate({
      input: [
        { role: "user", content: [{ type: "input_text", text: "Weather in Oslo and Rome?" }] },
        {
          type: "message",
          role: "assistant",
          content: [{ type: "output_text", text: "Checking.", annotations: [] }],
        },
        { type: "function_call", call_id: "c1", name: "get_weather", arguments: '{"city":"Oslo"}' },
        { type: "function_call", call_id: "c2", name: "get_weather", arguments: '{"city":"Rome"}' },
        { type: "function_call_output", call_id: "c1", output: "3" },
        { type: "function_call_output", call_id: "c2", output: [{ type: "input_text", text: "18" }] },
      ],
      tools: [{ type: "function", name: "get_weather", parameters: null, strict: null }],
      tool_choice: { type: "function", name: "get_weather" },
    });
    expect(chat.messages).toEqual([
      { role: "user", content: [{ type: "text", text: "Weather in Oslo and Rome?" }] },
      {
        role: "assistant",
        content: [{ type: "text", text: "Checking." }],
        tool_calls: [
          { id: "c1", type: "function", function: { name: "get_weather", arguments: '{"city":"Oslo"}' } },
          { id: "c2", type: "function", function: { name: "get_weather", arguments: '{"city":"Rome"}' } },
        ],
      },
      { role: "tool", tool_call_id: "c1", content: "3" },
      { role: "tool", tool_call_id: "c2", content: "18" },
    ]);
    expect(chat.tools).toEqual([{ type: "function", function: { name: "get_weather" } }]);
    expect(chat.tool_choice).toEqual({ type: "function", function: { name: "get_weather" } });
  });

  it("maps text.format to response_format and reasoning.effort to reasoning_effort", () => {
    const schema = { type: "object", properties: { a: { type: "string" } } };
    const chat = translate({
      input: "Hi",
      text: { format: { type: "json_schema", name: "answer", schema, strict: true } },
      reasoning: { effort: "low" },
    });
    expect(chat.response_format).toEqual({
      type: "json_schema",
      json_schema: { name: "answer", schema, strict: true },
    });
    expect(chat.reasoning_effort).toBe("low");
  });

  it("turns input_image and input_file parts into chat image and file parts", () => {
    const image = testPngDataUrl(4, 4);
    const pdf = `data:application/pdf;base64,${Buffer.from("%PDF-1.4").toString("base64")}`;
    const chat = translate({
      input: [
        {
          role: "user",
          content: [
            { type: "input_text", text: "Compare these." },
            { type: "input_image", image_url: image, detail: "low" },
            { type: "input_file", file_data: pdf, filename: "a.pdf" },
          ],
        },
      ],
    });
    expect(chat.messages[0]?.content).toEqual([
      { type: "text", text: "Compare these." },
      { type: "image_url", image_url: { url: image, detail: "low" } },
      { type: "file", file: { file_data: pdf, filename: "a.pdf" } },
    ]);
  });

  it("counts an image as content: a message of an image and blank text is not blank", () => {
    const chat = translate({
      input: [
        {
          role: "user",
          content: [
            { type: "input_text", text: " " },
            { type: "input_image", image_url: testPngDataUrl(4, 4) },
          ],
        },
      ],
    });
    expect(chat.messages).toHaveLength(1);
  });

  it("treats null top-level fields as absent, as OpenAI does", () => {
    const chat = translate({ input: "Hi", previous_response_id: null, store: null, temperature: null });
    expect(chat.temperature).toBeUndefined();
  });

  it("names Responses paths for what it refuses", () => {
    expect(paths({ input: "   " })).toEqual(["input"]);
    expect(
      paths({
        input: [
          { role: "user", content: "hi" },
          { type: "function_call_output", call_id: "x", output: "1" },
        ],
      }),
    ).toEqual(["input.1.call_id"]);
    expect(paths({ input: [{ role: "tool", content: "hi" }] })).toEqual(["input.0.role"]);
    expect(paths({ input: "hi", tools: [{ type: "file_search", vector_store_ids: [] }] })).toContain(
      "tools.0.type",
    );
    expect(
      paths({
        input: "hi",
        tools: [
          { type: "function", name: "f" },
          { type: "function", name: "f" },
        ],
      }),
    ).toEqual(["tools.1.name"]);
    expect(paths({ input: "hi", store: true, previous_response_id: "resp_1" })).toEqual([
      "store",
      "previous_response_id",
    ]);
  });
});
