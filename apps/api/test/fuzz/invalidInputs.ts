import fc from "fast-check";
import type { z } from "zod";
import { type FuzzContext, fuzzedInput, shapedInput } from "./fuzzCases.ts";

/** Whether a zod schema takes the value (a schema that cannot say counts as taking it). */
export function accepts(schema: unknown, value: unknown): boolean {
  try {
    return (schema as z.ZodType).safeParse(value).success;
  } catch {
    return true;
  }
}

/** Inputs the schema refuses, shaped like it or not. */
export function refusedBy(schema: unknown, ctx: FuzzContext, large = false): fc.Arbitrary<unknown> {
  return fuzzedInput(schema, ctx, large).filter((v) => v !== undefined && !accepts(schema, v));
}

/** Items the schema takes (made whole by `fix`), with one it refuses among them. */
export function oneBadAmong(
  schema: unknown,
  ctx: FuzzContext,
  fix: (item: unknown, index: number) => unknown = (item) => item,
): fc.Arbitrary<unknown[]> {
  const valid = shapedInput(schema, ctx, false).filter((v) => accepts(schema, v));
  return fc
    .tuple(fc.array(valid, { minLength: 1, maxLength: 4 }), refusedBy(schema, ctx), fc.nat())
    .map(([items, bad, at]) => items.map(fix).toSpliced(at % (items.length + 1), 0, bad));
}

/** A batch line a `sim-small` draft takes: its model, no streaming, a custom id of its own. */
export function wholeLine(item: unknown, index: number): unknown {
  const { body } = item as { body: Record<string, unknown> };
  const { stream: _stream, stream_options: _options, ...request } = body;
  return { custom_id: `ok-${index}`, body: { ...request, model: "sim-small" } };
}

/** A job of a real kind with a valid payload. */
export const validJob = {
  kind: "chat.complete",
  payload: { request: { model: "sim-small", messages: [{ role: "user", content: "hi" }] } },
};
