import { imageSizeOf } from "../imageSize.ts";

// Anthropic's published rule: an image whose long edge passes 1568 px is scaled down to it, and one
// costs about width × height / 750 tokens, at most about 1600 (larger images are shrunk to fit).
// A URL source is never fetched, so its size is unknown: it costs the most, 1600.
const LONG_EDGE = 1568;
const PIXELS_PER_TOKEN = 750;

/** The most one image costs, and what an image of unknown size (a URL source) is counted as. */
export const MAX_IMAGE_TOKENS = 1600;

/** Prompt tokens of one image of this size. */
export function imageTokensForSize(width: number, height: number): number {
  const scale = Math.min(1, LONG_EDGE / Math.max(width, height, 1));
  const tokens = Math.ceil((Math.round(width * scale) * Math.round(height * scale)) / PIXELS_PER_TOKEN);
  return Math.max(1, Math.min(MAX_IMAGE_TOKENS, tokens));
}

/** Prompt tokens of an image block's `source` (base64 bytes are read; anything else costs the most). */
export function imageSourceTokens(source: { type?: unknown; data?: unknown }): number {
  const size =
    source.type === "base64" && typeof source.data === "string"
      ? imageSizeOf(Buffer.from(source.data, "base64"))
      : undefined;
  return size ? imageTokensForSize(size.width, size.height) : MAX_IMAGE_TOKENS;
}
