// OpenAI's published image pricing rules, restated here because the simulator depends on nothing of
// Sluice's: tile models scale to fit 2048x2048 then the shortest side to 768 and charge a base plus a
// price per 512px tile (the base alone at detail "low"); patch models count 32px patches (at most
// 1536) times a multiplier. An image whose size cannot be read (an https URL: nothing is fetched)
// costs the rule's most.

type Rule = { base: number; tile: number } | { percent: number };

const RULES: [string, Rule][] = [
  ["gpt-4.1-mini", { percent: 162 }],
  ["gpt-4.1-nano", { percent: 246 }],
  ["gpt-4o-mini", { base: 2833, tile: 5667 }],
];

interface Size {
  width: number;
  height: number;
}

function tiles({ width, height }: Size): number {
  const fit = Math.min(1, 2048 / Math.max(width, height));
  const short = Math.min(1, 768 / Math.min(width * fit, height * fit));
  const side = (n: number) => Math.ceil(Math.max(1, Math.floor(n * fit * short)) / 512);
  return side(width) * side(height);
}

function patches({ width, height }: Size): number {
  const raw = Math.ceil(width / 32) * Math.ceil(height / 32);
  if (raw <= 1536) return raw;
  const shrink = Math.sqrt((1024 * 1536) / (width * height));
  const w = (width * shrink) / 32;
  const h = (height * shrink) / 32;
  const whole = Math.min(Math.floor(w) / w, Math.floor(h) / h);
  return Math.min(1536, Math.ceil(w * whole) * Math.ceil(h * whole));
}

/** PNG, GIF, JPEG or extended WebP size from base64 bytes; undefined when unreadable. */
function sizeOf(base64: string): Size | undefined {
  const b = Buffer.from(base64, "base64");
  if (b.length >= 24 && b.toString("latin1", 12, 16) === "IHDR")
    return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
  if (b.toString("latin1", 0, 3) === "GIF") return { width: b.readUInt16LE(6), height: b.readUInt16LE(8) };
  if (b.toString("latin1", 8, 16) === "WEBPVP8X")
    return { width: b.readUIntLE(24, 3) + 1, height: b.readUIntLE(27, 3) + 1 };
  if (b[0] !== 0xff || b[1] !== 0xd8) return undefined;
  for (let at = 2; at + 9 <= b.length; at += 2 + b.readUInt16BE(at + 2)) {
    const marker = b[at + 1] ?? 0;
    if (marker >= 0xc0 && marker <= 0xcf && ![0xc4, 0xc8, 0xcc].includes(marker))
      return { width: b.readUInt16BE(at + 7), height: b.readUInt16BE(at + 5) };
  }
  return undefined;
}

/** Prompt tokens of one `image_url` part's `{ url, detail }` on a model. */
export function imagePromptTokens(model: string, image: { url?: unknown; detail?: unknown }): number {
  const rule = RULES.find(([prefix]) => model.startsWith(prefix))?.[1] ?? { base: 85, tile: 170 };
  const url = typeof image.url === "string" ? image.url : "";
  const comma = url.indexOf(",");
  const size = url.startsWith("data:image/") && comma > 0 ? sizeOf(url.slice(comma + 1)) : undefined;
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
