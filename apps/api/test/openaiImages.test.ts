import { crc32 } from "node:zlib";
import { testPng, testPngDataUrl, textOnlyModelEntry } from "@sluice/core/testing";
import { useTestDatabase } from "@sluice/db/testing";
import OpenAI from "openai";
import { describe, expect, it } from "vitest";
import { useOpenAiApi } from "./support/openaiClient.ts";

const t = useTestDatabase();
const ctx = useOpenAiApi(t, { env: { SLUICE_MODELS: JSON.stringify([textOnlyModelEntry]) } });

const question: OpenAI.ChatCompletionContentPartText = { type: "text", text: "What is in this picture?" };
const image = (url: string, detail?: "low" | "high"): OpenAI.ChatCompletionContentPartImage => ({
  type: "image_url",
  image_url: { url, ...(detail ? { detail } : {}) },
});

async function ask(model: string, ...parts: OpenAI.ChatCompletionContentPart[]) {
  return ctx.client.chat.completions.create({
    model,
    max_tokens: 30,
    messages: [{ role: "user", content: [question, ...parts] }],
  });
}

/** Status, message and issue paths of a refused request, sent raw to read Sluice's details. */
async function refused(model: string, ...parts: unknown[]) {
  const response = await fetch(`${ctx.api.url}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${ctx.api.a.key}`, "content-type": "application/json" },
    body: JSON.stringify({ model, messages: [{ role: "user", content: [question, ...parts] }] }),
  });
  const json = (await response.json()) as {
    error: { code: string; message: string; details?: { issues?: { path: string }[] } };
  };
  return {
    status: response.status,
    code: json.error.code,
    message: json.error.message,
    paths: (json.error.details?.issues ?? []).map((i) => i.path),
  };
}

/** A real PNG grown to about `bytes` by an ancillary chunk readers skip, as photos carry metadata. */
function heavyPngDataUrl(width: number, height: number, bytes: number): string {
  const png = testPng(width, height);
  const data = Buffer.alloc(bytes, 0x61);
  const type = Buffer.from("tEXt");
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([type, data])));
  const iend = png.subarray(png.length - 12);
  const grown = Buffer.concat([png.subarray(0, png.length - 12), length, type, data, crc, iend]);
  return `data:image/png;base64,${grown.toString("base64")}`;
}

describe("images on /v1/chat/completions through the OpenAI SDK", () => {
  it("takes an image of several megabytes inline, beyond the 2 MiB limit of other routes", async () => {
    const plain = await ask("gpt-4o-mini");
    const seeing = await ask("gpt-4o-mini", image(heavyPngDataUrl(600, 400, 6 * 1024 * 1024)));
    expect((seeing.usage?.prompt_tokens ?? 0) - (plain.usage?.prompt_tokens ?? 0)).toBe(2833 + 2 * 5667);
  });

  it("answers an image to gpt-4o-mini, its prompt_tokens including the image's cost", async () => {
    const plain = await ask("gpt-4o-mini");
    // 600x400 fits 768 on its short side as is: 2 tiles of 512, at gpt-4o-mini's 2833 + 5667 a tile.
    const seeing = await ask("gpt-4o-mini", image(testPngDataUrl(600, 400)));
    expect(seeing.choices[0]?.message.content?.length).toBeGreaterThan(0);
    expect((seeing.usage?.prompt_tokens ?? 0) - (plain.usage?.prompt_tokens ?? 0)).toBe(2833 + 2 * 5667);
    const low = await ask("gpt-4o-mini", image(testPngDataUrl(600, 400), "low"));
    expect((low.usage?.prompt_tokens ?? 0) - (plain.usage?.prompt_tokens ?? 0)).toBe(2833);
  });

  it("takes an image with no text beside it, and an https image URL", async () => {
    const alone = await ctx.client.chat.completions.create({
      model: "sim-small",
      messages: [{ role: "user", content: [image(testPngDataUrl(16, 16))] }],
    });
    expect(alone.choices[0]?.finish_reason).toBe("stop");
    const linked = await ask("gpt-4o", image("https://example.com/cat.png", "high"));
    const plain = await ask("gpt-4o");
    // Sluice never fetches the URL; the simulator charges it the rule's worst case, as Sluice reserves.
    expect((linked.usage?.prompt_tokens ?? 0) - (plain.usage?.prompt_tokens ?? 0)).toBe(85 + 8 * 170);
  });

  it("refuses an image to a text-only model with a 400 naming the model and the part", async () => {
    const error = await ask("sim-text", image(testPngDataUrl(8, 8))).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect((error as Error).message).toContain(
      'messages.0.content.1: model "sim-text" does not take image_url parts (it takes text)',
    );
    expect(await refused("sim-text", image(testPngDataUrl(8, 8)))).toMatchObject({
      status: 400,
      code: "validation_error",
      paths: ["messages.0.content.1"],
    });
  });

  it.each([
    ["an http:// URL", "http://example.com/cat.png", /must be an https:\/\/ URL or a data:image/],
    ["corrupt base64", "data:image/png;base64,iVBO$$==", /must be valid base64/],
    [
      "bytes that are no image",
      `data:image/png;base64,${Buffer.from("not a picture").toString("base64")}`,
      /is not a readable PNG image/,
    ],
    [
      "a GIF declared as a PNG",
      `data:image/png;base64,${Buffer.from("GIF89a\u0004\u0000\u0004\u0000\u0000").toString("base64")}`,
      /holds a GIF image, not the declared image\/png/,
    ],
  ])("refuses %s with a 400 naming the image's path", async (_name, url, reason) => {
    const answer = await refused("gpt-4o-mini", image(url));
    expect(answer).toMatchObject({
      status: 400,
      code: "validation_error",
      paths: ["messages.0.content.1.image_url.url"],
    });
    expect(answer.message).toMatch(reason);
    expect(answer.message).toContain("messages.0.content.1.image_url.url");
  });

  it("refuses an image outside a user message with a 400 naming the part", async () => {
    const response = await ctx.client.chat.completions
      .create({
        model: "gpt-4o-mini",
        messages: [
          { role: "system", content: [image(testPngDataUrl(8, 8)) as never] },
          { role: "user", content: "hi" },
        ],
      })
      .catch((e: unknown) => e);
    expect(response).toBeInstanceOf(OpenAI.BadRequestError);
    expect((response as Error).message).toContain(
      "messages.0.content.0.type: image_url parts are only allowed in user messages",
    );
  });

  it("takes a PDF file part on gpt-4o-mini and refuses audio there, naming the model", async () => {
    const pdf = Buffer.from("%PDF-1.4\n1 0 obj << /Type /Page >> endobj\n%%EOF").toString("base64");
    const answer = await ask("gpt-4o-mini", {
      type: "file",
      file: { file_data: `data:application/pdf;base64,${pdf}`, filename: "note.pdf" },
    });
    expect(answer.choices[0]?.message.content?.length).toBeGreaterThan(0);
    expect(
      await refused("gpt-4o-mini", { type: "input_audio", input_audio: { data: "SUQz", format: "mp3" } }),
    ).toMatchObject({
      status: 400,
      code: "validation_error",
      message: expect.stringContaining('model "gpt-4o-mini" does not take input_audio parts'),
      paths: ["messages.0.content.1"],
    });
  });
});
