import { useTestDatabase } from "@sluice/db/testing";
import type OpenAI from "openai";
import { zodResponseFormat } from "openai/helpers/zod";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { useOpenAiApi } from "./support/openaiClient.ts";
import { weatherParameters as sharedWeatherParameters } from "./support/weatherTool.ts";

const t = useTestDatabase();
const ctx = useOpenAiApi(t);

const weatherParameters = { ...sharedWeatherParameters, additionalProperties: false };
const weather: OpenAI.ChatCompletionTool = {
  type: "function",
  function: { name: "get_weather", description: "Current weather in a city", parameters: weatherParameters },
};

/** A real tool: records each call it serves and answers from a table. */
function weatherTool() {
  const calls: { city: string; unit: string }[] = [];
  const run = (args: { city: string; unit: string }) => {
    calls.push(args);
    return { city: args.city, temperature: args.unit === "c" ? 3 : 37 };
  };
  return { calls, run };
}

type ToolPiece = OpenAI.ChatCompletionChunk.Choice.Delta.ToolCall;

/** Reads a whole stream: its text, its tool-call pieces in order, its finish reason and usage. */
async function readStream(stream: AsyncIterable<OpenAI.ChatCompletionChunk>) {
  const read = {
    text: "",
    pieces: [] as ToolPiece[],
    finish: null as string | null,
    usage: null as OpenAI.CompletionUsage | null,
    chunks: [] as OpenAI.ChatCompletionChunk[],
  };
  for await (const chunk of stream) {
    read.chunks.push(chunk);
    const choice = chunk.choices[0];
    read.text += choice?.delta.content ?? "";
    read.pieces.push(...(choice?.delta.tool_calls ?? []));
    read.finish = choice?.finish_reason ?? read.finish;
    read.usage = chunk.usage ?? read.usage;
  }
  return read;
}

describe("streamed tool calls on /v1/chat/completions", () => {
  it("runs a streaming loop: stream a call, answer it with a tool message, stream the text", async () => {
    const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: "user", content: "Weather in Oslo?" }];
    const asked = await readStream(
      await ctx.client.chat.completions.create({
        model: "gpt-4o-mini",
        messages,
        tools: [weather],
        stream: true,
        stream_options: { include_usage: true },
      }),
    );
    expect(asked.finish).toBe("tool_calls");
    expect(asked.text).toBe("");
    // A call opens the answer: its first chunk carries the role with content null, as OpenAI's does.
    expect(asked.chunks[0]?.choices[0]?.delta).toMatchObject({ role: "assistant", content: null });
    const [opening, ...rest] = asked.pieces;
    // OpenAI's shape: the first piece names the call, later pieces carry only argument text.
    expect(opening).toMatchObject({
      index: 0,
      type: "function",
      function: { name: "get_weather", arguments: "" },
    });
    expect(opening?.id).toMatch(/^call/);
    expect(rest.length).toBeGreaterThan(1);
    for (const piece of rest)
      expect(piece).toEqual({ index: 0, function: { arguments: piece.function?.arguments } });
    const args = rest.map((p) => p.function?.arguments ?? "").join("");
    expect(Object.keys(JSON.parse(args)).sort()).toEqual(["city", "unit"]);
    expect(asked.usage?.completion_tokens).toBeGreaterThan(0);

    const id = opening?.id ?? "";
    messages.push(
      {
        role: "assistant",
        // What clients rebuild from upstreams whose opening chunk has content "": OpenAI takes it.
        content: "",
        tool_calls: [{ id, type: "function", function: { name: "get_weather", arguments: args } }],
      },
      { role: "tool", tool_call_id: id, content: '{"temp_c": 3}' },
    );
    const answer = await readStream(
      await ctx.client.chat.completions.create({
        model: "gpt-4o-mini",
        messages,
        tools: [weather],
        stream: true,
      }),
    );
    expect(answer.finish).toBe("stop");
    expect(answer.text.length).toBeGreaterThan(0);
    expect(answer.pieces).toEqual([]);
  });

  it("streams the same call a non-streamed request makes", async () => {
    const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: "user", content: "Weather in Bergen?" }];
    const whole = await ctx.client.chat.completions.create({
      model: "gpt-4o-mini",
      messages,
      tools: [weather],
    });
    const final = await ctx.client.chat.completions
      .stream({ model: "gpt-4o-mini", messages, tools: [weather] })
      .finalChatCompletion();
    const [streamed, plain] = [
      final.choices[0]?.message.tool_calls?.[0],
      whole.choices[0]?.message.tool_calls?.[0],
    ];
    expect(streamed?.type === "function" && streamed.function).toEqual(
      plain?.type === "function" && plain.function,
    );
    expect(final.choices[0]?.finish_reason).toBe("tool_calls");
  });

  it("streams each of n > 1 choices' call under its own choice index", async () => {
    const final = await ctx.client.chat.completions
      .stream({
        model: "gpt-4o-mini",
        messages: [{ role: "user", content: "Weather in Oslo?" }],
        tools: [weather],
        n: 2,
      })
      .finalChatCompletion();
    expect(final.choices.map((c) => [c.index, c.finish_reason])).toEqual([
      [0, "tool_calls"],
      [1, "tool_calls"],
    ]);
    for (const choice of final.choices) {
      const call = choice.message.tool_calls?.[0];
      expect(choice.message.content).toBeNull();
      expect(call?.type === "function" && call.function.name).toBe("get_weather");
      expect(
        Object.keys(JSON.parse(call?.type === "function" ? call.function.arguments : "{}")).sort(),
      ).toEqual(["city", "unit"]);
    }
  });

  it("runs a JS function tool to completion with runTools, non-streaming", async () => {
    const tool = weatherTool();
    const runner = ctx.client.chat.completions.runTools({
      model: "gpt-4o-mini",
      messages: [{ role: "user", content: "How cold is it in Tromsø?" }],
      tools: [
        {
          type: "function",
          function: {
            name: "get_weather",
            description: "Current weather in a city",
            parameters: weatherParameters,
            parse: (input: string) => JSON.parse(input) as { city: string; unit: string },
            function: tool.run,
          },
        },
      ],
    });
    const content = await runner.finalContent();
    expect(content?.length).toBeGreaterThan(0);
    expect(tool.calls).toHaveLength(1);
    expect(["c", "f"]).toContain(tool.calls[0]?.unit);
    const roles = runner.messages.map((m) => m.role);
    expect(roles).toEqual(["user", "assistant", "tool", "assistant"]);
    const result = runner.messages.find((m) => m.role === "tool");
    expect(JSON.parse(String(result?.content))).toEqual(tool.run(tool.calls[0]!));
  });

  it("runs a JS function tool to completion with runTools, streaming", async () => {
    const tool = weatherTool();
    const runner = ctx.client.chat.completions.runTools({
      model: "gpt-4o-mini",
      stream: true,
      messages: [{ role: "user", content: "How warm is it in Lisbon?" }],
      tools: [
        {
          type: "function",
          function: {
            name: "get_weather",
            description: "Current weather in a city",
            parameters: weatherParameters,
            parse: (input: string) => JSON.parse(input) as { city: string; unit: string },
            function: tool.run,
          },
        },
      ],
    });
    let streamedText = "";
    runner.on("content", (delta) => {
      streamedText += delta;
    });
    const content = await runner.finalContent();
    expect(content?.length).toBeGreaterThan(0);
    expect(streamedText).toBe(content);
    expect(tool.calls).toHaveLength(1);
    const calls = (await runner.allChatCompletions()).map((c) => c.choices[0]?.finish_reason);
    expect(calls).toEqual(["tool_calls", "stop"]);
  });
});

describe("structured output and logprobs through the SDK", () => {
  it("parses a zodResponseFormat answer into a typed, valid object", async () => {
    const Ticket = z.object({
      urgency: z.enum(["low", "medium", "high"]),
      category: z.string(),
      confidence: z.number(),
    });
    const completion = await ctx.client.chat.completions.parse({
      model: "gpt-4o-mini",
      messages: [{ role: "user", content: "Classify: my invoice is wrong" }],
      response_format: zodResponseFormat(Ticket, "ticket"),
    });
    const parsed = completion.choices[0]?.message.parsed;
    if (!parsed) throw new Error("expected a parsed answer");
    // Typed: these reads compile only because `parsed` is Ticket's type.
    expect(["low", "medium", "high"]).toContain(parsed.urgency);
    expect(typeof parsed.category).toBe("string");
    expect(Ticket.parse(parsed)).toEqual(parsed);
  });

  it("streams logprobs with every text chunk when logprobs: true", async () => {
    const read = await readStream(
      await ctx.client.chat.completions.create({
        model: "gpt-4o-mini",
        messages: [{ role: "user", content: "Name a colour" }],
        logprobs: true,
        top_logprobs: 2,
        stream: true,
      }),
    );
    const withText = read.chunks.filter((c) => (c.choices[0]?.delta.content ?? "") !== "");
    expect(withText.length).toBeGreaterThan(0);
    for (const chunk of withText) {
      const choice = chunk.choices[0];
      const tokens = choice?.logprobs?.content ?? [];
      expect(tokens.map((tok) => tok.token).join("")).toBe(choice?.delta.content);
      for (const tok of tokens) {
        expect(tok.bytes).toEqual([...new TextEncoder().encode(tok.token)]);
        expect(tok.top_logprobs).toHaveLength(2);
      }
    }
  });

  it("leaves chunks without logprobs when they are not asked for", async () => {
    const read = await readStream(
      await ctx.client.chat.completions.create({
        model: "gpt-4o-mini",
        messages: [{ role: "user", content: "Name a colour" }],
        stream: true,
      }),
    );
    expect(read.text.length).toBeGreaterThan(0);
    expect(read.chunks.every((c) => c.choices[0]?.logprobs === undefined)).toBe(true);
  });
});
