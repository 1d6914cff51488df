import { testPngDataUrl } from "@sluice/core/testing";
import { useTestDatabase } from "@sluice/db/testing";
import type OpenAI from "openai";
import { describe, expect, it } from "vitest";
import { useOpenAiApi } from "./support/openaiClient.ts";
import { chatWeatherTool, weatherParameters } from "./support/weatherTool.ts";

const t = useTestDatabase();
const ctx = useOpenAiApi(t);

const claude = "claude-haiku-4-5";
const weather = chatWeatherTool;
const clock: OpenAI.ChatCompletionTool = { type: "function", function: { name: "get_time" } };

type Sluice = { sluice: { model_used: string; cost_micros: number } };
type ToolPiece = OpenAI.ChatCompletionChunk.Choice.Delta.ToolCall;

/** Reads a whole stream: its text, its tool-call pieces in order and its finish reason. */
async function readStream(stream: AsyncIterable<OpenAI.ChatCompletionChunk>) {
  const read = { text: "", pieces: [] as ToolPiece[], finish: null as string | null };
  for await (const chunk of stream) {
    const choice = chunk.choices[0];
    read.text += choice?.delta.content ?? "";
    read.pieces.push(...(choice?.delta.tool_calls ?? []));
    read.finish = choice?.finish_reason ?? read.finish;
  }
  return read;
}

/** The status, code and issue paths of a raw request, to read Sluice's validation errors. */
async function post(body: unknown) {
  const response = await fetch(`${ctx.api.url}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${ctx.api.a.key}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const json = (await response.json()) as {
    error?: { code: string; message: string; details?: { issues?: { path: string }[] } };
  };
  return {
    status: response.status,
    code: json.error?.code,
    message: json.error?.message ?? "",
    paths: (json.error?.details?.issues ?? []).map((i) => i.path),
  };
}

describe("OpenAI-shaped tool calling on an Anthropic model", () => {
  it("runs a whole loop: Claude calls a tool, gets its result as role tool, and answers in text", async () => {
    const messages: OpenAI.ChatCompletionMessageParam[] = [
      { role: "system", content: "Answer briefly." },
      { role: "user", content: "Weather in Oslo?" },
    ];
    const first = await ctx.client.chat.completions.create({
      model: claude,
      messages,
      tools: [weather, clock],
    });
    const asked = first.choices[0];
    expect(asked?.finish_reason).toBe("tool_calls");
    expect(asked?.message.content).toBeNull();
    const call = asked?.message.tool_calls?.[0];
    if (!asked || call?.type !== "function") throw new Error("expected a function call");
    expect(call.id).toMatch(/^toolu_/);
    expect(call.function.name).toBe("get_weather");
    expect(Object.keys(JSON.parse(call.function.arguments)).sort()).toEqual(["city", "unit"]);
    expect((first as unknown as Sluice).sluice.model_used).toBe(claude);
    expect(first.usage?.completion_tokens).toBeGreaterThan(0);

    messages.push(asked.message, { role: "tool", tool_call_id: call.id, content: '{"temp_c": 3}' });
    const answer = await ctx.client.chat.completions.create({
      model: claude,
      messages,
      tools: [weather, clock],
    });
    expect(answer.choices[0]?.finish_reason).toBe("stop");
    expect(answer.choices[0]?.message.content?.length).toBeGreaterThan(0);
    expect(answer.choices[0]?.message.tool_calls).toBeUndefined();
  });

  it("answers after two tool results, which Anthropic needs in one user turn", async () => {
    const calls = [
      {
        id: "call_oslo",
        type: "function" as const,
        function: { name: "get_weather", arguments: '{"city":"Oslo","unit":"c"}' },
      },
      {
        id: "call_bergen",
        type: "function" as const,
        function: { name: "get_weather", arguments: '{"city":"Bergen","unit":"c"}' },
      },
    ];
    const r = await ctx.client.chat.completions.create({
      model: claude,
      tools: [weather],
      parallel_tool_calls: true,
      messages: [
        { role: "user", content: "Weather in Oslo and Bergen?" },
        { role: "assistant", content: "Checking both.", tool_calls: calls },
        { role: "tool", tool_call_id: "call_oslo", content: '{"temp_c": 3}' },
        { role: "tool", tool_call_id: "call_bergen", content: '{"temp_c": 5}' },
      ],
    });
    expect(r.choices[0]?.finish_reason).toBe("stop");
    expect(r.choices[0]?.message.content?.length).toBeGreaterThan(0);
  });

  it("calls the tool tool_choice names, and none when tool_choice is none", async () => {
    const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: "user", content: "Time in Oslo?" }];
    const named = await ctx.client.chat.completions.create({
      model: claude,
      messages,
      tools: [weather, clock],
      tool_choice: { type: "function", function: { name: "get_time" } },
      parallel_tool_calls: false,
    });
    const call = named.choices[0]?.message.tool_calls?.[0];
    expect(call?.type === "function" && [call.function.name, call.function.arguments]).toEqual([
      "get_time",
      "{}",
    ]);
    const none = await ctx.client.chat.completions.create({
      model: claude,
      messages,
      tools: [weather, clock],
      tool_choice: "none",
    });
    expect([none.choices[0]?.finish_reason, none.choices[0]?.message.tool_calls]).toEqual([
      "stop",
      undefined,
    ]);
  });

  it("streams the loop: the call in OpenAI's chunk shape, then the final text", async () => {
    const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: "user", content: "Weather in Tromsø?" }];
    const asked = await readStream(
      await ctx.client.chat.completions.create({ model: claude, messages, tools: [weather], stream: true }),
    );
    expect([asked.finish, asked.text]).toEqual(["tool_calls", ""]);
    const [opening, ...rest] = asked.pieces;
    expect(opening).toMatchObject({
      index: 0,
      type: "function",
      function: { name: "get_weather", arguments: "" },
    });
    expect(opening?.id).toMatch(/^toolu_/);
    expect(rest.length).toBeGreaterThan(1);
    const args = rest.map((p) => p.function?.arguments ?? "").join("");
    expect(Object.keys(JSON.parse(args)).sort()).toEqual(["city", "unit"]);

    const id = opening?.id ?? "";
    messages.push(
      {
        role: "assistant",
        content: null,
        tool_calls: [{ id, type: "function", function: { name: "get_weather", arguments: args } }],
      },
      { role: "tool", tool_call_id: id, content: '{"temp_c": -4}' },
    );
    const answer = await readStream(
      await ctx.client.chat.completions.create({ model: claude, messages, tools: [weather], stream: true }),
    );
    expect(answer.finish).toBe("stop");
    expect(answer.text.length).toBeGreaterThan(0);
    expect(answer.pieces).toEqual([]);
  });

  it("runs a JS function tool to completion with the SDK's streaming runTools", async () => {
    const seen: { city: string; unit: string }[] = [];
    const runner = ctx.client.chat.completions.runTools({
      model: claude,
      stream: true,
      messages: [{ role: "user", content: "How cold is it in Kiruna?" }],
      tools: [
        {
          type: "function",
          function: {
            name: "get_weather",
            description: "Current weather in a city",
            parameters: weatherParameters,
            parse: (input: string) => JSON.parse(input) as { city: string; unit: string },
            function: (args: { city: string; unit: string }) => {
              seen.push(args);
              return { temp: -20 };
            },
          },
        },
      ],
    });
    expect((await runner.finalContent())?.length).toBeGreaterThan(0);
    expect(seen).toHaveLength(1);
    expect(runner.messages.map((m) => m.role)).toEqual(["user", "assistant", "tool", "assistant"]);
  });
});

describe("what Anthropic cannot express", () => {
  const hi = [{ role: "user", content: "hi" }];

  it("takes temperature and top_p, which Anthropic's API refuses, by leaving them out", async () => {
    const r = await ctx.client.chat.completions.create({
      model: claude,
      messages: [{ role: "user", content: "hi" }],
      temperature: 0.2,
      top_p: 0.9,
      seed: 7,
    });
    expect(r.choices[0]?.message.content?.length).toBeGreaterThan(0);
  });

  it.each([
    [
      "tool-call arguments that are not a JSON object",
      {
        messages: [
          { role: "user", content: "hi" },
          {
            role: "assistant",
            tool_calls: [{ id: "c1", type: "function", function: { name: "get_time", arguments: "[1]" } }],
          },
          { role: "tool", tool_call_id: "c1", content: "9" },
        ],
        tools: [clock],
      },
      "messages.1.tool_calls.0.function.arguments",
    ],
    ["a stop sequence that is only whitespace", { messages: hi, stop: ["END", "\n"] }, "stop.1"],
    [
      "tool parameters whose type is not object",
      { messages: hi, tools: [{ type: "function", function: { name: "f", parameters: { type: "array" } } }] },
      "tools.0.function.parameters.type",
    ],
  ])("answers 400 naming the field and the model for %s", async (_name, fields, path) => {
    const r = await post({ model: claude, ...fields });
    expect([r.status, r.code, r.paths]).toEqual([400, "validation_error", [path]]);
    expect(r.message).toContain(claude);
  });
});

describe("images to an Anthropic model", () => {
  const question = { type: "text" as const, text: "What is in this picture?" };
  const promptTokens = async (image?: OpenAI.ChatCompletionContentPartImage) =>
    (
      await ctx.client.chat.completions.create({
        model: claude,
        max_tokens: 20,
        messages: [{ role: "user", content: image ? [question, image] : [question] }],
      })
    ).usage?.prompt_tokens ?? 0;

  it("sends a data-URL image as a base64 image block, counted by Anthropic's width × height / 750", async () => {
    const base = await promptTokens();
    const image = await promptTokens({ type: "image_url", image_url: { url: testPngDataUrl(300, 150) } });
    expect(image - base).toBe((300 * 150) / 750);
  });

  it("sends an https image as a url image block, counted at the most an image costs", async () => {
    const base = await promptTokens();
    const image = await promptTokens({
      type: "image_url",
      image_url: { url: "https://example.com/cat.png", detail: "low" },
    });
    expect(image - base).toBe(1600);
  });

  it("refuses audio, which Anthropic models do not take, naming the part", async () => {
    const r = await post({
      model: claude,
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "Transcribe" },
            { type: "input_audio", input_audio: { data: "UklGRiQAAABXQVZF", format: "wav" } },
          ],
        },
      ],
    });
    expect([r.status, r.code]).toEqual([400, "validation_error"]);
    expect(r.paths).toEqual(["messages.0.content.1"]);
  });
});
