import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ticketDataset } from "../dataset/ticketDataset.ts";
import { type RunningSimulator, startSimulator } from "../server.ts";

let sim: RunningSimulator;
let client: OpenAI;

beforeAll(async () => {
  sim = await startSimulator({ seed: 3 });
  client = new OpenAI({ apiKey: "sk-test", baseURL: `${sim.url}/v1`, maxRetries: 0 });
});
afterAll(() => sim.close());

const user = (content: string) => [{ role: "user" as const, content }];

describe("OpenAI chat completions", () => {
  it("answers non-streaming requests with usage", async () => {
    const r = await client.chat.completions.create({ model: "gpt-4o-mini", messages: user("Hello") });
    expect(r.object).toBe("chat.completion");
    expect(r.choices[0]?.message.content?.length).toBeGreaterThan(0);
    expect(r.choices[0]?.finish_reason).toBe("stop");
    expect(r.usage?.total_tokens).toBe((r.usage?.prompt_tokens ?? 0) + (r.usage?.completion_tokens ?? 0));
  });

  it("streams the same text, ending with usage and [DONE]", async () => {
    const whole = await client.chat.completions.create({
      model: "sim-small",
      messages: user("Tell me more"),
    });
    const stream = await client.chat.completions.create({
      model: "sim-small",
      messages: user("Tell me more"),
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = "";
    let finish: string | null | undefined;
    let usage: OpenAI.CompletionUsage | undefined | null;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? "";
      finish ??= chunk.choices[0]?.finish_reason;
      usage = chunk.usage ?? usage;
    }
    expect(text).toBe(whole.choices[0]?.message.content);
    expect(finish).toBe("stop");
    expect(usage).toEqual(whole.usage);
  });

  it("returns JSON valid for json_object and json_schema formats", async () => {
    const obj = await client.chat.completions.create({
      model: "gpt-4o",
      messages: user("json please"),
      response_format: { type: "json_object" },
    });
    expect(typeof JSON.parse(obj.choices[0]?.message.content ?? "")).toBe("object");
    const schema = {
      type: "object",
      properties: {
        level: { type: "string", enum: ["a", "b"] },
        score: { type: "number", minimum: 0, maximum: 1 },
        tags: { type: "array", items: { type: "string" }, minItems: 2, maxItems: 2 },
        ok: { type: "boolean" },
      },
      required: ["level", "score", "tags", "ok"],
    };
    const r = await client.chat.completions.create({
      model: "gpt-4o",
      messages: user("structured"),
      response_format: { type: "json_schema", json_schema: { name: "thing", schema, strict: true } },
    });
    const value = JSON.parse(r.choices[0]?.message.content ?? "");
    expect(["a", "b"]).toContain(value.level);
    expect(value.score).toBeGreaterThanOrEqual(0);
    expect(value.score).toBeLessThanOrEqual(1);
    expect(value.tags).toHaveLength(2);
    expect(typeof value.ok).toBe("boolean");
  });

  it("gives logprobs with alternatives, n choices, stop sequences and length truncation", async () => {
    const lp = await client.chat.completions.create({
      model: "gpt-4o-mini",
      messages: user("probabilities"),
      logprobs: true,
      top_logprobs: 2,
      n: 3,
    });
    expect(lp.choices).toHaveLength(3);
    const first = lp.choices[0]?.logprobs?.content?.[0];
    expect(first?.logprob).toBeLessThan(0);
    expect(first?.top_logprobs).toHaveLength(2);
    const text = lp.choices[0]?.message.content ?? "";
    const stopWord = text.split(" ")[2] ?? "";
    const stopped = await client.chat.completions.create({
      model: "gpt-4o-mini",
      messages: user("probabilities"),
      stop: [stopWord],
    });
    expect(stopped.choices[0]?.message.content).toBe(text.slice(0, text.indexOf(stopWord)));
    expect(stopped.choices[0]?.finish_reason).toBe("stop");
    const short = await client.chat.completions.create({
      model: "gpt-4o-mini",
      messages: user("probabilities"),
      max_tokens: 3,
    });
    expect(short.choices[0]?.finish_reason).toBe("length");
    expect(short.usage?.completion_tokens).toBe(3);
  });

  it("classifies a dataset ticket it recognises, with confidence in the logprobs", async () => {
    const ticket = ticketDataset(3).find((t) => t.difficulty < 0.2)!;
    const r = await client.chat.completions.create({
      model: "sim-large",
      messages: [
        { role: "system", content: "Classify the ticket. Answer JSON." },
        { role: "user", content: `Subject: ${ticket.subject}\n\n${ticket.body}` },
      ],
      response_format: { type: "json_object" },
      logprobs: true,
    });
    const verdict = JSON.parse(r.choices[0]?.message.content ?? "");
    expect([verdict.urgency, verdict.category]).toEqual([ticket.urgency, ticket.category]);
    const valueToken = r.choices[0]?.logprobs?.content?.find((t) => t.token.trim() === ticket.urgency);
    expect(valueToken?.logprob).toBeCloseTo(Math.log(verdict.confidence), 5);
  });

  it("rejects unknown models, missing messages and oversized prompts in OpenAI's format", async () => {
    await expect(
      client.chat.completions.create({ model: "nope", messages: user("x") }),
    ).rejects.toMatchObject({
      status: 404,
      code: "model_not_found",
    });
    await expect(client.chat.completions.create({ model: "gpt-4o", messages: [] })).rejects.toMatchObject({
      status: 400,
    });
    await expect(
      client.chat.completions.create({ model: "gpt-4o", messages: user("word ".repeat(130_000)) }),
    ).rejects.toMatchObject({ status: 400, code: "context_length_exceeded" });
  });

  it("refuses without an API key, in OpenAI's format", async () => {
    const r = await fetch(`${sim.url}/v1/chat/completions`, { method: "POST", body: "{}" });
    expect(r.status).toBe(401);
    expect(await r.json()).toMatchObject({
      error: { type: "invalid_request_error", code: "invalid_api_key" },
    });
  });

  it("lists models", async () => {
    const ids = [];
    for await (const m of client.models.list()) ids.push(m.id);
    expect(ids).toEqual(
      expect.arrayContaining(["sim-small", "sim-large", "gpt-4o-mini", "claude-sonnet-4-5"]),
    );
  });

  it("answers identically on two simulators with the same seed", async () => {
    const other = await startSimulator({ seed: 3 });
    try {
      const b = new OpenAI({ apiKey: "k", baseURL: `${other.url}/v1`, maxRetries: 0 });
      const req = { model: "sim-medium", messages: user("determinism") };
      const [x, y] = await Promise.all([client.chat.completions.create(req), b.chat.completions.create(req)]);
      expect(x.choices[0]?.message.content).toBe(y.choices[0]?.message.content);
    } finally {
      await other.close();
    }
  });
});
