import { describe, expect, it } from "vitest";
import { SluiceError } from "../errors/sluiceError.ts";
import { testPng, testPngDataUrl } from "../testing/testImages.ts";
import { parseChatRequest } from "./chatRequest.ts";
import type { ValidationIssue } from "./validationError.ts";

const png = testPngDataUrl(8, 8);
const text = { type: "text", text: "What is this?" };
const image = (url: string, detail?: string) => ({
  type: "image_url",
  image_url: { url, ...(detail ? { detail } : {}) },
});
const request = (...messages: unknown[]) => ({ model: "gpt-4o-mini", messages });
const user = (...content: unknown[]) => ({ role: "user", content });

function issues(input: unknown): ValidationIssue[] {
  try {
    parseChatRequest(input);
  } catch (error) {
    if (error instanceof SluiceError) return (error.details?.issues ?? []) as ValidationIssue[];
    throw error;
  }
  throw new Error("expected the request to be rejected");
}

describe("content parts accepted in user messages", () => {
  it.each([
    ["a PNG data URL with detail", image(png, "high")],
    ["an https image URL", image("https://example.com/cat.jpg?size=large", "low")],
    ["base64 WAV audio", { type: "input_audio", input_audio: { data: "UklGRiQAAABXQVZF", format: "wav" } }],
    ["MP3 audio", { type: "input_audio", input_audio: { data: "SUQz", format: "mp3" } }],
    ["a PDF as a data URL", { type: "file", file: { file_data: "data:application/pdf;base64,JVBERi0=" } }],
    [
      "a file as bare base64 with a name",
      { type: "file", file: { file_data: "JVBERi0=", filename: "a.pdf" } },
    ],
    ["an uploaded file id", { type: "file", file: { file_id: "file-abc123" } }],
  ])("%s, unchanged", (_name, part) => {
    const input = request(user(text, part));
    expect(parseChatRequest(input)).toEqual(input);
  });

  it("an image with no text at all (only all-text content can be blank)", () => {
    expect(() => parseChatRequest(request(user(image(png))))).not.toThrow();
    expect(() => parseChatRequest(request(user({ type: "text", text: " " }, image(png))))).not.toThrow();
  });

  it("a GIF data URL whose bytes are a GIF", () => {
    const gif = Buffer.from([...Buffer.from("GIF89a"), 4, 0, 4, 0, 0, 0, 0]).toString("base64");
    expect(() => parseChatRequest(request(user(image(`data:image/gif;base64,${gif}`))))).not.toThrow();
  });
});

describe("content parts refused with the path of the failing field", () => {
  it.each([
    ["an http:// image URL", image("http://example.com/a.png"), "messages.0.content.1.image_url.url"],
    ["an ftp URL", image("ftp://example.com/a.png"), "messages.0.content.1.image_url.url"],
    ["a data URL of another type", image("data:image/bmp;base64,Qk0="), "messages.0.content.1.image_url.url"],
    ["corrupt base64", image("data:image/png;base64,iVBOR*w0K"), "messages.0.content.1.image_url.url"],
    ["unpadded base64", image("data:image/png;base64,iVBORw0KG"), "messages.0.content.1.image_url.url"],
    [
      "bytes that are not an image",
      image("data:image/png;base64,aGVsbG8gd29ybGQh"),
      "messages.0.content.1.image_url.url",
    ],
    ["an unknown detail", image(png, "ultra"), "messages.0.content.1.image_url.detail"],
    [
      "an unknown image field",
      { type: "image_url", image_url: { url: png, size: 1 } },
      "messages.0.content.1.image_url.size",
    ],
    [
      "audio in another format",
      { type: "input_audio", input_audio: { data: "SUQz", format: "ogg" } },
      "messages.0.content.1.input_audio.format",
    ],
    [
      "audio that is not base64",
      { type: "input_audio", input_audio: { data: "not base64!", format: "mp3" } },
      "messages.0.content.1.input_audio.data",
    ],
    [
      "a file with neither data nor id",
      { type: "file", file: { filename: "a.pdf" } },
      "messages.0.content.1.file",
    ],
    [
      "a file data URL that is not base64",
      { type: "file", file: { file_data: "data:application/pdf,%PDF" } },
      "messages.0.content.1.file.file_data",
    ],
    ["an unknown part type", { type: "video_url", video_url: {} }, "messages.0.content.1.type"],
  ])("%s", (_name, part, path) => {
    expect(issues(request(user(text, part))).map((issue) => issue.path)).toEqual([path]);
  });

  it("an image whose bytes are another format than declared, saying which", () => {
    const gif = Buffer.from([...Buffer.from("GIF89a"), 4, 0, 4, 0, 0, 0, 0]).toString("base64");
    expect(issues(request(user(image(`data:image/png;base64,${gif}`))))).toEqual([
      {
        path: "messages.0.content.0.image_url.url",
        message: "holds a GIF image, not the declared image/png",
      },
    ]);
  });

  it("an image over 20 MB, by its decoded size, before decoding it", () => {
    const over = "A".repeat(Math.ceil(((20 * 1024 * 1024 + 3) * 4) / 3 / 4) * 4);
    expect(issues(request(user(text, image(`data:image/png;base64,${over}`))))).toEqual([
      { path: "messages.0.content.1.image_url.url", message: "image is larger than 20 MB" },
    ]);
  });

  it("an http:// URL, saying which URLs are taken", () => {
    expect(issues(request(user(image("http://example.com/a.png"))))[0]?.message).toMatch(
      /must be an https:\/\/ URL or a data:image\/\(png\|jpeg\|gif\|webp\);base64/,
    );
  });

  it.each([
    ["system", { role: "system", content: [image(png)] }],
    ["developer", { role: "developer", content: [text, image(png)] }],
    ["assistant", { role: "assistant", content: [image(png)] }],
  ])("an image in a %s message", (_role, message) => {
    const index = Array.isArray(message.content) ? message.content.length - 1 : 0;
    expect(issues(request(message, user(text)))).toEqual([
      {
        path: `messages.0.content.${index}.type`,
        message: "image_url parts are only allowed in user messages",
      },
    ]);
  });

  it("audio and files in a tool result", () => {
    const asked = {
      role: "assistant",
      tool_calls: [{ id: "call_1", type: "function", function: { name: "f", arguments: "{}" } }],
    };
    const result = {
      role: "tool",
      tool_call_id: "call_1",
      content: [
        { type: "input_audio", input_audio: { data: "SUQz", format: "mp3" } },
        { type: "file", file: { file_id: "file-1" } },
      ],
    };
    const input = {
      ...request(user(text), asked, result),
      tools: [{ type: "function", function: { name: "f" } }],
    };
    expect(issues(input).map((issue) => `${issue.path}: ${issue.message}`)).toEqual([
      "messages.2.content.0.type: input_audio parts are only allowed in user messages",
      "messages.2.content.1.type: file parts are only allowed in user messages",
    ]);
  });

  it("a prediction holding an image (predictions are text)", () => {
    const input = { ...request(user(text)), prediction: { type: "content", content: [image(png)] } };
    expect(issues(input)[0]).toEqual({ path: "prediction.content.0.type", message: 'must be "text"' });
  });

  it("a real PNG stays accepted at its full size", () => {
    const big = `data:image/png;base64,${testPng(2000, 1500).toString("base64")}`;
    expect(() => parseChatRequest(request(user(image(big))))).not.toThrow();
  });
});
