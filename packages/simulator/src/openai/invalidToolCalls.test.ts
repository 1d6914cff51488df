import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningSimulator, startSimulator } from "../server.ts";
import { invalidToolCallChance } from "./toolCalls.ts";

let sim: RunningSimulator;
let client: OpenAI;

beforeAll(async () => {
  sim = await startSimulator({ seed: 7 });
  client = new OpenAI({ apiKey: "sk-test", baseURL: `${sim.url}/v1`, maxRetries: 0 });
});
afterAll(() => sim.close());

const weather: OpenAI.ChatCompletionTool = {
  type: "function",
  function: {
    name: "get_weather",
    parameters: {
      type: "object",
      properties: { city: { type: "string" }, days: { type: "integer", minimum: 1, maximum: 7 } },
      required: ["city", "days"],
    },
  },
};
const cities = [
  "Oslo",
  "Lima",
  "Pune",
  "Cork",
  "Bern",
  "Kyiv",
  "Nice",
  "Baku",
  "Doha",
  "Riga",
  "Suva",
  "Apia",
];

async function argumentsOf(model: string, city: string, headers: Record<string, string> = {}) {
  const r = await client.chat.completions.create(
    { model, messages: [{ role: "user", content: `Weather in ${city}?` }], tools: [weather] },
    { headers },
  );
  const call = r.choices[0]?.message.tool_calls?.[0];
  return call?.type === "function" ? call.function.arguments : undefined;
}

/** How the arguments break the weather tool's schema, or "valid". */
function breakage(text: string | undefined): string {
  let args: Record<string, unknown>;
  try {
    args = JSON.parse(text ?? "");
  } catch {
    return "malformed_json";
  }
  if (!("city" in args) || !("days" in args)) return "missing_required";
  if (typeof args.city !== "string" || !Number.isInteger(args.days)) return "wrong_type";
  return "valid";
}

describe("invalid tool calls", () => {
  it("scale with model quality: the weakest at the full rate, the strongest never", () => {
    expect(invalidToolCallChance(0.6, 1)).toBe(1);
    expect(invalidToolCallChance(0.55, 0.5)).toBe(0.5);
    expect(invalidToolCallChance(0.75, 1)).toBeCloseTo(0.5);
    expect(invalidToolCallChance(0.95, 1)).toBe(0);
    expect(invalidToolCallChance(0.6, 0)).toBe(0);
  });

  it("are off by default: every call is valid", async () => {
    for (const city of cities.slice(0, 4))
      expect(breakage(await argumentsOf("sim-small", city))).toBe("valid");
  });

  it("break a weak model's calls in every way when the header asks, the same way every time", async () => {
    const broken = { "x-sim-invalid-tool-calls": "1" };
    const kinds = new Set<string>();
    for (const city of cities) {
      const text = await argumentsOf("sim-small", city, broken);
      kinds.add(breakage(text));
      expect(await argumentsOf("sim-small", city, broken)).toBe(text);
    }
    expect([...kinds].sort()).toEqual(["malformed_json", "missing_required", "wrong_type"]);
    for (const city of cities.slice(0, 4))
      expect(breakage(await argumentsOf("sim-large", city, broken))).toBe("valid");
  });

  it("follow the configured rate, and the header wins over it", async () => {
    sim.setInvalidToolCallRate(1);
    try {
      expect(breakage(await argumentsOf("sim-small", "Oslo"))).not.toBe("valid");
      expect(breakage(await argumentsOf("sim-small", "Oslo", { "x-sim-invalid-tool-calls": "0" }))).toBe(
        "valid",
      );
    } finally {
      sim.setInvalidToolCallRate(0);
    }
  });
});
