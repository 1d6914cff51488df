import { useTestDatabase } from "@sluice/db/testing";
import OpenAI, { toFile } from "openai";
import { beforeAll, describe, expect, it } from "vitest";
import { useOpenAiApi } from "./support/openaiClient.ts";

const t = useTestDatabase();
const ctx = useOpenAiApi(t, {
  worker: { batchPollMs: 100 },
  batchTimings: { validatingMs: 100, inProgressMs: 200, finalizingMs: 100 },
});

// The simulator's weakest models (the cascade's cheap tier, sim-small) break every tool call;
// its strongest (sim-large) never do.
beforeAll(() => ctx.api.simulator.setInvalidToolCallRate(1));

const weather: OpenAI.ChatCompletionFunctionTool = {
  type: "function",
  function: {
    name: "get_weather",
    parameters: {
      type: "object",
      properties: { city: { type: "string" }, days: { type: "integer", minimum: 1, maximum: 7 } },
      required: ["city", "days"],
      additionalProperties: false,
    },
  },
};

const toolLine = (customId: string, body: object = {}) =>
  JSON.stringify({
    custom_id: customId,
    method: "POST",
    url: "/v1/chat/completions",
    body: {
      model: "cascade:simulator",
      messages: [{ role: "user", content: `What is the weather in city ${customId}?` }],
      tools: [weather],
      tool_choice: "required",
      ...body,
    },
  });

async function runBatch(lines: string[]) {
  const input = await ctx.client.files.create({
    file: await toFile(Buffer.from(`${lines.join("\n")}\n`), "tools.jsonl"),
    purpose: "batch",
  });
  const batch = await ctx.client.batches.create({
    input_file_id: input.id,
    endpoint: "/v1/chat/completions",
    completion_window: "24h",
  });
  await expect
    .poll(async () => (await ctx.client.batches.retrieve(batch.id)).status, {
      timeout: 20_000,
      interval: 100,
    })
    .toMatch(/^(completed|failed|expired|cancelled)$/);
  return ctx.client.batches.retrieve(batch.id);
}

interface ResultLine {
  custom_id: string;
  model: string;
  response: { choices: { message: { tool_calls?: { function: { name: string; arguments: string } }[] } }[] };
  attempts: { tier: number; model: string; accepted: boolean; reason: string }[];
}

async function sluiceResults(batchId: string): Promise<ResultLine[]> {
  const res = await fetch(`${ctx.api.url}/v1/sluice/batches/${batchId}/results`, {
    headers: { authorization: `Bearer ${ctx.api.a.key}` },
  });
  expect(res.status).toBe(200);
  return (await res.text())
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as ResultLine);
}

describe("cascade batches check drafts' tool calls as synchronous cascades do", () => {
  it("escalates a draft whose tool call breaks the tool's schema, and serves the top tier's valid call", async () => {
    const done = await runBatch([toolLine("w1"), toolLine("w2")]);
    expect(done.status).toBe("completed");
    expect(done.request_counts).toEqual({ total: 2, completed: 2, failed: 0 });

    const output = (await (await ctx.client.files.content(done.output_file_id!)).text())
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(output.map((l) => l.custom_id)).toEqual(["w1", "w2"]);
    for (const l of output) {
      const message = l.response.body.choices[0].message;
      expect(l.sluice.model).toBe("sim-large");
      expect(l.response.body.choices[0].finish_reason).toBe("tool_calls");
      expect(message.content).toBeNull();
      expect(message.tool_calls).toHaveLength(1);
      expect(message.tool_calls[0]).toMatchObject({ type: "function", function: { name: "get_weather" } });
      const args = JSON.parse(message.tool_calls[0].function.arguments);
      expect(typeof args.city).toBe("string");
      expect(Number.isInteger(args.days)).toBe(true);
    }

    const results = await sluiceResults(done.id);
    for (const r of results) {
      expect(r.model).toBe("sim-large");
      expect(r.response.choices[0]?.message.tool_calls?.[0]?.function.name).toBe("get_weather");
      expect(r.attempts.map((a) => [a.tier, a.model, a.accepted])).toEqual([
        [0, "sim-small", false],
        [1, "sim-large", true],
      ]);
      expect(r.attempts[0]?.reason).toMatch(/^tool call 0 \(get_weather\): /);
    }
  });

  it("refuses a line whose tool schema cannot be checked with a 400 naming it, before anything runs", async () => {
    const input = await ctx.client.files.create({
      file: await toFile(
        Buffer.from(
          `${toolLine("bad", {
            tools: [
              {
                type: "function",
                function: { name: "f", parameters: { type: "object", properties: { a: { type: 12 } } } },
              },
            ],
            tool_choice: "auto",
          })}\n`,
        ),
        "bad.jsonl",
      ),
      purpose: "batch",
    });
    const error = await ctx.client.batches
      .create({ input_file_id: input.id, endpoint: "/v1/chat/completions", completion_window: "24h" })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect((error as InstanceType<typeof OpenAI.APIError>).status).toBe(400);
    expect((error as Error).message).toMatch(/line 1: body\.tools\.0\.function\.parameters/);
  });
});
