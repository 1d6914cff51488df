import type { z } from "zod";
import { SluiceError } from "../errors/sluiceError.ts";

/** One failing field: a dotted path (`messages.0.content`, `(root)` for the value itself) and why. */
export interface ValidationIssue {
  path: string;
  message: string;
}

const ROOT = "(root)";

function kindOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  const type = typeof value;
  return type === "object" || type === "undefined" ? `an ${type}` : `a ${type}`;
}

const expectedNames: Record<string, string> = {
  int: "an integer",
  array: "an array",
  object: "an object",
  undefined: "absent",
};

function quoted(values: readonly unknown[]): string {
  return values.map((value) => (typeof value === "string" ? `"${value}"` : String(value))).join(", ");
}

const plural = (n: number, noun: string) => `${n} ${noun}${n === 1 ? "" : "s"}`;

function sizeMessage(origin: string, limit: number | bigint, inclusive: boolean, small: boolean): string {
  const n = Number(limit);
  const bound = small ? "at least" : "at most";
  if (origin === "string")
    return small && n === 1 ? "must not be empty" : `must be ${bound} ${plural(n, "character")}`;
  if (origin === "array" || origin === "set") return `must have ${bound} ${plural(n, "item")}`;
  if (inclusive) return `must be ${bound} ${n}`;
  return `must be ${small ? "greater" : "less"} than ${n}`;
}

/**
 * Zod error map with short messages that read after a field path ("must be at most 2"); schema-level
 * messages still win. Pass it as `{ error: readableIssueMessage }` to any `safeParse`.
 */
export const readableIssueMessage: z.core.$ZodErrorMap = (issue) => {
  switch (issue.code) {
    case "invalid_type":
      if (issue.input === undefined) return "is required";
      return `must be ${expectedNames[issue.expected] ?? `a ${issue.expected}`}, not ${kindOf(issue.input)}`;
    case "too_small":
      return sizeMessage(issue.origin, issue.minimum, issue.inclusive ?? true, true);
    case "too_big":
      return sizeMessage(issue.origin, issue.maximum, issue.inclusive ?? true, false);
    case "invalid_value":
      return issue.values.length === 1
        ? `must be ${quoted(issue.values)}`
        : `must be one of ${quoted(issue.values)}`;
    case "invalid_format":
      return issue.format === "regex" ? "has an invalid format" : `must be a valid ${issue.format}`;
    case "not_multiple_of":
      return `must be a multiple of ${String(issue.divisor)}`;
    case "unrecognized_keys":
      return "is not a known field";
    case "invalid_key":
      return "has an invalid key";
    case "invalid_union":
      if ("discriminator" in issue && Array.isArray(issue.options))
        return `must be one of ${quoted(issue.options)}`;
      return "does not match any accepted form";
    default:
      return undefined;
  }
};

function pathOf(path: readonly PropertyKey[]): string {
  return path.length === 0 ? ROOT : path.map(String).join(".");
}

type Issue = z.core.$ZodIssue;

// A union reports one opaque issue when every branch fails. When all branches but one failed on the
// type itself (a string was expected, an array was sent), the caller clearly meant that one branch:
// report its issues instead, so `[{ type: "image" }]` points at `content.0.type`, not at `content`.
function meantBranch(issue: Issue): Issue[] | undefined {
  if (issue.code !== "invalid_union" || issue.errors.length < 2) return undefined;
  const wrongType = (branch: Issue[]) =>
    branch.length === 1 && branch[0]?.code === "invalid_type" && branch[0].path.length === 0;
  const meant = issue.errors.filter((branch) => !wrongType(branch));
  return meant.length === 1
    ? meant[0]?.map((inner) => ({ ...inner, path: [...issue.path, ...inner.path] }))
    : undefined;
}

function flatten(issue: Issue): ValidationIssue[] {
  const branch = meantBranch(issue);
  if (branch !== undefined) return branch.flatMap(flatten);
  if (issue.code === "unrecognized_keys") {
    return issue.keys.map((key) => ({ path: pathOf([...issue.path, key]), message: "is not a known field" }));
  }
  return [{ path: pathOf(issue.path), message: issue.message }];
}

/**
 * Every issue of a zod error with a dotted path: one issue per unknown field, and a failed union
 * reported by the branch the input was meant for when that is unambiguous.
 */
export function issuesOf(error: z.ZodError): ValidationIssue[] {
  return error.issues.flatMap(flatten);
}

/** A `validation_error` SluiceError about `what` (e.g. "chat completion request"), listing every issue. */
export function validationErrorFrom(error: z.ZodError, what: string): SluiceError {
  const issues = issuesOf(error);
  const first = issues[0];
  const subject = first === undefined || first.path === ROOT ? `the ${what}` : first.path;
  const more =
    issues.length > 1
      ? `, and ${issues.length - 1} more issue${issues.length > 2 ? "s" : ""} (see details.issues)`
      : "";
  const message = `Invalid ${what}: ${subject}: ${first?.message ?? "is invalid"}${more}.`;
  return new SluiceError("validation_error", message, { details: { issues } });
}

/** Parses with `schema` or throws {@link validationErrorFrom}; messages come from {@link readableIssueMessage}. */
export function parseOrThrow<T extends z.ZodType>(schema: T, input: unknown, what: string): z.output<T> {
  const result = schema.safeParse(input, { error: readableIssueMessage });
  if (!result.success) throw validationErrorFrom(result.error, what);
  return result.data;
}

/** A shallow copy of a plain object without its `null` fields; anything else is returned as is. */
export function withoutNullFields(input: unknown): unknown {
  if (typeof input !== "object" || input === null || Array.isArray(input)) return input;
  const copy: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input)) if (value !== null) copy[key] = value;
  return copy;
}
