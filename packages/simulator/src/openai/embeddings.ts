import { findSimModel } from "../catalog.ts";
import { sendError, sendJson } from "../providerErrors.ts";
import { hashString, seededRandom } from "../random.ts";
import type { SimRequest, SimState } from "../simContext.ts";
import { countTokens } from "../tokens.ts";

/** A deterministic unit vector for a text. */
export function embedText(text: string, dims: number, seed: number): Float32Array {
  const random = seededRandom(hashString(text, seed));
  const v = new Float32Array(dims);
  let norm = 0;
  for (let i = 0; i < dims; i++) {
    // Sum of uniforms: cheap, roughly normal, so directions are spread evenly.
    const x = random() + random() + random() - 1.5;
    v[i] = x;
    norm += x * x;
  }
  const scale = 1 / Math.sqrt(norm || 1);
  for (let i = 0; i < dims; i++) v[i] = (v[i] ?? 0) * scale;
  return v;
}

/** The embeddings response for a body, or the rejection (shared by the endpoint and batches). */
export function computeEmbeddings(
  state: SimState,
  raw: unknown,
):
  | { ok: true; body: unknown }
  | { ok: false; status: number; message: string; code?: string; param?: string } {
  const body = (raw ?? {}) as {
    model?: unknown;
    input?: unknown;
    dimensions?: unknown;
    encoding_format?: unknown;
  };
  const model = typeof body.model === "string" ? findSimModel(body.model) : undefined;
  if (model?.kind !== "embedding") {
    return {
      ok: false,
      status: 404,
      message: `The model \`${String(body.model)}\` does not exist`,
      code: "model_not_found",
    };
  }
  const inputs =
    typeof body.input === "string" ? [body.input] : Array.isArray(body.input) ? body.input : undefined;
  if (!inputs || inputs.length === 0 || inputs.some((i) => typeof i !== "string" || i.length === 0)) {
    return {
      ok: false,
      status: 400,
      message: "'input' must be a non-empty string or array of non-empty strings",
      param: "input",
    };
  }
  const max = model.embeddingDims ?? 1536;
  const dims = body.dimensions === undefined ? max : Number(body.dimensions);
  if (!Number.isInteger(dims) || dims < 1 || dims > max) {
    return {
      ok: false,
      status: 400,
      message: `'dimensions' must be between 1 and ${max}`,
      param: "dimensions",
    };
  }
  const base64 = body.encoding_format === "base64";
  let tokens = 0;
  const data = (inputs as string[]).map((text, index) => {
    tokens += countTokens(text);
    const vector = embedText(text, dims, state.seed);
    return {
      object: "embedding",
      index,
      embedding: base64
        ? Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength).toString("base64")
        : Array.from(vector),
    };
  });
  return {
    ok: true,
    body: { object: "list", data, model: model.id, usage: { prompt_tokens: tokens, total_tokens: tokens } },
  };
}

/** `POST /v1/embeddings`. */
export async function embeddings(ctx: SimRequest): Promise<void> {
  const result = computeEmbeddings(ctx.state, ctx.body);
  if (!result.ok) {
    return sendError(ctx.res, "openai", result.status, result.message, {
      ...(result.code ? { code: result.code } : {}),
      ...(result.param ? { param: result.param } : {}),
    });
  }
  sendJson(ctx.res, 200, result.body);
}
