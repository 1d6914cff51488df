import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningSimulator, startSimulator } from "../server.ts";

let sim: RunningSimulator;
let client: OpenAI;

beforeAll(async () => {
  sim = await startSimulator();
  client = new OpenAI({ apiKey: "sk-test", baseURL: `${sim.url}/v1`, maxRetries: 0 });
});
afterAll(() => sim.close());

describe("OpenAI embeddings", () => {
  it("returns deterministic unit vectors through the SDK's default base64 encoding", async () => {
    const r = await client.embeddings.create({ model: "text-embedding-3-small", input: ["a", "b", "a"] });
    expect(r.data).toHaveLength(3);
    const [a, b, a2] = r.data.map((d) => d.embedding);
    expect(a).toHaveLength(1536);
    expect(Math.hypot(...(a ?? []))).toBeCloseTo(1, 5);
    expect(a).toEqual(a2);
    expect(a).not.toEqual(b);
  });

  it("honours dimensions and float encoding", async () => {
    const r = await client.embeddings.create({
      model: "text-embedding-3-large",
      input: "hello",
      dimensions: 8,
      encoding_format: "float",
    });
    expect(r.data[0]?.embedding).toHaveLength(8);
    expect(r.usage.prompt_tokens).toBe(1);
  });

  it("rejects empty input", async () => {
    await expect(
      client.embeddings.create({ model: "text-embedding-3-small", input: [""] }),
    ).rejects.toMatchObject({
      status: 400,
    });
  });
});
