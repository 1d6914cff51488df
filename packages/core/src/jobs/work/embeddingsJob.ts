import { type Guards, guardedEmbed } from "../../limits/guardedCall.ts";
import type { SpendPrincipal } from "../../limits/spendPrincipal.ts";

/** What an `embeddings.batch` job leaves as its result: vectors as base64 float32, in input order. */
export interface EmbeddingsJobResult {
  model: string;
  count: number;
  dimensions: number;
  /** One base64 string of little-endian float32 values per input. */
  vectors: string[];
  usage: { inputTokens: number };
  costMicros: number;
}

/** Embeds inputs chunk by chunk under the limits of its tenant and key, reporting progress after each chunk. */
export async function runEmbeddingsJob(
  guards: Guards,
  principal: SpendPrincipal,
  payload: { model: string; inputs: string[]; dimensions?: number | undefined; chunkSize: number },
  ctx: { jobId: string; signal: AbortSignal; progress: (percent: number, message?: string) => void },
): Promise<EmbeddingsJobResult> {
  const vectors: string[] = [];
  let inputTokens = 0;
  let costMicros = 0;
  let dimensions = 0;
  for (let start = 0; start < payload.inputs.length; start += payload.chunkSize) {
    const chunk = payload.inputs.slice(start, start + payload.chunkSize);
    const { outcome } = await guardedEmbed(
      guards,
      principal,
      {
        model: payload.model,
        input: chunk,
        ...(payload.dimensions === undefined ? {} : { dimensions: payload.dimensions }),
      },
      { tenantId: principal.tenant.id, jobId: ctx.jobId, signal: ctx.signal },
    );
    for (const v of outcome.vectors) {
      dimensions = v.length;
      vectors.push(Buffer.from(new Float32Array(v).buffer).toString("base64"));
    }
    inputTokens += outcome.usage.inputTokens;
    costMicros += outcome.costMicros;
    const done = Math.min(payload.inputs.length, start + chunk.length);
    ctx.progress((done / payload.inputs.length) * 100, `${done} of ${payload.inputs.length} inputs`);
  }
  return {
    model: payload.model,
    count: vectors.length,
    dimensions,
    vectors,
    usage: { inputTokens },
    costMicros,
  };
}
