import { encodeChat } from "gpt-tokenizer/encoding/o200k_base";
import { describe, expect, it } from "vitest";
import { parseChatRequest } from "../schemas/chatRequest.ts";
import { countChatTokens, countTextTokens } from "./index.ts";

const ticket = parseChatRequest({
  model: "gpt-4o-mini",
  messages: [
    {
      role: "system",
      content:
        "You are a support assistant for Acme Cloud. Classify each ticket by urgency (low, medium, high, critical) and category (billing, outage, account, feature request, other). Reply with JSON only.",
    },
    {
      role: "user",
      content:
        "Hi team, since this morning our production cluster in eu-west-1 has been returning 503 errors on roughly a third of requests. We already restarted the load balancer and rolled back yesterday's deploy but nothing changed. Our customers are complaining and we are losing orders every minute. Can someone from your on-call look at this right away? Account id 48213, plan Enterprise. Thanks, Maria. ".repeat(
          2,
        ),
    },
  ],
});

describe("countTextTokens", () => {
  it("counts known values in o200k and cl100k", () => {
    expect(countTextTokens("hello world", "openai", "gpt-4o")).toBe(2);
    expect(countTextTokens("hello world", "openai", "gpt-4")).toBe(2);
    // The encodings differ on non-English text, which shows the model picks the encoding.
    expect(countTextTokens("こんにちは世界", "openai", "gpt-4o")).toBe(2);
    expect(countTextTokens("こんにちは世界", "openai", "gpt-3.5-turbo")).toBe(4);
    expect(countTextTokens("", "openai")).toBe(0);
  });

  it("treats special-token text in a prompt as plain text instead of throwing", () => {
    expect(countTextTokens("<|endoftext|>", "openai")).toBe(7);
  });

  it("scales Anthropic estimates by 1.2 over o200k, rounded up without float error", () => {
    const tenTokens = "one two three four five six seven eight nine ten";
    expect(countTextTokens(tenTokens, "openai")).toBe(10);
    expect(countTextTokens(tenTokens, "anthropic")).toBe(12);
    expect(countTextTokens("hello world", "anthropic")).toBe(3);
  });
});

describe("countChatTokens", () => {
  it("adds 3 tokens per message, the role, and 3 for reply priming", () => {
    const chat = {
      model: "gpt-4o",
      messages: [
        { role: "system", content: "You are helpful." },
        { role: "user", content: "hello world" },
      ],
    };
    // content 4 + 2, roles 1 + 1, framing 2 * 3, priming 3
    expect(countChatTokens(chat, "openai")).toBe(17);
  });

  it("matches the chat encoding of OpenAI's format token for token", () => {
    const messages = ticket.messages.map((m) => ({ role: m.role, content: m.content as string }));
    expect(countChatTokens(ticket, "openai")).toBe(encodeChat(messages, "gpt-4o").length);
  });

  it("counts declared tools as their JSON and tool calls as their name and arguments", () => {
    const messages = [{ role: "user", content: "weather?" }];
    const tools = [
      { name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } } } },
    ];
    const plain = countChatTokens({ messages }, "openai");
    expect(countChatTokens({ messages, tools }, "openai")).toBe(
      plain + countTextTokens(JSON.stringify(tools), "openai"),
    );
    const call = { name: "get_weather", arguments: '{"city":"Oslo"}' };
    const calls = (toolCalls: (typeof call)[]) =>
      countChatTokens([{ role: "assistant", content: "", toolCalls }], "openai");
    expect(calls([call]) - calls([])).toBe(
      countTextTokens(call.name, "openai") + countTextTokens(call.arguments, "openai"),
    );
    const request = parseChatRequest({
      model: "gpt-4o",
      messages: [
        { role: "user", content: "weather?" },
        { role: "assistant", tool_calls: [{ id: "c1", type: "function", function: call }] },
      ],
    });
    expect(countChatTokens(request, "openai")).toBe(
      countChatTokens(
        [
          { role: "user", content: "weather?" },
          { role: "assistant", content: "", toolCalls: [call] },
        ],
        "openai",
      ),
    );
  });

  it("counts repeated tool definitions and schemas the same from request to request, and tells different ones apart", () => {
    const messages = [{ role: "user" as const, content: "hi" }];
    const tool = (name: string) => [
      { type: "function" as const, function: { name, parameters: { type: "object", properties: {} } } },
    ];
    const plain = countChatTokens({ messages }, "openai", "gpt-4o");
    const first = countChatTokens({ messages, tools: tool("get_weather") }, "openai", "gpt-4o");
    // A new request object with the same definitions: counted from the text, not the object.
    expect(countChatTokens({ messages, tools: tool("get_weather") }, "openai", "gpt-4o")).toBe(first);
    expect(first - plain).toBe(countTextTokens(JSON.stringify(tool("get_weather")), "openai", "gpt-4o"));
    const other = countChatTokens({ messages, tools: tool("get_weather_in_the_city") }, "openai", "gpt-4o");
    expect(other).toBeGreaterThan(first);
    const schema = { type: "object", properties: { answer: { type: "string" } } };
    const format = { type: "json_schema" as const, json_schema: { name: "a", schema } };
    const withSchema = countChatTokens({ messages, response_format: format }, "openai", "gpt-4o");
    expect(withSchema - plain).toBe(countTextTokens(JSON.stringify(schema), "openai", "gpt-4o"));
    expect(countChatTokens({ messages, response_format: { ...format } }, "openai", "gpt-4o")).toBe(
      withSchema,
    );
  });

  it("counts a name as its tokens plus one, and text parts as their text", () => {
    const plain = countChatTokens({ messages: [{ role: "user", content: "hello world" }] }, "openai");
    const named = countChatTokens(
      { messages: [{ role: "user", content: "hello world", name: "ana" }] },
      "openai",
    );
    const parts = countChatTokens(
      { messages: [{ role: "user", content: [{ type: "text", text: "hello world" }] }] },
      "openai",
    );
    expect(named - plain).toBe(countTextTokens("ana", "openai") + 1);
    expect(parts).toBe(plain);
  });

  it("accepts a bare message list, the way the provider layer holds messages", () => {
    expect(countChatTokens(ticket.messages, "openai", "gpt-4o-mini")).toBe(countChatTokens(ticket, "openai"));
  });

  it("picks the encoding from the model, the explicit one first", () => {
    const cjk = { model: "gpt-4", messages: [{ role: "user", content: "こんにちは世界" }] };
    expect(countChatTokens(cjk, "openai")).toBe(3 + 3 + 1 + 4);
    expect(countChatTokens(cjk, "openai", "gpt-4o")).toBe(3 + 3 + 1 + 2);
  });

  it("adds the tokens of a json_schema response format", () => {
    const schema = { type: "object", properties: { urgency: { type: "string" } } };
    const withSchema = countChatTokens(
      { ...ticket, response_format: { type: "json_schema", json_schema: { name: "t", schema } } },
      "openai",
    );
    expect(withSchema - countChatTokens(ticket, "openai")).toBe(
      countTextTokens(JSON.stringify(schema), "openai"),
    );
  });

  it("scales the whole chat for Anthropic", () => {
    expect(countChatTokens(ticket, "anthropic")).toBe(
      Math.ceil((countChatTokens(ticket, "openai") * 120) / 100),
    );
  });
});
