import { useTestDatabase } from "@sluice/db/testing";
import type OpenAI from "openai";
import { describe, expect, it } from "vitest";
import { useOpenAiApi } from "./support/openaiClient.ts";
import { chatWeatherTool } from "./support/weatherTool.ts";

const t = useTestDatabase();
const ctx = useOpenAiApi(t);

const weather = chatWeatherTool;
const clock: OpenAI.ChatCompletionTool = { type: "function", function: { name: "get_time" } };

/** The body and status of a raw request, to read Sluice's validation issues. */
async function post(body: unknown) {
  const response = await fetch(`${ctx.api.url}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${ctx.api.a.key}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const json = (await response.json()) as {
    error: { code: string; message: string; details?: { issues?: { path: string }[] } };
  };
  return {
    status: response.status,
    error: json.error,
    paths: (json.error.details?.issues ?? []).map((i) => i.path),
  };
}

describe("tool calling through the OpenAI SDK", () => {
  it("runs a whole loop: the model calls a tool, gets its result, and answers in text", async () => {
    const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: "user", content: "Weather in Oslo?" }];
    const first = await ctx.client.chat.completions.create({
      model: "gpt-4o-mini",
      messages,
      tools: [weather, clock],
    });
    const asked = first.choices[0];
    expect(asked?.finish_reason).toBe("tool_calls");
    expect(asked?.message.content).toBeNull();
    const call = asked?.message.tool_calls?.[0];
    if (!asked || call?.type !== "function") throw new Error("expected a function call");
    expect(call.function.name).toBe("get_weather");
    expect(Object.keys(JSON.parse(call.function.arguments)).sort()).toEqual(["city", "unit"]);
    expect(first.usage?.completion_tokens).toBeGreaterThan(0);

    messages.push(asked.message, { role: "tool", tool_call_id: call.id, content: '{"temp_c": 3}' });
    const answer = await ctx.client.chat.completions.create({
      model: "gpt-4o-mini",
      messages,
      tools: [weather, clock],
    });
    expect(answer.choices[0]?.finish_reason).toBe("stop");
    expect(answer.choices[0]?.message.content?.length).toBeGreaterThan(0);
    expect(answer.choices[0]?.message.tool_calls).toBeUndefined();
  });

  it("calls the tool tool_choice names", async () => {
    const r = await ctx.client.chat.completions.create({
      model: "gpt-4o-mini",
      messages: [{ role: "user", content: "What time is it in Oslo?" }],
      tools: [weather, clock],
      tool_choice: { type: "function", function: { name: "get_time" } },
      parallel_tool_calls: false,
    });
    const call = r.choices[0]?.message.tool_calls?.[0];
    expect(call?.type === "function" && [call.function.name, call.function.arguments]).toEqual([
      "get_time",
      "{}",
    ]);
  });

  it("keeps answers to different tools apart in the response cache", async () => {
    const ask = (tools: OpenAI.ChatCompletionTool[]) =>
      ctx.client.chat.completions.create({
        model: "gpt-4o-mini",
        temperature: 0,
        messages: [{ role: "user", content: "Cache me with tools" }],
        tools,
      });
    await ask([weather]);
    const other = await ask([clock]);
    const call = other.choices[0]?.message.tool_calls?.[0];
    expect(call?.type === "function" && call.function.name).toBe("get_time");
  });

  it.each([
    [
      "a tool name OpenAI would refuse",
      { tools: [{ type: "function", function: { name: "get weather" } }] },
      "tools.0.function.name",
    ],
    [
      "parameters that are not a JSON object",
      { tools: [{ type: "function", function: { name: "f", parameters: [1] } }] },
      "tools.0.function.parameters",
    ],
    [
      "a tool_choice naming no declared tool",
      { tools: [weather], tool_choice: { type: "function", function: { name: "nope" } } },
      "tool_choice.function.name",
    ],
    [
      "a tool result answering no earlier call",
      {
        messages: [
          { role: "user", content: "hi" },
          { role: "tool", tool_call_id: "call_x", content: "3" },
        ],
      },
      "messages.1.tool_call_id",
    ],
  ])("answers 400 naming the path for %s", async (_name, fields, path) => {
    const r = await post({ model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }], ...fields });
    expect([r.status, r.error.code]).toEqual([400, "validation_error"]);
    expect(r.paths).toContain(path);
  });
});
