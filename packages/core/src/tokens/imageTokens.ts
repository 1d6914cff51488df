import type { ModelFamily } from "../models/modelSpec.ts";

/** What an image's token cost depends on: its requested detail and, when known, its pixel size. */
export interface CostedImage {
  detail?: "auto" | "low" | "high" | undefined;
  size?: { width: number; height: number } | undefined;
}

// OpenAI's published rules ("Images and vision", calculating costs). Tile models scale the image to
// fit 2048x2048, then its shortest side to 768, and charge a base plus a price per 512px tile;
// `detail: "low"` is the base alone. Patch models cut the image into 32px patches (at most 1536,
// shrinking larger images to fit) and multiply the patch count.
type OpenAiImageRule = { kind: "tiles"; base: number; tile: number } | { kind: "patches"; percent: number };

const TILE_RULES: readonly [prefix: string, rule: OpenAiImageRule][] = [
  ["gpt-4.1-mini", { kind: "patches", percent: 162 }],
  ["gpt-4.1-nano", { kind: "patches", percent: 246 }],
  ["gpt-5-mini", { kind: "patches", percent: 162 }],
  ["gpt-5-nano", { kind: "patches", percent: 246 }],
  ["o4-mini", { kind: "patches", percent: 172 }],
  // gpt-4o-mini bills images at about the token price of gpt-4o's, hence its larger counts.
  ["gpt-4o-mini", { kind: "tiles", base: 2833, tile: 5667 }],
  ["o1", { kind: "tiles", base: 75, tile: 150 }],
  ["o3", { kind: "tiles", base: 75, tile: 150 }],
];

/** gpt-4o, gpt-4.1, gpt-4.5 and any other model without its own published rule. */
const DEFAULT_RULE: OpenAiImageRule = { kind: "tiles", base: 85, tile: 170 };

/** The most 512px tiles an image can take after OpenAI's scaling (768x2048). */
export const OPENAI_MAX_TILES = 8;
/** The most 32px patches OpenAI's patch models charge for one image. */
export const OPENAI_MAX_PATCHES = 1536;
/** Anthropic's pixel cap: images are scaled to at most this area (1092x1092) and a 1568px long edge. */
export const ANTHROPIC_MAX_PIXELS = 1_192_464;
/** Anthropic's long-edge cap in pixels. */
export const ANTHROPIC_MAX_EDGE = 1568;
/** Anthropic's published ceiling for one image ("about 1,600 tokens"), charged when the size is unknown. */
export const ANTHROPIC_MAX_IMAGE_TOKENS = 1600;

function openAiRule(model: string): OpenAiImageRule {
  return TILE_RULES.find(([prefix]) => model.startsWith(prefix))?.[1] ?? DEFAULT_RULE;
}

/** Tiles of an image after OpenAI's scaling: fit 2048x2048, then shortest side at most 768. */
export function openAiTiles(width: number, height: number): number {
  const fit = Math.min(1, 2048 / Math.max(width, height));
  const w = width * fit;
  const h = height * fit;
  const short = Math.min(1, 768 / Math.min(w, h));
  // A side never scales below one pixel, so a sliver of an image still costs a tile.
  const side = (length: number) => Math.ceil(Math.max(1, Math.floor(length * short)) / 512);
  return side(w) * side(h);
}

/** 32px patches of an image after OpenAI's shrinking to at most 1536 patches. */
export function openAiPatches(width: number, height: number): number {
  const raw = Math.ceil(width / 32) * Math.ceil(height / 32);
  if (raw <= OPENAI_MAX_PATCHES) return raw;
  const shrink = Math.sqrt((32 * 32 * OPENAI_MAX_PATCHES) / (width * height));
  const w = (width * shrink) / 32;
  const h = (height * shrink) / 32;
  // Shrunk further so that one side is a whole number of patches, as OpenAI's worked example does.
  const whole = Math.min(Math.floor(w) / w, Math.floor(h) / h);
  return Math.min(OPENAI_MAX_PATCHES, Math.ceil(w * whole) * Math.ceil(h * whole));
}

function openAiImageTokens(image: CostedImage, model: string): number {
  const rule = openAiRule(model);
  const size = image.size;
  if (rule.kind === "patches") {
    const patches = size ? openAiPatches(size.width, size.height) : OPENAI_MAX_PATCHES;
    return Math.ceil((patches * rule.percent) / 100);
  }
  if (image.detail === "low") return rule.base;
  const tiles = size ? openAiTiles(size.width, size.height) : OPENAI_MAX_TILES;
  return rule.base + rule.tile * tiles;
}

/** Anthropic's estimate: scale to the edge and area caps, then width x height / 750. */
export function anthropicImageTokens(width: number, height: number): number {
  const scale = Math.min(
    1,
    ANTHROPIC_MAX_EDGE / Math.max(width, height),
    Math.sqrt(ANTHROPIC_MAX_PIXELS / (width * height)),
  );
  return Math.ceil((Math.floor(width * scale) * Math.floor(height * scale)) / 750);
}

/**
 * Prompt tokens one image costs on a model (`model` is the provider's name, which selects OpenAI's
 * rule). An image of unknown size (an https URL: Sluice never fetches it) costs the most its rule can
 * charge: 8 tiles on OpenAI tile models (1445 tokens on gpt-4o), 1536 patches on patch models, and
 * Anthropic's published ceiling of 1600 tokens.
 */
export function imageTokens(image: CostedImage, family: ModelFamily, model: string): number {
  if (family === "openai") return openAiImageTokens(image, model);
  const size = image.size;
  return size ? anthropicImageTokens(size.width, size.height) : ANTHROPIC_MAX_IMAGE_TOKENS;
}
