import { z } from "zod";

// Postgres `text` and `jsonb` cannot store NUL, so it is refused at the door rather than at insert time.
const NUL = "\u0000";

/** Message used wherever a NUL character is found. */
export const nullByteMessage = "must not contain null bytes (\\u0000)";

/** Message used wherever a lone UTF-16 surrogate is found (`jsonb` refuses its `\\ud800` escape). */
export const loneSurrogateMessage = "must be well-formed Unicode (no lone surrogates such as \\ud800)";

/** A string of at most `max` characters that Postgres can store; `min` defaults to 1 (non-empty). */
export function boundedText(max: number, min = 1) {
  return z
    .string()
    .min(min, min === 1 ? "must not be empty" : `must be at least ${min} characters`)
    .max(max, `must be at most ${max} characters`)
    .refine((value) => !value.includes(NUL), nullByteMessage)
    .refine((value) => value.isWellFormed(), loneSurrogateMessage);
}

/** An http(s) URL of at most 2,000 characters that Postgres can store: where webhooks are posted. */
export const webhookUrlSchema = z
  .url({ protocol: /^https?$/ })
  .max(2000)
  .refine((value) => !value.includes(NUL), nullByteMessage);

/** Model names: provider ids, `org/model` forms and cascades addressed as `cascade:<name>`. */
export const modelNameSchema = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$/,
    "must be 1-128 characters of letters, digits, '.', '-', '_', ':' or '/', starting with a letter or digit",
  );

/** A name OpenAI accepts for message authors and JSON schemas. */
export const identifierSchema = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,64}$/, "must be 1-64 characters of letters, digits, '_' or '-'");

const unstorable = (text: string) => text.includes(NUL) || !text.isWellFormed();

function containsUnstorableText(value: unknown, depth: number): boolean {
  // The depth cap keeps a hostile, deeply nested document from exhausting the stack.
  if (depth > 64) return true;
  if (typeof value === "string") return unstorable(value);
  if (Array.isArray(value)) return value.some((item) => containsUnstorableText(item, depth + 1));
  if (value !== null && typeof value === "object") {
    return Object.entries(value).some(
      ([key, item]) => unstorable(key) || containsUnstorableText(item, depth + 1),
    );
  }
  return false;
}

/** A JSON object (such as a JSON Schema) that Postgres `jsonb` can store. */
export const jsonObjectSchema = z
  .record(z.string(), z.unknown())
  .refine(
    (value) => !containsUnstorableText(value, 0),
    "must not contain null bytes (\\u0000) or lone surrogates, or nest deeper than 64 levels",
  );
