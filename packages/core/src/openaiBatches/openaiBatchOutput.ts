import type { BatchResponse } from "@sluice/db";

/** OpenAI's id of one request of a batch: stable, so a rewritten file says the same. */
function requestLineId(batchId: string, seq: number): string {
  return `batch_req_${batchId.replaceAll("-", "")}_${seq}`;
}

/** A line of the output file: an answered request, as OpenAI's batch output JSONL has it. */
export function outputLine(batchId: string, r: BatchResponse) {
  const body = r.response as { id?: unknown } | null;
  return {
    id: requestLineId(batchId, r.seq),
    custom_id: r.customId,
    response: {
      status_code: 200,
      request_id: typeof body?.id === "string" ? body.id : `${batchId}:${r.customId}`,
      body,
    },
    error: null,
    sluice: { cost_micros: r.costMicros, model: r.model },
  };
}

/** A line of the error file: a request that errored, expired or was cancelled, with why. */
export function errorLine(batchId: string, r: BatchResponse) {
  const stored = (r.error ?? {}) as { code?: unknown; message?: unknown };
  const code =
    r.status === "expired" ? "batch_expired" : r.status === "cancelled" ? "batch_cancelled" : stored.code;
  return {
    id: requestLineId(batchId, r.seq),
    custom_id: r.customId,
    response: null,
    error: {
      code: typeof code === "string" ? code : r.status,
      message: typeof stored.message === "string" ? stored.message : `the request ${r.status}`,
    },
  };
}
