import type { z } from "zod";
import { SluiceError } from "../errors/sluiceError.ts";

/** One failing field of a request. */
export interface ValidationIssue {
  path: string;
  message: string;
}

/** Every issue of a zod error, as dotted paths (`messages.0.content`). */
export function issuesOf(error: z.ZodError): ValidationIssue[] {
  return error.issues.map((issue) => ({
    path: issue.path.map(String).join(".") || "(root)",
    message: issue.message,
  }));
}

/** A `validation_error` SluiceError listing every failing path of `what`. */
export function validationErrorFrom(error: z.ZodError, what: string): SluiceError {
  const issues = issuesOf(error);
  const first = issues[0];
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : "";
  return new SluiceError("validation_error", `invalid ${what}: ${first?.path}: ${first?.message}${more}`, {
    details: { issues },
  });
}

/** Parses with a schema or throws a `validation_error` listing each failing path. */
export function parseOrThrow<T extends z.ZodType>(schema: T, input: unknown, what: string): z.infer<T> {
  const result = schema.safeParse(input);
  if (!result.success) throw validationErrorFrom(result.error, what);
  return result.data;
}
