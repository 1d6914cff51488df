const TOKEN = /\s*[A-Za-z0-9]+|\s*[^\sA-Za-z0-9]/g;

/** Splits text into simulator tokens (a word or one symbol, with its leading space). */
export function splitTokens(text: string): string[] {
  return text.match(TOKEN) ?? [];
}

/** A deterministic token estimate: roughly one per word or symbol. */
export function countTokens(text: string): number {
  let n = 0;
  TOKEN.lastIndex = 0;
  while (TOKEN.exec(text)) n++;
  return n;
}

/** Prompt tokens of a chat: content plus a small per-message overhead, as providers count it. */
export function countPromptTokens(contents: string[]): number {
  let total = 3;
  for (const c of contents) total += 3 + countTokens(c);
  return total;
}
