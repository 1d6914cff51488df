import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningSimulator, startSimulator } from "../server.ts";
import { imagePromptTokens } from "./imageTokens.ts";

let sim: RunningSimulator;
let client: OpenAI;

beforeAll(async () => {
  sim = await startSimulator({ seed: 3 });
  client = new OpenAI({ apiKey: "sk-test", baseURL: `${sim.url}/v1`, maxRetries: 0 });
});
afterAll(() => sim.close());

/** The first 24 bytes of a PNG (signature and IHDR size fields), all the simulator reads. */
function pngHeaderUrl(width: number, height: number): string {
  const bytes = Buffer.alloc(24);
  bytes.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13], 0);
  bytes.write("IHDR", 12, "latin1");
  bytes.writeUInt32BE(width, 16);
  bytes.writeUInt32BE(height, 20);
  return `data:image/png;base64,${bytes.toString("base64")}`;
}

async function promptTokens(model: string, image?: OpenAI.ChatCompletionContentPartImage.ImageURL) {
  const content: OpenAI.ChatCompletionContentPart[] = [{ type: "text", text: "What is in this picture?" }];
  if (image) content.push({ type: "image_url", image_url: image });
  const r = await client.chat.completions.create({ model, messages: [{ role: "user", content }] });
  return r.usage?.prompt_tokens ?? 0;
}

describe("image parts in simulated chat completions", () => {
  it("add OpenAI's tile cost to prompt_tokens: 765 for 1024x1024 on gpt-4o, 85 at low detail", async () => {
    const text = await promptTokens("gpt-4o");
    expect((await promptTokens("gpt-4o", { url: pngHeaderUrl(1024, 1024) })) - text).toBe(765);
    expect((await promptTokens("gpt-4o", { url: pngHeaderUrl(1024, 1024), detail: "low" })) - text).toBe(85);
  });

  it("use gpt-4o-mini's own base and tile costs, and the worst case for https URLs", async () => {
    const text = await promptTokens("gpt-4o-mini");
    expect((await promptTokens("gpt-4o-mini", { url: pngHeaderUrl(512, 512) })) - text).toBe(2833 + 5667);
    expect((await promptTokens("gpt-4o-mini", { url: "https://example.com/cat.png" })) - text).toBe(
      2833 + 8 * 5667,
    );
  });

  it("accept input_audio and file parts beside text", async () => {
    const r = await client.chat.completions.create({
      model: "gpt-4o",
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "Summarise" },
            { type: "input_audio", input_audio: { data: "UklGRg==", format: "wav" } },
            { type: "file", file: { file_data: "data:application/pdf;base64,JVBERg==", filename: "a.pdf" } },
          ],
        },
      ],
    });
    expect(r.choices[0]?.message.content?.length).toBeGreaterThan(0);
  });

  it("count 32px patches on gpt-4.1-mini", () => {
    expect(imagePromptTokens("gpt-4.1-mini", { url: pngHeaderUrl(1024, 1024) })).toBe(Math.ceil(1024 * 1.62));
  });
});
