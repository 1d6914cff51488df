import { describe, expect, it } from "vitest";
import type { ProviderMessage } from "../providers/provider.ts";
import { testPngDataUrl } from "../testing/testImages.ts";
import { imageTokens } from "./imageTokens.ts";
import {
  audioSeconds,
  contentPartTokens,
  FILE_ID_PAGES,
  FILE_PAGE_TEXT_TOKENS,
  pdfPages,
} from "./partTokens.ts";
import { countChatTokens } from "./tokenCount.ts";

const text: ProviderMessage = { role: "user", content: "What is in this picture?" };
const withImage = (size?: { width: number; height: number }): ProviderMessage => ({
  ...text,
  parts: [
    { type: "text", text: "What is in this picture?" },
    {
      type: "image",
      source: size
        ? { kind: "base64", mediaType: "image/png", data: "" }
        : { kind: "url", url: "https://x.test/a.png" },
      ...(size ? { size } : {}),
    },
  ],
});

/** A WAV file header for `seconds` of 16 kHz 16-bit mono audio, with silence as its samples. */
function wavBase64(seconds: number): string {
  const dataBytes = 32_000 * seconds;
  const header = Buffer.alloc(44);
  header.write("RIFF", 0, "latin1");
  header.writeUInt32LE(36 + dataBytes, 4);
  header.write("WAVEfmt ", 8, "latin1");
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(16_000, 24);
  header.writeUInt32LE(32_000, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write("data", 36, "latin1");
  header.writeUInt32LE(dataBytes, 40);
  return Buffer.concat([header, Buffer.alloc(dataBytes)]).toString("base64");
}

const pdf = (pages: number) =>
  Buffer.from(
    `%PDF-1.4\n1 0 obj << /Type /Pages /Count ${pages} >> endobj\n${"2 0 obj << /Type /Page >> endobj\n".repeat(pages)}%%EOF`,
  ).toString("base64");

describe("countChatTokens with content parts", () => {
  it("adds an image's cost by the model's rule to the text's count", () => {
    const plain = countChatTokens([text], "openai", "gpt-4o");
    expect(countChatTokens([withImage({ width: 1024, height: 1024 })], "openai", "gpt-4o")).toBe(plain + 765);
    expect(countChatTokens([withImage({ width: 1024, height: 1024 })], "openai", "gpt-4o-mini")).toBe(
      countChatTokens([text], "openai", "gpt-4o-mini") + 2833 + 4 * 5667,
    );
  });

  it("charges an https image the worst case of the rule", () => {
    expect(countChatTokens([withImage()], "openai", "gpt-4o")).toBe(
      countChatTokens([text], "openai", "gpt-4o") + 1445,
    );
  });

  it("does not apply the Anthropic text margin to image tokens", () => {
    const size = { width: 1000, height: 1000 };
    expect(countChatTokens([withImage(size)], "anthropic", "claude-haiku-4-5")).toBe(
      countChatTokens([text], "anthropic", "claude-haiku-4-5") + 1334,
    );
  });

  it("counts the image parts of a validated request's messages the same as a provider message's", () => {
    const url = testPngDataUrl(1024, 1024);
    const request = {
      model: "gpt-4o",
      messages: [
        {
          role: "user",
          content: [
            { type: "text" as const, text: "What is in this picture?" },
            { type: "image_url" as const, image_url: { url } },
          ],
        },
      ],
    };
    expect(countChatTokens(request, "openai")).toBe(countChatTokens([text], "openai", "gpt-4o") + 765);
  });
});

describe("audio and file estimates", () => {
  it("reads a WAV's duration from its header: 10 tokens a second", () => {
    expect(audioSeconds(wavBase64(3), "wav")).toBe(3);
    expect(
      contentPartTokens(
        { type: "audio", format: "wav", data: wavBase64(2) },
        "openai",
        "gpt-4o-audio-preview",
      ),
    ).toBe(20);
  });

  it("estimates MP3 at 16 kbps, so a real recording is never under-counted", () => {
    const data = Buffer.alloc(20_000).toString("base64");
    expect(audioSeconds(data, "mp3")).toBe(10);
    expect(contentPartTokens({ type: "audio", format: "mp3", data }, "openai", "gpt-4o-audio-preview")).toBe(
      100,
    );
  });

  it("counts a PDF's page objects, not its page tree", () => {
    expect(pdfPages(pdf(3))).toBe(3);
    expect(pdfPages(`data:application/pdf;base64,${pdf(2)}`)).toBe(2);
  });

  it("charges each page its text allowance plus one page image on the model", () => {
    const page =
      FILE_PAGE_TEXT_TOKENS + imageTokens({ size: { width: 1275, height: 1650 } }, "openai", "gpt-4o");
    expect(contentPartTokens({ type: "file", fileData: pdf(4) }, "openai", "gpt-4o")).toBe(4 * page);
    expect(contentPartTokens({ type: "file", fileId: "file-1" }, "openai", "gpt-4o")).toBe(
      FILE_ID_PAGES * page,
    );
  });
});
