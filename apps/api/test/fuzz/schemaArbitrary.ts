import fc from "fast-check";
import { z } from "zod";

/** The parts of a JSON Schema the input generator follows; anything else becomes a hostile value. */
interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema | false;
  /** A tuple's leading items (`z.tuple`), followed by any number of `items`. */
  prefixItems?: JsonSchema[];
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  enum?: unknown[];
  const?: unknown;
  format?: string;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minItems?: number;
  maxItems?: number;
  $ref?: string;
  $defs?: Record<string, JsonSchema>;
}

/** Values the API knows about, mixed into generated fields so inputs reach past validation. */
export interface DomainHints {
  /** Ids of real rows (the caller's own and other tenants'), used where a uuid goes. */
  ids: readonly string[];
  /** Known names: models, cascades, job kinds, statuses. */
  strings: readonly string[];
}

// Generated inputs stay small: the hostile generators cover size separately.
const MAX_GENERATED_LENGTH = 40;
const MAX_GENERATED_ITEMS = 4;
// Depth counts nested values (objects, arrays) and references, not union branches: a recursive
// schema recurses through a reference, so it still ends here.
const MAX_DEPTH = 16;

/** Schemas whose inputs are generated from another, narrower schema (see {@link generatedAs}). */
const generatedFrom = new WeakMap<object, z.ZodType>();

/**
 * A copy of `schema` that parses as `schema` does but whose inputs are generated like `narrow`'s:
 * generated inputs stay small and mostly valid, while "is this refused?" still asks the real schema.
 */
export function generatedAs<T extends z.ZodType>(schema: T, narrow: z.ZodType): T {
  const copy = schema.clone() as T;
  generatedFrom.set(copy, narrow);
  return copy;
}

function toJsonSchema(schema: z.ZodType): JsonSchema {
  return z.toJSONSchema(schema, {
    unrepresentable: "any",
    io: "input",
    override: ({ zodSchema, jsonSchema }) => {
      const narrow = generatedFrom.get(zodSchema);
      if (!narrow) return;
      const { $schema: _dialect, ...replacement } = toJsonSchema(narrow) as Record<string, unknown>;
      for (const key of Object.keys(jsonSchema)) delete (jsonSchema as Record<string, unknown>)[key];
      Object.assign(jsonSchema, replacement);
    },
  }) as JsonSchema;
}

/** The JSON Schema of a procedure's input parser, as the client would send it (defaults optional). */
export function inputJsonSchema(parser: unknown): JsonSchema | undefined {
  if (!(parser instanceof z.ZodType)) return undefined;
  try {
    return toJsonSchema(parser);
  } catch {
    return undefined;
  }
}

/**
 * Inputs shaped like the schema (field names, types, bounds, known ids and names): mostly valid, so
 * the fuzz reaches handlers and not only the parser. `other` fills fields the schema leaves open.
 */
export function schemaArbitrary(
  schema: JsonSchema,
  hints: DomainHints,
  other: fc.Arbitrary<unknown>,
): fc.Arbitrary<unknown> {
  const defs = schema.$defs ?? {};
  const build = (s: JsonSchema, depth: number): fc.Arbitrary<unknown> => {
    if (depth > MAX_DEPTH) return other;
    if (s.$ref) {
      const target = defs[s.$ref.replace(/^#\/\$defs\//, "")];
      return target ? build(target, depth + 1) : other;
    }
    if (s.const !== undefined) return fc.constant(s.const);
    if (s.enum) return fc.constantFrom(...s.enum);
    const alternatives = s.anyOf ?? s.oneOf;
    if (alternatives?.length) return fc.oneof(...alternatives.map((a) => build(a, depth)));
    if (s.allOf?.[0]) return build(s.allOf[0], depth);
    if (Array.isArray(s.type)) return fc.oneof(...s.type.map((type) => build({ ...s, type }, depth)));
    switch (s.type) {
      case "object":
        return objectArbitrary(s, (p) => build(p, depth + 1));
      case "array":
        return arrayArbitrary(s, (item) => build(item, depth + 1), other);
      case "string":
        return stringArbitrary(s, hints);
      case "integer": {
        const min = bound(s.minimum ?? s.exclusiveMinimum, -1e6);
        return fc.integer({ min, max: Math.max(min, bound(s.maximum ?? s.exclusiveMaximum, 1e6)) });
      }
      case "number": {
        const min = bound(s.minimum, -1e6);
        const max = Math.max(min, bound(s.maximum, 1e6));
        return fc.double({ min, max, noNaN: true, noDefaultInfinity: true });
      }
      case "boolean":
        return fc.boolean();
      case "null":
        return fc.constant(null);
      default:
        return other;
    }
  };
  return build(schema, 0);
}

function arrayArbitrary(
  s: JsonSchema,
  build: (item: JsonSchema) => fc.Arbitrary<unknown>,
  other: fc.Arbitrary<unknown>,
): fc.Arbitrary<unknown[]> {
  const prefix = (s.prefixItems ?? []).map(build);
  const maxLength = Math.max(
    s.minItems ?? 0,
    Math.min(s.maxItems ?? MAX_GENERATED_ITEMS, MAX_GENERATED_ITEMS),
  );
  const restMin = Math.max(0, (s.minItems ?? 0) - prefix.length);
  const restMax = s.items === false ? 0 : Math.max(restMin, maxLength - prefix.length);
  const rest = fc.array(s.items ? build(s.items) : other, { minLength: restMin, maxLength: restMax });
  if (prefix.length === 0) return rest;
  return fc.tuple(fc.tuple(...prefix), rest).map(([head, tail]) => [...head, ...tail]);
}

function objectArbitrary(s: JsonSchema, build: (p: JsonSchema) => fc.Arbitrary<unknown>) {
  const properties = s.properties ?? {};
  const model: Record<string, fc.Arbitrary<unknown>> = {};
  for (const [key, property] of Object.entries(properties)) model[key] = build(property);
  const requiredKeys = (s.required ?? []).filter((k) => k in model);
  return fc.record(model, { requiredKeys });
}

function stringArbitrary(s: JsonSchema, hints: DomainHints): fc.Arbitrary<string> {
  const minLength = s.minLength ?? 0;
  const maxLength = Math.max(minLength, Math.min(s.maxLength ?? MAX_GENERATED_LENGTH, MAX_GENERATED_LENGTH));
  if (s.format === "uuid") {
    return fc.oneof(...(hints.ids.length ? [{ arbitrary: fc.constantFrom(...hints.ids), weight: 3 }] : []), {
      arbitrary: fc.uuid(),
      weight: 1,
    });
  }
  if (s.format === "uri") return fc.webUrl();
  if (s.format === "email") return fc.emailAddress();
  if (s.format === "date-time") return fc.date({ noInvalidDate: true }).map((d) => d.toISOString());
  const plain = fc.string({ minLength, maxLength });
  const known = hints.strings.filter((v) => v.length >= minLength && v.length <= (s.maxLength ?? Infinity));
  const patterned = s.pattern ? matching(s.pattern, maxLength) : undefined;
  return fc.oneof(
    ...(known.length ? [fc.constantFrom(...known)] : []),
    ...(patterned ? [patterned] : []),
    plain,
  );
}

function matching(pattern: string, maxLength: number): fc.Arbitrary<string> | undefined {
  try {
    return fc.stringMatching(new RegExp(pattern), { size: "xsmall" }).filter((v) => v.length <= maxLength);
  } catch {
    return undefined;
  }
}

function bound(value: number | undefined, fallback: number): number {
  if (value === undefined || !Number.isFinite(value)) return fallback;
  return Math.max(Number.MIN_SAFE_INTEGER, Math.min(Number.MAX_SAFE_INTEGER, value));
}
