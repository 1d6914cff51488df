import { pick } from "./random.ts";

type Schema = Record<string, unknown>;

const WORDS = [
  "alpha",
  "river",
  "signal",
  "amber",
  "harbor",
  "quartz",
  "meadow",
  "pixel",
  "summit",
  "violet",
];

/** A value that validates against a (practical subset of) JSON Schema, chosen deterministically. */
export function valueForSchema(
  schema: unknown,
  random: () => number,
  overrides: Record<string, unknown> = {},
  depth = 0,
): unknown {
  if (!schema || typeof schema !== "object" || depth > 8) return null;
  const s = schema as Schema;
  if ("const" in s) return s.const;
  if (Array.isArray(s.enum) && s.enum.length > 0) return pick(s.enum, random);
  const options = (s.anyOf ?? s.oneOf) as unknown[] | undefined;
  if (Array.isArray(options) && options.length > 0)
    return valueForSchema(options[0], random, overrides, depth + 1);
  const type = Array.isArray(s.type) ? (s.type.find((t) => t !== "null") ?? "null") : s.type;
  switch (type) {
    case "object": {
      const properties = (s.properties ?? {}) as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      for (const [key, sub] of Object.entries(properties)) {
        out[key] = key in overrides ? overrides[key] : valueForSchema(sub, random, {}, depth + 1);
      }
      return out;
    }
    case "array": {
      const min = typeof s.minItems === "number" ? s.minItems : 1;
      const max = typeof s.maxItems === "number" ? s.maxItems : Math.max(min, 3);
      const count = Math.min(max, Math.max(min, 1 + Math.floor(random() * 3)));
      return Array.from({ length: count }, () => valueForSchema(s.items, random, {}, depth + 1));
    }
    case "integer":
    case "number": {
      const min = typeof s.minimum === "number" ? s.minimum : 0;
      const max = typeof s.maximum === "number" ? s.maximum : min + 100;
      const value = min + random() * (max - min);
      return type === "integer" ? Math.min(max, Math.ceil(value)) : Math.round(value * 1000) / 1000;
    }
    case "boolean":
      return random() < 0.5;
    case "null":
      return null;
    default: {
      let text = `${pick(WORDS, random)} ${pick(WORDS, random)}`;
      const minLength = typeof s.minLength === "number" ? s.minLength : 0;
      const maxLength = typeof s.maxLength === "number" ? s.maxLength : 200;
      while (text.length < minLength) text += ` ${pick(WORDS, random)}`;
      return text.slice(0, maxLength);
    }
  }
}
