import { SluiceError } from "../errors/sluiceError.ts";

/** What a key allows on its own, on top of its tenant's limits. */
export interface ApiKeyPolicy {
  id: string;
  rateLimitRpm?: number | null;
  rateLimitTpm?: number | null;
  /** Model and cascade patterns; null or absent allows every model. */
  allowedModels?: string[] | null;
}

const patternCache = new Map<string, RegExp>();

function patternRegExp(pattern: string): RegExp {
  let re = patternCache.get(pattern);
  if (!re) {
    const body = pattern
      .split("*")
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
      .join(".*");
    re = new RegExp(`^${body}$`);
    if (patternCache.size > 1_000) patternCache.clear();
    patternCache.set(pattern, re);
  }
  return re;
}

/**
 * Whether a model id matches one of the patterns (`*` matches any characters). A cascade is named
 * either way: `support-*` and `cascade:support-*` both allow `cascade:support-fast`.
 */
export function modelAllowed(patterns: readonly string[] | null | undefined, model: string): boolean {
  if (!patterns) return true;
  const bare = model.startsWith("cascade:") ? model.slice("cascade:".length) : undefined;
  return patterns.some(
    (p) => patternRegExp(p).test(model) || (bare !== undefined && patternRegExp(p).test(bare)),
  );
}

/** Throws `model_not_allowed` (403) when the key may not call `model`. */
export function assertModelAllowed(
  apiKey: Pick<ApiKeyPolicy, "allowedModels"> | undefined,
  model: string,
): void {
  if (!apiKey || modelAllowed(apiKey.allowedModels, model)) return;
  throw new SluiceError("model_not_allowed", `this API key may not call "${model}"`, {
    details: { model, allowedModels: apiKey.allowedModels },
  });
}

function hasControlCharacter(value: string): boolean {
  for (let i = 0; i < value.length; i++) if (value.charCodeAt(i) < 0x20) return true;
  return false;
}

/** Longest end-user id kept on call-log rows. */
export const MAX_END_USER_LENGTH = 256;

/**
 * The end user a request names, from the `X-Sluice-User` header (which wins: a proxy in front of
 * Sluice sets it for the user it authenticated) or the body's field (`user`, Anthropic's
 * `metadata.user_id`). Blank is none; too long, or a Sluice key pasted by mistake, is a 400.
 */
export function endUserOf(header: string | string[] | undefined, field: unknown): string | undefined {
  const raw = Array.isArray(header) ? header[0] : header;
  const value = (
    raw !== undefined && raw.trim() !== "" ? raw : typeof field === "string" ? field : ""
  ).trim();
  if (value === "") return undefined;
  if (value.length > MAX_END_USER_LENGTH)
    throw new SluiceError(
      "validation_error",
      `the end user id is longer than ${MAX_END_USER_LENGTH} characters`,
    );
  if (/^slk_[A-Za-z0-9]{8}_/.test(value) || hasControlCharacter(value))
    throw new SluiceError(
      "validation_error",
      "the end user id must be an id, not an API key or control characters",
    );
  return value;
}
