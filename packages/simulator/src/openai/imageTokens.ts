// OpenAI's published image pricing rules, restated here because the simulator depends on nothing of
// Sluice's: tile models scale to fit 2048x2048 then the shortest side to 768 and charge a base plus a
// price per 512px tile (the base alone at detail "low"); patch models count 32px patches (at most
// 1536) times a multiplier. An image whose size cannot be read (an https URL: nothing is fetched)
// costs the rule's most.

import { type ImageSize, imageSizeOf } from "../imageSize.ts";

type Rule = { base: number; tile: number } | { percent: number };

const RULES: [string, Rule][] = [
  ["gpt-4.1-mini", { percent: 162 }],
  ["gpt-4.1-nano", { percent: 246 }],
  ["gpt-4o-mini", { base: 2833, tile: 5667 }],
];

function tiles({ width, height }: ImageSize): number {
  const fit = Math.min(1, 2048 / Math.max(width, height));
  const short = Math.min(1, 768 / Math.min(width * fit, height * fit));
  const side = (n: number) => Math.ceil(Math.max(1, Math.floor(n * fit * short)) / 512);
  return side(width) * side(height);
}

function patches({ width, height }: ImageSize): number {
  const raw = Math.ceil(width / 32) * Math.ceil(height / 32);
  if (raw <= 1536) return raw;
  const shrink = Math.sqrt((1024 * 1536) / (width * height));
  const w = (width * shrink) / 32;
  const h = (height * shrink) / 32;
  const whole = Math.min(Math.floor(w) / w, Math.floor(h) / h);
  return Math.min(1536, Math.ceil(w * whole) * Math.ceil(h * whole));
}

/** Prompt tokens of one `image_url` part's `{ url, detail }` on a model. */
export function imagePromptTokens(model: string, image: { url?: unknown; detail?: unknown }): number {
  const rule = RULES.find(([prefix]) => model.startsWith(prefix))?.[1] ?? { base: 85, tile: 170 };
  const url = typeof image.url === "string" ? image.url : "";
  const comma = url.indexOf(",");
  const size =
    url.startsWith("data:image/") && comma > 0
      ? imageSizeOf(Buffer.from(url.slice(comma + 1), "base64"))
      : undefined;
  if ("percent" in rule) return Math.ceil(((size ? patches(size) : 1536) * rule.percent) / 100);
  if (image.detail === "low") return rule.base;
  return rule.base + rule.tile * (size ? tiles(size) : 8);
}

/** Image tokens of every `image_url` part in a chat's messages. */
export function messagesImageTokens(model: string, messages: { content?: unknown }[]): number {
  let total = 0;
  for (const message of messages) {
    if (!Array.isArray(message?.content)) continue;
    for (const part of message.content) {
      if (part && typeof part === "object" && part.type === "image_url" && part.image_url)
        total += imagePromptTokens(model, part.image_url);
    }
  }
  return total;
}
