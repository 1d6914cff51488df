import { Ajv2020, type ErrorObject, type ValidateFunction } from "ajv/dist/2020.js";
import { RE2JS } from "re2js";
import { SluiceError } from "../errors/sluiceError.ts";

/** Checks a value against one JSON Schema: the first problem as `path: message`, or undefined when valid. */
export type JsonSchemaCheck = (value: unknown) => string | undefined;

/**
 * `pattern` and `patternProperties` come from tenants' requests and are run on model output: matched
 * in linear time (RE2 semantics) so no pattern can stall the process. Patterns RE2 cannot express
 * (lookaround, backreferences) make the schema unusable, a 400 naming it.
 */
const linearRegExp = Object.assign(
  (pattern: string) => {
    const compiled = RE2JS.compile(pattern);
    // Ajv shares one compiled pattern per distinct `toString()`: it must name the pattern.
    return { test: (text: string) => compiled.matcher(text).find(), toString: () => `re2:${pattern}` };
  },
  { code: 'require("re2js").RE2JS.compile' },
);

// Request schemas are written for OpenAI, which tolerates keywords and formats Ajv would refuse in
// strict mode; the gate here is types, required fields, enums and bounds. `addUsedSchema: false`
// keeps a schema's `$id` from clashing with another request's schema of the same id.
const ajv = new Ajv2020({
  strict: false,
  allErrors: false,
  validateFormats: false,
  addUsedSchema: false,
  logger: false,
  code: { regExp: linearRegExp },
});

/** Compiled schemas by their JSON text, oldest first; bounded because each request brings its own. */
const compiled = new Map<string, { schema: object; validate: ValidateFunction }>();
const MAX_COMPILED = 256;

function pathOf(error: ErrorObject): string {
  const at = error.instancePath
    .split("/")
    .slice(1)
    .map((part) => part.replaceAll("~1", "/").replaceAll("~0", "~"));
  const missing = error.keyword === "required" ? String(error.params.missingProperty) : undefined;
  if (missing !== undefined) return [...at, missing].join(".");
  return at.length === 0 ? "(root)" : at.join(".");
}

function messageOf(error: ErrorObject): string {
  return error.keyword === "required" ? "is required" : (error.message ?? "is invalid");
}

function compile(schema: Record<string, unknown>): ValidateFunction {
  const text = JSON.stringify(schema);
  const hit = compiled.get(text);
  if (hit) {
    compiled.delete(text);
    compiled.set(text, hit);
    return hit.validate;
  }
  // A `$schema` naming another draft would make Ajv look the meta-schema up; the keywords that
  // matter are read the same way by every draft in use.
  const { $schema: _draft, ...body } = schema;
  const validate = ajv.compile(body);
  compiled.set(text, { schema: body, validate });
  if (compiled.size > MAX_COMPILED) {
    const [oldest, entry] = compiled.entries().next().value as [string, { schema: object }];
    compiled.delete(oldest);
    ajv.removeSchema(entry.schema);
  }
  return validate;
}

/**
 * Compiles a request's JSON Schema once (cached by its text) into a check. A schema that does not
 * compile is the request's fault: a `validation_error` naming `field` (its path in the request).
 */
export function jsonSchemaCheck(schema: Record<string, unknown>, field: string): JsonSchemaCheck {
  let validate: ValidateFunction;
  try {
    validate = compile(schema);
  } catch (error) {
    const message = `is not a usable JSON Schema (${error instanceof Error ? error.message : String(error)})`;
    throw new SluiceError("validation_error", `Invalid chat completion request: ${field}: ${message}.`, {
      details: { issues: [{ path: field, message }] },
    });
  }
  return (value) => {
    if (validate(value)) return undefined;
    const first = validate.errors?.[0];
    return first ? `${pathOf(first)}: ${messageOf(first)}` : "(root): is invalid";
  };
}
