import OpenAI, { toFile } from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ManualClock, manualClock } from "../clock.ts";
import { type RunningSimulator, startSimulator } from "../server.ts";

let sim: RunningSimulator;
let clock: ManualClock;
let client: OpenAI;
const timings = { validatingMs: 1_000, inProgressMs: 10_000, finalizingMs: 1_000 };

beforeAll(async () => {
  clock = manualClock();
  sim = await startSimulator({ clock, batchTimings: timings });
  client = new OpenAI({ apiKey: "k", baseURL: `${sim.url}/v1`, maxRetries: 0 });
});
afterAll(() => sim.close());

const line = (id: string, model = "gpt-4o-mini") =>
  JSON.stringify({
    custom_id: id,
    method: "POST",
    url: "/v1/chat/completions",
    body: { model, messages: [{ role: "user", content: `q ${id}` }] },
  });

async function upload(lines: string[]) {
  return client.files.create({
    file: await toFile(Buffer.from(`${lines.join("\n")}\n`), "in.jsonl"),
    purpose: "batch",
  });
}

async function readJsonl(fileId: string | null | undefined) {
  if (!fileId) return [];
  const text = await (await client.files.content(fileId)).text();
  return text
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l));
}

describe("OpenAI files and batches", () => {
  it("stores an uploaded file and returns its content", async () => {
    const file = await upload([line("a")]);
    expect(file).toMatchObject({ object: "file", purpose: "batch", filename: "in.jsonl" });
    expect((await client.files.retrieve(file.id)).bytes).toBe(file.bytes);
    expect(await (await client.files.content(file.id)).text()).toBe(`${line("a")}\n`);
  });

  it("walks validating → in_progress → finalizing → completed with the clock, with partial failures", async () => {
    const file = await upload([line("ok-1"), line("bad-1", "sim-error"), line("ok-2")]);
    const batch = await client.batches.create({
      input_file_id: file.id,
      endpoint: "/v1/chat/completions",
      completion_window: "24h",
    });
    expect(batch.status).toBe("validating");
    clock.advance(1_000);
    expect((await client.batches.retrieve(batch.id)).status).toBe("in_progress");
    // Requests are counted as they are worked through, as OpenAI reports them while a batch runs.
    clock.advance(5_000);
    expect((await client.batches.retrieve(batch.id)).request_counts).toEqual({
      total: 3,
      completed: 1,
      failed: 0,
    });
    clock.advance(5_000);
    const finalizing = await client.batches.retrieve(batch.id);
    expect([finalizing.status, finalizing.request_counts]).toEqual([
      "finalizing",
      { total: 3, completed: 2, failed: 1 },
    ]);
    clock.advance(1_000);
    const done = await client.batches.retrieve(batch.id);
    expect(done.status).toBe("completed");
    expect(done.request_counts).toEqual({ total: 3, completed: 2, failed: 1 });
    const output = await readJsonl(done.output_file_id);
    expect(output.map((o) => o.custom_id).sort()).toEqual(["ok-1", "ok-2"]);
    expect(output[0].response.status_code).toBe(200);
    expect(output[0].response.body.object).toBe("chat.completion");
    const errors = await readJsonl(done.error_file_id);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ custom_id: "bad-1", response: { status_code: 404 } });
  });

  it("fails a batch whose input has invalid lines, naming the lines", async () => {
    const file = await upload([line("x"), "{not json", line("x")]);
    const batch = await client.batches.create({
      input_file_id: file.id,
      endpoint: "/v1/chat/completions",
      completion_window: "24h",
    });
    clock.advance(1_000);
    const failed = await client.batches.retrieve(batch.id);
    expect(failed.status).toBe("failed");
    expect(failed.errors?.data?.map((e) => e.line)).toEqual([2, 3]);
  });

  it("expires a batch when told to, recording every request as expired", async () => {
    const file = await upload([line("e1"), line("e2")]);
    const batch = await client.batches.create({
      input_file_id: file.id,
      endpoint: "/v1/chat/completions",
      completion_window: "24h",
      metadata: { sim_outcome: "expire" },
    });
    clock.advance(12_000);
    const expired = await client.batches.retrieve(batch.id);
    expect(expired.status).toBe("expired");
    const errors = await readJsonl(expired.error_file_id);
    expect(errors.map((e) => e.error.code)).toEqual(["batch_expired", "batch_expired"]);
  });

  it("keeps the results of requests worked through before a cancel, in the output file", async () => {
    const file = await upload([line("p1"), line("p2"), line("p3"), line("p4")]);
    const batch = await client.batches.create({
      input_file_id: file.id,
      endpoint: "/v1/chat/completions",
      completion_window: "24h",
    });
    // Validating, then half of in_progress: two of four requests worked through.
    clock.advance(1_000 + 5_000);
    const cancelling = await client.batches.cancel(batch.id);
    expect([cancelling.status, cancelling.request_counts?.completed]).toEqual(["cancelling", 2]);
    clock.advance(1_000);
    const cancelled = await client.batches.retrieve(batch.id);
    expect(cancelled.status).toBe("cancelled");
    expect(cancelled.request_counts).toEqual({ total: 4, completed: 2, failed: 0 });
    const output = await readJsonl(cancelled.output_file_id);
    expect(output.map((o) => [o.custom_id, o.response.status_code])).toEqual([
      ["p1", 200],
      ["p2", 200],
    ]);
    expect(cancelled.error_file_id).toBeNull();
  });

  it("cancels through cancelling → cancelled and lists batches newest first", async () => {
    const file = await upload([line("c1")]);
    const batch = await client.batches.create({
      input_file_id: file.id,
      endpoint: "/v1/chat/completions",
      completion_window: "24h",
    });
    clock.advance(2_000);
    expect((await client.batches.cancel(batch.id)).status).toBe("cancelling");
    clock.advance(1_000);
    expect((await client.batches.retrieve(batch.id)).status).toBe("cancelled");
    await expect(client.batches.cancel(batch.id)).rejects.toMatchObject({ status: 400 });
    const page = await client.batches.list({ limit: 2 });
    expect(page.data[0]?.id).toBe(batch.id);
    expect(page.data).toHaveLength(2);
  });

  it("breaks the tool calls of every line when the create call sends x-sim-invalid-tool-calls", async () => {
    const toolLine = (id: string) =>
      JSON.stringify({
        custom_id: id,
        method: "POST",
        url: "/v1/chat/completions",
        body: {
          model: "sim-small",
          messages: [{ role: "user", content: `Weather in city ${id}?` }],
          tools: [
            {
              type: "function",
              function: {
                name: "get_weather",
                parameters: {
                  type: "object",
                  properties: { city: { type: "string" } },
                  required: ["city"],
                },
              },
            },
          ],
          tool_choice: "required",
        },
      });
    const argumentsOf = async (headers: Record<string, string>) => {
      const file = await upload([toolLine("t1"), toolLine("t2")]);
      const batch = await client.batches.create(
        { input_file_id: file.id, endpoint: "/v1/chat/completions", completion_window: "24h" },
        { headers },
      );
      clock.advance(12_000);
      const done = await client.batches.retrieve(batch.id);
      const output = await readJsonl(done.output_file_id);
      return output.map((o) => o.response.body.choices[0].message.tool_calls[0].function.arguments as string);
    };
    const valid = (text: string) => {
      try {
        return typeof JSON.parse(text).city === "string";
      } catch {
        return false;
      }
    };
    expect((await argumentsOf({})).map(valid)).toEqual([true, true]);
    expect((await argumentsOf({ "x-sim-invalid-tool-calls": "1" })).map(valid)).toEqual([false, false]);
  });
});
