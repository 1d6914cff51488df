import { describe, expect, it } from "vitest";
import { SluiceError } from "../errors/sluiceError.ts";
import { toParams } from "./anthropicParams.ts";
import type { ProviderChatRequest, ProviderMessage } from "./provider.ts";

const model = "claude-haiku-4-5";
const weather = {
  name: "get_weather",
  description: "Weather in a city",
  parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
  strict: true,
};
const calls = [
  { id: "call_1", name: "get_weather", arguments: '{"city":"Oslo"}' },
  { id: "call_2", name: "get_weather", arguments: '{"city":"Bergen"}' },
];
const loop: ProviderMessage[] = [
  { role: "system", content: "Be brief." },
  { role: "user", content: "Weather in Oslo and Bergen?" },
  { role: "assistant", content: "Checking both.", toolCalls: calls },
  { role: "tool", content: '{"temp":3}', toolCallId: "call_1" },
  { role: "tool", content: '{"temp":5}', toolCallId: "call_2" },
];

function params(fields: Partial<ProviderChatRequest>) {
  return toParams({ model, messages: [{ role: "user", content: "hi" }], ...fields }, 1024);
}

/** The validation error a translation throws, with the paths its issues name. */
function refusal(fields: Partial<ProviderChatRequest>) {
  try {
    params(fields);
  } catch (error) {
    if (!(error instanceof SluiceError)) throw error;
    const issues = (error.details?.issues ?? []) as { path: string }[];
    return { code: error.code, message: error.message, paths: issues.map((i) => i.path) };
  }
  throw new Error("expected a refusal");
}

const png = { kind: "base64" as const, mediaType: "image/png", data: "iVBORw0KGgo=" };

describe("Anthropic request translation", () => {
  it("sends tools with their schema as input_schema and their strict flag", () => {
    expect(params({ tools: [weather, { name: "get_time" }] }).tools).toEqual([
      {
        name: "get_weather",
        description: "Weather in a city",
        input_schema: weather.parameters,
        strict: true,
      },
      { name: "get_time", input_schema: { type: "object", properties: {} } },
    ]);
  });

  it.each([
    [{ toolChoice: "none" as const }, { type: "none" }],
    [{ toolChoice: "auto" as const }, { type: "auto" }],
    [{ toolChoice: "required" as const }, { type: "any" }],
    [{ toolChoice: { name: "get_weather" } }, { type: "tool", name: "get_weather" }],
    [{ parallelToolCalls: false }, { type: "auto", disable_parallel_tool_use: true }],
    [
      { toolChoice: "required" as const, parallelToolCalls: false },
      { type: "any", disable_parallel_tool_use: true },
    ],
    [{ parallelToolCalls: true }, undefined],
  ])("maps tool choice %j to %j", (fields, expected) => {
    expect(params({ tools: [weather], ...fields }).tool_choice).toEqual(expected);
  });

  it("sends assistant calls as tool_use blocks and merges consecutive tool results into one user turn", () => {
    const p = params({ messages: loop, tools: [weather] });
    expect(p.system).toBe("Be brief.");
    expect(p.messages).toEqual([
      { role: "user", content: "Weather in Oslo and Bergen?" },
      {
        role: "assistant",
        content: [
          { type: "text", text: "Checking both." },
          { type: "tool_use", id: "call_1", name: "get_weather", input: { city: "Oslo" } },
          { type: "tool_use", id: "call_2", name: "get_weather", input: { city: "Bergen" } },
        ],
      },
      {
        role: "user",
        content: [
          { type: "tool_result", tool_use_id: "call_1", content: '{"temp":3}' },
          { type: "tool_result", tool_use_id: "call_2", content: '{"temp":5}' },
        ],
      },
    ]);
  });

  it("puts tool results before a user's text that follows them in the same turn", () => {
    const p = params({ messages: [...loop, { role: "user", content: "And tomorrow?" }], tools: [weather] });
    expect(p.messages.at(-1)?.content).toEqual([
      { type: "tool_result", tool_use_id: "call_1", content: '{"temp":3}' },
      { type: "tool_result", tool_use_id: "call_2", content: '{"temp":5}' },
      { type: "text", text: "And tomorrow?" },
    ]);
  });

  it("leaves out the text block of an assistant turn that only calls tools", () => {
    const p = params({
      messages: [loop[1]!, { role: "assistant", content: "", toolCalls: [calls[0]!] }],
      tools: [weather],
    });
    expect(p.messages[1]?.content).toEqual([
      { type: "tool_use", id: "call_1", name: "get_weather", input: { city: "Oslo" } },
    ]);
  });

  it("declares tools of a history without tools as placeholders the model may not call", () => {
    const p = params({ messages: loop });
    expect(p.tools?.map((t) => ("name" in t ? t.name : ""))).toEqual(["get_weather"]);
    expect(p.tool_choice).toEqual({ type: "none" });
  });

  it("keeps text-only turns as strings, merging consecutive ones", () => {
    const p = params({
      messages: [
        { role: "user", content: "one" },
        { role: "user", content: "two" },
      ],
    });
    expect(p.messages).toEqual([{ role: "user", content: "one\n\ntwo" }]);
    expect(p).not.toHaveProperty("tools");
  });

  it("sends image parts as base64 or url image blocks, in order with the text", () => {
    const p = params({
      messages: [
        {
          role: "user",
          content: "Compare these",
          parts: [
            { type: "text", text: "Compare these" },
            { type: "image", source: png, detail: "high", size: { width: 1, height: 1 } },
            { type: "image", source: { kind: "url", url: "https://example.com/cat.jpg" } },
          ],
        },
      ],
    });
    expect(p.messages[0]?.content).toEqual([
      { type: "text", text: "Compare these" },
      { type: "image", source: { type: "base64", media_type: "image/png", data: png.data } },
      { type: "image", source: { type: "url", url: "https://example.com/cat.jpg" } },
    ]);
  });

  it("sends a PDF file part as a document block", () => {
    const p = params({
      messages: [
        {
          role: "user",
          content: "",
          parts: [{ type: "file", filename: "a.pdf", fileData: "data:application/pdf;base64,JVBERi0x" }],
        },
      ],
    });
    expect(p.messages[0]?.content).toEqual([
      {
        type: "document",
        title: "a.pdf",
        source: { type: "base64", media_type: "application/pdf", data: "JVBERi0x" },
      },
    ]);
  });

  it("keeps stop sequences (Anthropic takes many) and leaves out sampling fields it refuses", () => {
    const p = params({ stop: ["END", "###", "\nQ:", "done", "x"], temperature: 0.2, topP: 0.9, seed: 4 });
    expect(p.stop_sequences).toEqual(["END", "###", "\nQ:", "done", "x"]);
    for (const key of ["temperature", "top_p", "top_k", "seed"]) expect(p).not.toHaveProperty(key);
  });

  it.each([
    ["arguments that are not JSON", "{city:", "is not valid JSON"],
    ["arguments that are a JSON array", "[1,2]", "must be a JSON object"],
  ])("refuses %s with a 400 naming the arguments and the model", (_name, args, why) => {
    const r = refusal({
      messages: [
        { role: "user", content: "hi" },
        { role: "assistant", content: "", toolCalls: [calls[0]!, { ...calls[1]!, arguments: args }] },
      ],
    });
    expect(r.code).toBe("validation_error");
    expect(r.paths).toEqual(["messages.1.tool_calls.1.function.arguments"]);
    expect(r.message).toContain(why);
    expect(r.message).toContain(model);
  });

  it.each<[string, Partial<ProviderChatRequest>, string]>([
    ["n > 1", { n: 2 }, "n"],
    ["a whitespace stop sequence", { stop: ["END", "\n"] }, "stop.1"],
    [
      "audio input",
      { messages: [{ role: "user", content: "", parts: [{ type: "audio", format: "wav", data: "UklG" }] }] },
      "messages.0.content.0.input_audio",
    ],
    [
      "a file id",
      { messages: [{ role: "user", content: "", parts: [{ type: "file", fileId: "file-1" }] }] },
      "messages.0.content.0.file.file_id",
    ],
    [
      "a file that is not a PDF",
      {
        messages: [
          { role: "user", content: "", parts: [{ type: "file", fileData: "data:text/csv;base64,YSxi" }] },
        ],
      },
      "messages.0.content.0.file.file_data",
    ],
    [
      "an image type Anthropic does not read",
      {
        messages: [
          {
            role: "user",
            content: "x",
            parts: [
              { type: "text", text: "x" },
              { type: "image", source: { kind: "base64", mediaType: "image/bmp", data: "Qk0=" } },
            ],
          },
        ],
      },
      "messages.0.content.1.image_url.url",
    ],
    [
      "tool parameters that are not an object",
      { tools: [{ name: "f", parameters: { type: "array" } }] },
      "tools.0.function.parameters.type",
    ],
  ])("refuses %s naming the field", (_name, fields, path) => {
    const r = refusal(fields);
    expect([r.code, r.paths]).toEqual(["validation_error", [path]]);
    expect(r.message).toContain(model);
  });
});
