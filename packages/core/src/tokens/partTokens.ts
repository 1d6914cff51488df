import type { ModelFamily } from "../models/modelSpec.ts";
import type { ProviderContentPart } from "../providers/provider.ts";
import { imageTokens } from "./imageTokens.ts";

// Audio: OpenAI's audio models bill about 10 tokens per second of input audio (one per 100 ms). The
// duration of a WAV file is read from its header; otherwise it is estimated from the byte count at a
// low bit rate (8 kHz 8-bit mono WAV, 16 kbps MP3), so the estimate errs high, never low.
/** Audio tokens per second of input. */
export const AUDIO_TOKENS_PER_SECOND = 10;
const FLOOR_BYTES_PER_SECOND = { wav: 8_000, mp3: 2_000 } as const;

// Files (PDFs): both providers give the model each page's text and an image of the page. A page
// counts 3,000 text tokens (the top of Anthropic's published 1,500-3,000 range) plus the model's
// cost of one page image (a US-letter page at 150 dpi, 1275x1650). Pages are counted from the PDF's
// page objects; a PDF whose pages hide in compressed object streams counts one page per 50 KB.
// A file known only by `file_id` (Sluice never downloads it) counts as 3 pages.
/** Text tokens counted per file page. */
export const FILE_PAGE_TEXT_TOKENS = 3_000;
/** Pages counted for a file sent only by id. */
export const FILE_ID_PAGES = 3;
const PAGE_IMAGE = { width: 1275, height: 1650 } as const;
const BYTES_PER_UNCOUNTED_PAGE = 50_000;

const counted = new WeakMap<object, number>();

function once(part: object, compute: () => number): number {
  const known = counted.get(part);
  if (known !== undefined) return known;
  const value = compute();
  counted.set(part, value);
  return value;
}

function base64Of(data: string): string {
  const comma = data.startsWith("data:") ? data.indexOf(",") : -1;
  return comma < 0 ? data : data.slice(comma + 1);
}

/** Seconds of audio: from a WAV header when readable, else at the format's floor bit rate. */
export function audioSeconds(data: string, format: "wav" | "mp3"): number {
  const bytes = Buffer.from(base64Of(data), "base64");
  if (format === "wav" && bytes.toString("latin1", 0, 4) === "RIFF" && bytes.length >= 44) {
    const byteRate = bytes.readUInt32LE(28);
    if (byteRate > 0) return Math.max(0, bytes.length - 44) / byteRate;
  }
  return bytes.length / FLOOR_BYTES_PER_SECOND[format];
}

/** Pages of a PDF: its page objects, or one per 50 KB when none can be seen. */
export function pdfPages(data: string): number {
  const text = Buffer.from(base64Of(data), "base64").toString("latin1");
  const pages = text.match(/\/Type\s*\/Page(?![A-Za-z])/g)?.length ?? 0;
  return pages > 0 ? pages : Math.max(1, Math.ceil(text.length / BYTES_PER_UNCOUNTED_PAGE));
}

/**
 * Prompt tokens of one non-text part on a model (`model` is the provider's name): images by the
 * provider's published rule, audio and files by the estimates above. Text parts count 0 here: their
 * text is counted with the message's.
 */
export function contentPartTokens(part: ProviderContentPart, family: ModelFamily, model: string): number {
  switch (part.type) {
    case "text":
      return 0;
    case "image":
      return imageTokens(part, family, model);
    case "audio": {
      const seconds = once(part, () => audioSeconds(part.data, part.format));
      return Math.ceil(seconds * AUDIO_TOKENS_PER_SECOND);
    }
    case "file": {
      const data = part.fileData;
      const pages = data === undefined ? FILE_ID_PAGES : once(part, () => pdfPages(data));
      return pages * (FILE_PAGE_TEXT_TOKENS + imageTokens({ size: PAGE_IMAGE }, family, model));
    }
  }
}
