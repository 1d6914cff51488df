import { useTestDatabase } from "@sluice/db/testing";
import { describe, expect, it } from "vitest";
import { openAiContentOf } from "../providers/openaiContentParts.ts";
import { parseChatRequest } from "../schemas/chatRequest.ts";
import { testPng, testPngDataUrl } from "../testing/testImages.ts";
import { toProviderRequest } from "./chatRequestMapping.ts";
import { createResponseCache } from "./responseCache.ts";

const t = useTestDatabase();

const ask = (content: unknown, model = "gpt-4o") =>
  toProviderRequest(parseChatRequest({ model, temperature: 0, messages: [{ role: "user", content }] }));

const text = { type: "text", text: "Compare these" };
const png = (width: number, height: number) => testPng(width, height).toString("base64");

describe("content parts in provider requests", () => {
  it("carry every part in order, images with their source, detail and pixel size", () => {
    const request = ask([
      text,
      { type: "image_url", image_url: { url: testPngDataUrl(640, 480), detail: "low" } },
      { type: "image_url", image_url: { url: "https://example.com/b.jpg" } },
      { type: "input_audio", input_audio: { data: "SUQz", format: "mp3" } },
      { type: "file", file: { file_data: "JVBERi0=", filename: "a.pdf" } },
      { type: "file", file: { file_id: "file-9" } },
    ]);
    expect(request.messages[0]).toEqual({
      role: "user",
      content: "Compare these",
      parts: [
        { type: "text", text: "Compare these" },
        {
          type: "image",
          source: { kind: "base64", mediaType: "image/png", data: png(640, 480) },
          detail: "low",
          size: { width: 640, height: 480 },
        },
        { type: "image", source: { kind: "url", url: "https://example.com/b.jpg" } },
        { type: "audio", format: "mp3", data: "SUQz" },
        { type: "file", filename: "a.pdf", fileData: "JVBERi0=" },
        { type: "file", fileId: "file-9" },
      ],
    });
  });

  it("leave text-only messages without parts", () => {
    expect(ask([text, { type: "text", text: " please" }]).messages[0]).toEqual({
      role: "user",
      content: "Compare these please",
    });
  });

  it("reach OpenAI in its own shape: data URLs rebuilt, bare file bytes sent as a PDF data URL", () => {
    const [message] = ask([
      text,
      { type: "image_url", image_url: { url: testPngDataUrl(2, 2), detail: "high" } },
      { type: "input_audio", input_audio: { data: "SUQz", format: "mp3" } },
      { type: "file", file: { file_data: "JVBERi0=", filename: "a.pdf" } },
    ]).messages;
    expect(openAiContentOf(message ?? { content: "" })).toEqual([
      { type: "text", text: "Compare these" },
      { type: "image_url", image_url: { url: testPngDataUrl(2, 2), detail: "high" } },
      { type: "input_audio", input_audio: { data: "SUQz", format: "mp3" } },
      { type: "file", file: { file_data: "data:application/pdf;base64,JVBERi0=", filename: "a.pdf" } },
    ]);
    expect(openAiContentOf({ content: "just text" })).toBe("just text");
  });
});

describe("response cache keys with content parts", () => {
  it("differ for different images, detail levels and text, and match for the same ones", () => {
    const cache = createResponseCache({ db: t.db, ttlSeconds: 60, scope: "tenant" });
    const site = { provider: "openai", modelId: "gpt-4o", tenantId: null };
    const key = (url: string, detail?: string) =>
      cache.keyFor(
        ask([text, { type: "image_url", image_url: { url, ...(detail ? { detail } : {}) } }]),
        site,
      );
    const first = key(testPngDataUrl(10, 10));
    expect(key(testPngDataUrl(10, 10))).toBe(first);
    expect(key(testPngDataUrl(10, 11))).not.toBe(first);
    expect(key(testPngDataUrl(10, 10), "low")).not.toBe(first);
    expect(key("https://example.com/a.png")).not.toBe(key("https://example.com/b.png"));
    expect(cache.keyFor(ask([text]), site)).not.toBe(first);
  });
});
