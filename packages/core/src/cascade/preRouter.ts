import type { ProviderMessage } from "../providers/provider.ts";

const HARD_WORDS =
  /\b(analy[sz]e|compare|prove|derive|step[- ]by[- ]step|trade-?offs?|architecture|legal|contract|multi-?step|optimi[sz]e|debug|refactor)\b/gi;

/**
 * A cheap complexity estimate in [0, 1] from the prompt alone: length and words that signal
 * reasoning-heavy requests. `[[sim:hard]]` marks a prompt hard (for tests and demos).
 */
export function estimateComplexity(messages: ProviderMessage[]): number {
  const text = messages.map((m) => m.content).join("\n");
  if (text.includes("[[sim:hard]]")) return 1;
  const lengthScore = Math.min(0.4, text.length / 10_000);
  const hardWords = Math.min(3, (text.match(HARD_WORDS) ?? []).length) * 0.15;
  return Math.min(1, Math.round((lengthScore + hardWords) * 1000) / 1000);
}
