import type { Readable } from "node:stream";
import { z } from "zod";
import { responseSchemaValidator, toolCallValidator } from "../cascade/requestContractValidators.ts";
import { isSluiceError } from "../errors/sluiceError.ts";
import { toProviderRequest } from "../llm/chatRequestMapping.ts";
import { modelInputIssues } from "../models/modelInputs.ts";
import { type ChatRequest, chatRequestSchema } from "../schemas/chatRequest.ts";
import { issuesOf, readableIssueMessage } from "../schemas/validationError.ts";
import type { BatchTarget } from "./batchTarget.ts";

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

/** Longest input line read (a chat request body is at most a few MB). */
export const MAX_LINE_BYTES = 8 * 1024 * 1024;

/**
 * Input lines with their numbers and sizes; blank lines are skipped but counted. A line longer than
 * {@link MAX_LINE_BYTES} is yielded without a value, and reading stops there.
 */
export async function* inputLines(
  source: BatchInputSource,
): AsyncGenerator<{ line: number; value: unknown; bytes: number }> {
  if (Array.isArray(source)) {
    for (const [i, value] of source.entries()) yield { line: i + 1, value, bytes: 0 };
    return;
  }
  const chunks: Iterable<string | Buffer> | AsyncIterable<string | Buffer> =
    typeof source === "string" ? [source] : (source as Readable);
  const decoder = new TextDecoder();
  let pending = "";
  let line = 0;
  const emit = (raw: string) => {
    line++;
    const trimmed = raw.trim();
    return trimmed.length === 0
      ? undefined
      : { line, value: trimmed as unknown, bytes: Buffer.byteLength(raw) + 1 };
  };
  for await (const chunk of chunks) {
    pending += typeof chunk === "string" ? chunk : decoder.decode(chunk, { stream: true });
    let start = 0;
    for (let end = pending.indexOf("\n", start); end >= 0; end = pending.indexOf("\n", start)) {
      const item = emit(pending.slice(start, end));
      start = end + 1;
      if (item) yield item;
    }
    pending = pending.slice(start);
    if (pending.length > MAX_LINE_BYTES) {
      yield { line: line + 1, value: undefined, bytes: pending.length };
      return;
    }
  }
  pending += decoder.decode();
  const last = emit(pending);
  if (last) yield last;
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

/** A cascade's tool and response schemas must compile, or its drafts could never be checked. */
function uncheckableSchemas(target: BatchTarget, body: ChatRequest): { path: string; message: string }[] {
  if (!target.cascade || (body.tools === undefined && body.response_format === undefined)) return [];
  const request = toProviderRequest(body);
  try {
    toolCallValidator(request);
    responseSchemaValidator(request);
    return [];
  } catch (error) {
    if (!isSluiceError(error) || error.code !== "validation_error") throw error;
    const issues = (error.details?.issues ?? []) as { path: string; message: string }[];
    return issues.length > 0 ? issues : [{ path: "(body)", message: error.message }];
  }
}

// Refused at upload, before the batch is submitted and paid for; text-only lines skip the conversion.
/**
 * The parts of a line that some tier cannot take: an image to a text-only model, or (cascades) a
 * tool or response schema the draft check cannot compile.
 */
export function unsupportedParts(
  target: BatchTarget,
  body: ChatRequest,
): { path: string; message: string }[] {
  const schemas = uncheckableSchemas(target, body);
  if (schemas.length > 0) return schemas;
  const media = body.messages.some(
    (m) => Array.isArray(m.content) && m.content.some((p) => p.type !== "text"),
  );
  if (!media) return [];
  const { messages } = toProviderRequest(body);
  return target.tiers.flatMap((tier) => modelInputIssues(tier.model, messages));
}
