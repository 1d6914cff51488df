import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningSimulator, startSimulator } from "../server.ts";

let sim: RunningSimulator;
let client: OpenAI;

beforeAll(async () => {
  sim = await startSimulator({ seed: 3 });
  client = new OpenAI({ apiKey: "sk-test", baseURL: `${sim.url}/v1`, maxRetries: 0 });
});
afterAll(() => sim.close());

const weather = {
  type: "function" as const,
  name: "get_weather",
  parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
  strict: true,
};

describe("OpenAI Responses API", () => {
  it("answers the same text and tokens as chat completions for the same conversation", async () => {
    const chat = await client.chat.completions.create({
      model: "gpt-4o-mini",
      messages: [
        { role: "system", content: "Be brief." },
        { role: "user", content: "Hello" },
      ],
    });
    const r = await client.responses.create({
      model: "gpt-4o-mini",
      instructions: "Be brief.",
      input: "Hello",
    });
    expect(r.object).toBe("response");
    expect(r.status).toBe("completed");
    expect(r.output_text).toBe(chat.choices[0]?.message.content);
    expect([r.usage?.input_tokens, r.usage?.output_tokens]).toEqual([
      chat.usage?.prompt_tokens,
      chat.usage?.completion_tokens,
    ]);
    expect(sim.served.get("POST /v1/responses")).toBeGreaterThan(0);
  });

  it("calls a required function tool, then answers in text once its output is back", async () => {
    const r = await client.responses.create({
      model: "gpt-4o-mini",
      input: "Weather in Oslo?",
      tools: [weather],
      tool_choice: "required",
    });
    const call = r.output[0];
    if (call?.type !== "function_call") throw new Error("expected a function call");
    expect(JSON.parse(call.arguments)).toHaveProperty("city");
    const next = await client.responses.create({
      model: "gpt-4o-mini",
      input: [
        { role: "user", content: "Weather in Oslo?" },
        { type: "function_call", call_id: call.call_id, name: call.name, arguments: call.arguments },
        { type: "function_call_output", call_id: call.call_id, output: "sunny" },
      ],
      tools: [weather],
    });
    expect(next.output[0]?.type).toBe("message");
    expect(next.output_text.length).toBeGreaterThan(0);
  });

  it("answers JSON matching a json_schema format and stops at max_output_tokens", async () => {
    const schema = { type: "object", properties: { n: { type: "integer" } }, required: ["n"] };
    const json = await client.responses.create({
      model: "gpt-4o-mini",
      input: "A number",
      text: { format: { type: "json_schema", name: "num", schema, strict: true } },
    });
    expect(typeof JSON.parse(json.output_text).n).toBe("number");
    const cut = await client.responses.create({
      model: "gpt-4o-mini",
      input: "Tell me a lot",
      max_output_tokens: 2,
    });
    expect([cut.status, cut.incomplete_details?.reason, cut.usage?.output_tokens]).toEqual([
      "incomplete",
      "max_output_tokens",
      2,
    ]);
  });

  it("streams the full event sequence, numbered, that the SDK assembles into the same response", async () => {
    const whole = await client.responses.create({ model: "sim-small", input: "Tell me more" });
    const stream = client.responses.stream({ model: "sim-small", input: "Tell me more" });
    const events: OpenAI.Responses.ResponseStreamEvent[] = [];
    for await (const event of stream) events.push(event);
    expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
    expect(events[0]?.type).toBe("response.created");
    expect(events.at(-1)?.type).toBe("response.completed");
    const final = await stream.finalResponse();
    expect(final.output_text).toBe(whole.output_text);
    expect(final.usage).toEqual(whole.usage);
  });

  it("streams a function call's arguments", async () => {
    const stream = client.responses.stream({
      model: "gpt-4o-mini",
      input: "Weather?",
      tools: [weather],
      tool_choice: { type: "function", name: "get_weather" },
    });
    let args = "";
    for await (const event of stream)
      if (event.type === "response.function_call_arguments.delta") args += event.delta;
    const final = await stream.finalResponse();
    const call = final.output[0];
    if (call?.type !== "function_call") throw new Error("expected a function call");
    expect(call.arguments).toBe(args);
  });

  it("cuts a stream on the cut fault header and refuses a missing input with a 400", async () => {
    const cut = client.responses.stream(
      { model: "gpt-4o-mini", input: "Cut me off" },
      { headers: { "x-sim-fault": "cut" } },
    );
    await expect(cut.finalResponse()).rejects.toThrow();
    await expect(client.responses.create({ model: "gpt-4o-mini", input: [] })).rejects.toMatchObject({
      status: 400,
      param: "input",
    });
  });
});
