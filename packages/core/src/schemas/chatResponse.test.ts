import { describe, expect, it } from "vitest";
import { chatCompletionChunkSchema, chatCompletionSchema } from "./chatResponse.ts";

// Shaped like a real OpenAI response, including fields Sluice does not model.
const completion = {
  id: "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT",
  object: "chat.completion",
  created: 1_741_569_952,
  model: "gpt-4o-2024-08-06",
  choices: [
    {
      index: 0,
      message: { role: "assistant", content: "Hello! How can I help?", refusal: null, annotations: [] },
      logprobs: {
        content: [
          {
            token: "Hello",
            logprob: -0.01,
            bytes: [72, 101, 108, 108, 111],
            top_logprobs: [{ token: "Hi", logprob: -4.6, bytes: null }],
          },
        ],
        refusal: null,
      },
      finish_reason: "stop",
    },
  ],
  usage: {
    prompt_tokens: 19,
    completion_tokens: 10,
    total_tokens: 29,
    prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0 },
  },
  service_tier: "default",
  system_fingerprint: "fp_50cad350e4",
};

describe("chatCompletionSchema", () => {
  it("accepts a real-shaped completion and strips fields Sluice does not model", () => {
    const parsed = chatCompletionSchema.parse(completion);
    expect(parsed.choices[0]?.message.content).toBe("Hello! How can I help?");
    expect(parsed.usage.total_tokens).toBe(29);
    expect(parsed).not.toHaveProperty("service_tier");
    expect(parsed.choices[0]?.message).not.toHaveProperty("annotations");
  });

  it("accepts null content and absent logprobs", () => {
    const choice = {
      index: 0,
      message: { role: "assistant", content: null },
      finish_reason: "content_filter",
    };
    expect(chatCompletionSchema.safeParse({ ...completion, choices: [choice] }).success).toBe(true);
  });

  it.each([
    ["a chunk object type", { ...completion, object: "chat.completion.chunk" }],
    ["no choices", { ...completion, choices: [] }],
    ["missing usage", { ...completion, usage: undefined }],
    ["negative token counts", { ...completion, usage: { ...completion.usage, prompt_tokens: -1 } }],
    [
      "an unknown finish reason",
      { ...completion, choices: [{ ...completion.choices[0], finish_reason: "eos" }] },
    ],
    [
      "a user-role message",
      { ...completion, choices: [{ ...completion.choices[0], message: { role: "user", content: "x" } }] },
    ],
    ["a string created", { ...completion, created: "2025-03-10" }],
    [
      "the Anthropic message shape",
      { id: "msg_1", type: "message", role: "assistant", content: [{ type: "text", text: "hi" }] },
    ],
  ])("rejects %s", (_name, body) => {
    expect(chatCompletionSchema.safeParse(body).success).toBe(false);
  });
});

describe("chatCompletionChunkSchema", () => {
  const chunk = {
    id: "chatcmpl-1",
    object: "chat.completion.chunk",
    created: 1_741_569_952,
    model: "gpt-4o-mini",
    system_fingerprint: "fp_1",
    choices: [{ index: 0, delta: { role: "assistant", content: "" }, logprobs: null, finish_reason: null }],
  };

  it("accepts a first delta, a final delta and a usage-only chunk", () => {
    expect(chatCompletionChunkSchema.safeParse(chunk).success).toBe(true);
    const last = { ...chunk, choices: [{ index: 0, delta: {}, finish_reason: "length" }] };
    expect(chatCompletionChunkSchema.safeParse(last).success).toBe(true);
    const usage = {
      ...chunk,
      choices: [],
      usage: { prompt_tokens: 5, completion_tokens: 7, total_tokens: 12 },
    };
    expect(chatCompletionChunkSchema.parse(usage).usage?.total_tokens).toBe(12);
  });

  it("rejects a completion posing as a chunk and a delta with non-text content", () => {
    expect(chatCompletionChunkSchema.safeParse(completion).success).toBe(false);
    const bad = { ...chunk, choices: [{ index: 0, delta: { content: 5 }, finish_reason: null }] };
    expect(chatCompletionChunkSchema.safeParse(bad).success).toBe(false);
  });
});
