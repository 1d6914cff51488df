import { describe, expect, it } from "vitest";
import { testPng } from "../testing/testImages.ts";
import { parseMessagesRequest } from "./messagesRequest.ts";
import { EMPTY_TOOL_RESULT, messagesToChatRequest, TOOL_ERROR_PREFIX } from "./messagesToChat.ts";

const tool = {
  name: "get_weather",
  input_schema: { type: "object", properties: { city: { type: "string" } } },
};
const callTurn = {
  role: "assistant",
  content: [
    { type: "text", text: "Looking it up." },
    { type: "tool_use", id: "toolu_1", name: "get_weather", input: { city: "Oslo" } },
    { type: "tool_use", id: "toolu_2", name: "get_weather", input: { city: "Bergen" } },
  ],
};

function issuePaths(body: unknown): string[] {
  try {
    parseMessagesRequest(body);
    return [];
  } catch (error) {
    return ((error as { details?: { issues?: { path: string }[] } }).details?.issues ?? []).map(
      (i) => i.path,
    );
  }
}

const PNG_1X1 = testPng(1, 1).toString("base64");

describe("messagesToChatRequest", () => {
  it("maps system, tool_use, tool_result, tools, tool_choice and metadata onto a chat request", () => {
    const chat = messagesToChatRequest(
      parseMessagesRequest({
        model: "gpt-4o-mini",
        max_tokens: 100,
        system: [{ type: "text", text: "Be brief.", cache_control: { type: "ephemeral" } }],
        messages: [
          { role: "user", content: "Weather in Oslo and Bergen?" },
          callTurn,
          {
            role: "user",
            content: [
              { type: "tool_result", tool_use_id: "toolu_1", content: [{ type: "text", text: "3 C" }] },
              { type: "tool_result", tool_use_id: "toolu_2", is_error: true, content: "timeout" },
              { type: "text", text: "Thanks" },
            ],
          },
        ],
        tools: [tool],
        tool_choice: { type: "any", disable_parallel_tool_use: true },
        stop_sequences: ["END"],
        metadata: { user_id: "u-1" },
        top_k: 5,
      }),
    );
    expect(chat.messages).toEqual([
      { role: "system", content: [{ type: "text", text: "Be brief." }] },
      { role: "user", content: "Weather in Oslo and Bergen?" },
      {
        role: "assistant",
        content: [{ type: "text", text: "Looking it up." }],
        tool_calls: [
          {
            id: "toolu_1",
            type: "function",
            function: { name: "get_weather", arguments: '{"city":"Oslo"}' },
          },
          {
            id: "toolu_2",
            type: "function",
            function: { name: "get_weather", arguments: '{"city":"Bergen"}' },
          },
        ],
      },
      { role: "tool", tool_call_id: "toolu_1", content: "3 C" },
      { role: "tool", tool_call_id: "toolu_2", content: `${TOOL_ERROR_PREFIX}timeout` },
      { role: "user", content: [{ type: "text", text: "Thanks" }] },
    ]);
    expect(chat).toMatchObject({
      max_tokens: 100,
      stop: ["END"],
      user: "u-1",
      tool_choice: "required",
      parallel_tool_calls: false,
      tools: [{ type: "function", function: { name: "get_weather", parameters: tool.input_schema } }],
    });
    expect(chat).not.toHaveProperty("top_k");
  });

  it("gives an empty tool result text the chat request can carry", () => {
    const chat = messagesToChatRequest(
      parseMessagesRequest({
        model: "gpt-4o-mini",
        max_tokens: 10,
        messages: [
          { role: "user", content: "hi" },
          { role: "assistant", content: [{ type: "tool_use", id: "t", name: "f", input: {} }] },
          { role: "user", content: [{ type: "tool_result", tool_use_id: "t" }] },
        ],
      }),
    );
    expect(chat.messages.at(-1)).toEqual({ role: "tool", tool_call_id: "t", content: EMPTY_TOOL_RESULT });
  });

  it("turns image blocks into image_url parts: base64 as a data URL, https as is", () => {
    const png =
      "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";
    const chat = messagesToChatRequest(
      parseMessagesRequest({
        model: "gpt-4o-mini",
        max_tokens: 10,
        messages: [
          {
            role: "user",
            content: [
              { type: "image", source: { type: "base64", media_type: "image/png", data: png } },
              { type: "image", source: { type: "url", url: "https://example.com/a.png" } },
              { type: "text", text: "Same?" },
            ],
          },
        ],
      }),
    );
    expect(chat.messages[0]?.content).toEqual([
      { type: "image_url", image_url: { url: `data:image/png;base64,${png}` } },
      { type: "image_url", image_url: { url: "https://example.com/a.png" } },
      { type: "text", text: "Same?" },
    ]);
  });

  it("turns a PDF document into a file part named by its title, and a text document into text", () => {
    const pdf = Buffer.from("%PDF-1.4\n%%EOF").toString("base64");
    const chat = messagesToChatRequest(
      parseMessagesRequest({
        model: "claude-haiku-4-5",
        max_tokens: 10,
        messages: [
          {
            role: "user",
            content: [
              { type: "document", source: { type: "base64", media_type: "application/pdf", data: pdf } },
              {
                type: "document",
                source: { type: "base64", media_type: "application/pdf", data: pdf },
                title: "invoice.pdf",
                context: "The March invoice",
              },
              {
                type: "document",
                source: { type: "text", media_type: "text/plain", data: "Refunds take 5 days." },
                title: "Policy",
              },
              { type: "text", text: "Summarise." },
            ],
          },
        ],
      }),
    );
    expect(chat.messages[0]?.content).toEqual([
      { type: "file", file: { file_data: `data:application/pdf;base64,${pdf}` } },
      { type: "text", text: "The March invoice" },
      { type: "file", file: { file_data: `data:application/pdf;base64,${pdf}`, filename: "invoice.pdf" } },
      { type: "text", text: "Policy" },
      { type: "text", text: "Refunds take 5 days." },
      { type: "text", text: "Summarise." },
    ]);
  });

  it("answers a tool call with the result's text and follows the results with its images", () => {
    const png = { type: "base64", media_type: "image/png", data: PNG_1X1 };
    const chat = messagesToChatRequest(
      parseMessagesRequest({
        model: "gpt-4o-mini",
        max_tokens: 10,
        messages: [
          { role: "user", content: "Weather in Oslo and Bergen?" },
          callTurn,
          {
            role: "user",
            content: [
              {
                type: "tool_result",
                tool_use_id: "toolu_1",
                content: [
                  { type: "text", text: "Radar:" },
                  { type: "image", source: png },
                ],
              },
              { type: "tool_result", tool_use_id: "toolu_2", content: "12 C" },
              { type: "text", text: "Which is warmer?" },
            ],
          },
        ],
      }),
    );
    expect(chat.messages.slice(2)).toEqual([
      { role: "tool", tool_call_id: "toolu_1", content: "Radar:" },
      { role: "tool", tool_call_id: "toolu_2", content: "12 C" },
      {
        role: "user",
        content: [
          { type: "text", text: "Image from tool result toolu_1:" },
          { type: "image_url", image_url: { url: `data:image/png;base64,${PNG_1X1}` } },
          { type: "text", text: "Which is warmer?" },
        ],
      },
    ]);
  });

  it("names a named tool_choice as a function and keeps auto and none", () => {
    const base = {
      model: "gpt-4o-mini",
      max_tokens: 10,
      messages: [{ role: "user", content: "hi" }],
      tools: [tool],
    };
    const named = messagesToChatRequest(
      parseMessagesRequest({ ...base, tool_choice: { type: "tool", name: "get_weather" } }),
    );
    expect(named.tool_choice).toEqual({ type: "function", function: { name: "get_weather" } });
    expect(
      messagesToChatRequest(parseMessagesRequest({ ...base, tool_choice: { type: "none" } })).tool_choice,
    ).toBe("none");
  });
});

describe("parseMessagesRequest", () => {
  const base = { model: "claude-haiku-4-5", max_tokens: 10 };
  it.each([
    [
      "a tool_result not answering the previous turn",
      [{ role: "user", content: [{ type: "tool_result", tool_use_id: "x" }] }],
      "messages.0.content.0.tool_use_id",
    ],
    ["a tool_use left unanswered", [{ role: "user", content: "hi" }, callTurn], "messages.1.content.1.id"],
    [
      "a tool_use block in a user turn",
      [{ role: "user", content: [{ type: "tool_use", id: "a", name: "f", input: {} }] }],
      "messages.0.content.0.type",
    ],
    [
      "a whitespace-only text block",
      [{ role: "user", content: [{ type: "text", text: "  " }] }],
      "messages.0.content.0.text",
    ],
    [
      "a document fetched by URL",
      [
        {
          role: "user",
          content: [{ type: "document", source: { type: "url", url: "https://x.test/a.pdf" } }],
        },
      ],
      "messages.0.content.0.source.type",
    ],
    [
      "a document that is not a PDF",
      [
        {
          role: "user",
          content: [{ type: "document", source: { type: "base64", media_type: "text/csv", data: "YQ==" } }],
        },
      ],
      "messages.0.content.0.source.media_type",
    ],
    [
      "a PDF document whose data is not base64",
      [
        {
          role: "user",
          content: [
            { type: "document", source: { type: "base64", media_type: "application/pdf", data: "%%%" } },
          ],
        },
      ],
      "messages.0.content.0.source.data",
    ],
    [
      "a document asking for citations",
      [
        {
          role: "user",
          content: [
            {
              type: "document",
              source: { type: "text", media_type: "text/plain", data: "x" },
              citations: { enabled: true },
            },
          ],
        },
      ],
      "messages.0.content.0.citations.enabled",
    ],
  ])("names the path of %s", (_name, messages, path) => {
    expect(issuePaths({ ...base, messages })).toContain(path);
  });

  it("lists every unknown field and a duplicate tool", () => {
    const paths = issuePaths({
      ...base,
      messages: [{ role: "user", content: "hi", extra: 1 }],
      tools: [tool, tool],
      container: "c",
    });
    expect(paths).toEqual(expect.arrayContaining(["messages.0.extra", "tools.1.name", "container"]));
  });

  it("accepts blocks echoed back from an answer (citations: null, caller direct)", () => {
    const request = parseMessagesRequest({
      ...base,
      messages: [
        { role: "user", content: "hi" },
        {
          role: "assistant",
          content: [
            { type: "text", text: "ok", citations: null },
            { type: "tool_use", id: "t", name: "f", input: {}, caller: { type: "direct" } },
          ],
        },
        { role: "user", content: [{ type: "tool_result", tool_use_id: "t", content: "done" }] },
      ],
    });
    expect(request.messages).toHaveLength(3);
  });
});
