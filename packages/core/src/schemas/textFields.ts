import { z } from "zod";

// Postgres `text` and `jsonb` cannot store NUL, so it is refused at the door rather than at insert time.
const NUL = "\u0000";

/** Message used wherever a NUL character is found. */
export const nullByteMessage = "must not contain null bytes (\\u0000)";

/** A string of at most `max` characters that Postgres can store; `min` defaults to 1 (non-empty). */
export function boundedText(max: number, min = 1) {
  return z
    .string()
    .min(min, min === 1 ? "must not be empty" : `must be at least ${min} characters`)
    .max(max, `must be at most ${max} characters`)
    .refine((value) => !value.includes(NUL), nullByteMessage);
}

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

function containsNullByte(value: unknown, depth: number): boolean {
  // The depth cap keeps a hostile, deeply nested document from exhausting the stack.
  if (depth > 64) return true;
  if (typeof value === "string") return value.includes(NUL);
  if (Array.isArray(value)) return value.some((item) => containsNullByte(item, depth + 1));
  if (value !== null && typeof value === "object") {
    return Object.entries(value).some(
      ([key, item]) => key.includes(NUL) || containsNullByte(item, depth + 1),
    );
  }
  return false;
}

/** A JSON object (such as a JSON Schema) that Postgres `jsonb` can store. */
export const jsonObjectSchema = z
  .record(z.string(), z.unknown())
  .refine(
    (value) => !containsNullByte(value, 0),
    "must not contain null bytes (\\u0000) or nest deeper than 64 levels",
  );
