import { describe, expect, it } from "vitest";
import { anthropicImageTokens, imageTokens, openAiPatches, openAiTiles } from "./imageTokens.ts";

const sized = (width: number, height: number, detail?: "auto" | "low" | "high") => ({
  size: { width, height },
  ...(detail ? { detail } : {}),
});

describe("OpenAI image tokens", () => {
  it("charges 85 + 170 per tile on gpt-4o: a 1024x1024 image at high detail is 4 tiles, 765 tokens", () => {
    expect(openAiTiles(1024, 1024)).toBe(4);
    expect(imageTokens(sized(1024, 1024, "high"), "openai", "gpt-4o")).toBe(765);
    expect(imageTokens(sized(1024, 1024, "auto"), "openai", "gpt-4o")).toBe(765);
  });

  it("charges the base alone at low detail, whatever the size", () => {
    expect(imageTokens(sized(1024, 1024, "low"), "openai", "gpt-4o")).toBe(85);
    expect(imageTokens(sized(4000, 3000, "low"), "openai", "gpt-4.1")).toBe(85);
  });

  it("fits 2048x2048 first, then scales the shortest side to 768 (OpenAI's 2048x4096 example: 1105)", () => {
    expect(openAiTiles(2048, 4096)).toBe(6);
    expect(imageTokens(sized(2048, 4096, "high"), "openai", "gpt-4o")).toBe(1105);
  });

  it("never scales small images up: a 1x1 image is one tile", () => {
    expect(imageTokens(sized(1, 1), "openai", "gpt-4o")).toBe(255);
    expect(openAiTiles(1, 10_000)).toBe(4);
  });

  it("uses gpt-4o-mini's larger base and tile counts", () => {
    expect(imageTokens(sized(1024, 1024), "openai", "gpt-4o-mini")).toBe(2833 + 4 * 5667);
    expect(imageTokens(sized(1024, 1024, "low"), "openai", "gpt-4o-mini-2024-07-18")).toBe(2833);
  });

  it("counts 32px patches on gpt-4.1-mini and nano (OpenAI's 1800x2400 example shrinks to 1452 patches)", () => {
    expect(openAiPatches(1024, 1024)).toBe(1024);
    expect(openAiPatches(1800, 2400)).toBe(1452);
    expect(imageTokens(sized(1024, 1024), "openai", "gpt-4.1-mini")).toBe(Math.ceil(1024 * 1.62));
    expect(imageTokens(sized(1800, 2400), "openai", "gpt-4.1-nano")).toBe(Math.ceil(1452 * 2.46));
  });

  it("charges an image of unknown size (an https URL) the most its rule allows", () => {
    expect(imageTokens({ detail: "high" }, "openai", "gpt-4o")).toBe(85 + 170 * 8);
    expect(imageTokens({}, "openai", "gpt-4o")).toBe(imageTokens(sized(768, 2048), "openai", "gpt-4o"));
    expect(imageTokens({ detail: "low" }, "openai", "gpt-4o")).toBe(85);
    expect(imageTokens({}, "openai", "gpt-4.1-mini")).toBe(Math.ceil(1536 * 1.62));
    // No size gives more than the worst case.
    for (const [w, h] of [
      [512, 4096],
      [3000, 700],
      [8000, 8000],
      [1536, 768],
    ] as const)
      expect(imageTokens(sized(w, h), "openai", "gpt-4o")).toBeLessThanOrEqual(1445);
  });
});

describe("Anthropic image tokens", () => {
  it("are width x height / 750 below the caps (Anthropic's 200x200 example: about 54)", () => {
    expect(anthropicImageTokens(200, 200)).toBe(54);
    expect(imageTokens(sized(1000, 1000), "anthropic", "claude-sonnet-4-5")).toBe(1334);
  });

  it("scale to a 1568px long edge and about 1.15 megapixels, so no image costs more than 1590", () => {
    expect(anthropicImageTokens(1092, 1092)).toBe(1590);
    expect(anthropicImageTokens(4000, 4000)).toBeLessThanOrEqual(1590);
    expect(anthropicImageTokens(3136, 200)).toBe(Math.ceil((1568 * 100) / 750));
  });

  it("charge an image of unknown size Anthropic's published ceiling, 1600", () => {
    expect(imageTokens({}, "anthropic", "claude-haiku-4-5")).toBe(1600);
  });

  it("ignore detail, which Anthropic does not have", () => {
    expect(imageTokens(sized(500, 500, "low"), "anthropic", "claude-haiku-4-5")).toBe(334);
  });
});
