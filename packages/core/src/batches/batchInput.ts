import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import { z } from "zod";
import { type ChatRequest, chatRequestSchema } from "../schemas/chatRequest.ts";
import { issuesOf, readableIssueMessage } from "../schemas/validationError.ts";

/** Custom ids as both providers accept them. */
export const customIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,64}$/, "must be 1 to 64 letters, digits, _ or -");

/** One input line: OpenAI's batch-file shape (`method` and `url` optional), or the inline `customId` shape. */
const lineSchema = z.union([
  z.strictObject({
    custom_id: customIdSchema,
    method: z.literal("POST").optional(),
    url: z.literal("/v1/chat/completions").optional(),
    body: z.record(z.string(), z.unknown()),
  }),
  z.strictObject({ customId: customIdSchema, body: z.record(z.string(), z.unknown()) }),
]);

/** A problem with one line of input (1-based; for inline requests, the item's position). */
export interface BatchLineIssue {
  line: number;
  path: string;
  message: string;
}

/** One accepted line. */
export interface BatchLine {
  line: number;
  customId: string;
  body: ChatRequest;
  /** The validated body as stored and sent. */
  json: string;
}

/** Raw input: JSONL text or a stream of it, or already-parsed items (inline requests). */
export type BatchInputSource = string | Readable | readonly unknown[];

/** Input lines with their numbers; blank lines are skipped but counted. */
export async function* inputLines(
  source: BatchInputSource,
): AsyncGenerator<{ line: number; value: unknown }> {
  if (Array.isArray(source)) {
    for (const [i, value] of source.entries()) yield { line: i + 1, value };
    return;
  }
  const text =
    typeof source === "string"
      ? source.split("\n")
      : createInterface({ input: source as Readable, crlfDelay: Infinity });
  let line = 0;
  for await (const raw of text) {
    line++;
    const trimmed = raw.trim();
    if (trimmed.length === 0) continue;
    yield { line, value: trimmed };
  }
}

/**
 * Checks one line against the batch's model: valid JSON, a custom id, a chat request whose `model`
 * is absent or the batch's own, and not streamed.
 */
export function parseBatchLine(
  value: unknown,
  line: number,
  model: string,
): { ok: true; line: BatchLine } | { ok: false; issues: BatchLineIssue[] } {
  const fail = (path: string, message: string) => ({ ok: false as const, issues: [{ line, path, message }] });
  let parsed = value;
  if (typeof value === "string") {
    try {
      parsed = JSON.parse(value);
    } catch {
      return fail("(line)", "is not valid JSON");
    }
  }
  const shape = lineSchema.safeParse(parsed, { error: readableIssueMessage });
  if (!shape.success) {
    return {
      ok: false,
      issues: issuesOf(shape.error).map((i) => ({ line, path: i.path, message: i.message })),
    };
  }
  const customId = "custom_id" in shape.data ? shape.data.custom_id : shape.data.customId;
  const body = shape.data.body;
  if (body.model !== undefined && body.model !== model)
    return fail("body.model", `must be absent or "${model}", the batch's model`);
  if (body.stream === true) return fail("body.stream", "batches cannot stream");
  const { stream: _stream, stream_options: _options, ...rest } = body;
  const request = chatRequestSchema.safeParse({ ...rest, model }, { error: readableIssueMessage });
  if (!request.success) {
    return {
      ok: false,
      issues: issuesOf(request.error).map((i) => ({ line, path: `body.${i.path}`, message: i.message })),
    };
  }
  return { ok: true, line: { line, customId, body: request.data, json: JSON.stringify(request.data) } };
}
