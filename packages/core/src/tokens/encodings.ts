import { createRequire } from "node:module";

/** The OpenAI byte-pair encodings Sluice counts with. */
export type TokenEncoding = "o200k_base" | "cl100k_base";

type EncodingModule = typeof import("gpt-tokenizer/encoding/o200k_base");

/** Counts the tokens of a text in one encoding. */
export type TextTokenCounter = (text: string) => number;

// Each encoding's rank table takes 70-200 ms to load, so it is required on first use instead of
// imported: processes that never count (CLI, migrations) do not pay, and `preloadEncodings` lets a
// server pay at startup rather than on its first request. Only the two encodings in use are loaded.
const require = createRequire(import.meta.url);
const loaders: Record<TokenEncoding, () => EncodingModule> = {
  o200k_base: () => require("gpt-tokenizer/encoding/o200k_base") as EncodingModule,
  cl100k_base: () => require("gpt-tokenizer/encoding/cl100k_base") as EncodingModule,
};

// Text such as "<|endoftext|>" in a prompt is plain text to the model, not a control token; the
// library's default would throw on it.
const plainText = { disallowedSpecial: new Set<string>() };

const counters = new Map<TokenEncoding, TextTokenCounter>();

/** The cached counter for an encoding, loading it on first use. */
export function tokenCounter(encoding: TokenEncoding): TextTokenCounter {
  let counter = counters.get(encoding);
  if (counter === undefined) {
    const { countTokens } = loaders[encoding]();
    counter = (text) => (text.length === 0 ? 0 : countTokens(text, plainText));
    counters.set(encoding, counter);
  }
  return counter;
}

/** Loads encodings now (default: both), so no request waits for it. */
export function preloadEncodings(encodings: readonly TokenEncoding[] = ["o200k_base", "cl100k_base"]): void {
  for (const encoding of encodings) tokenCounter(encoding);
}

// GPT-4 (incl. -turbo), GPT-3.5 and the text-embedding-3/ada-002 models use cl100k; everything newer
// (gpt-4o, gpt-4.1, gpt-4.5, gpt-5, o-series) uses o200k, which is also the guess for unknown
// OpenAI-compatible models.
const cl100kModels = /^(gpt-4($|-)|gpt-3\.5|gpt-35|text-embedding-(3|ada))/;

/** The encoding an OpenAI-family model uses, from its upstream name (`org/` prefixes are ignored). */
export function encodingForModel(model: string): TokenEncoding {
  const name = model.slice(model.lastIndexOf("/") + 1).toLowerCase();
  return cl100kModels.test(name) ? "cl100k_base" : "o200k_base";
}
