import type { ModelSpec } from "./modelSpec.ts";

/** Token usage of one call, in the provider-neutral shape. */
export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
}

const MILLION = 1_000_000n;

/** Integer division rounding half up, exact for any size. */
function divideRounded(numerator: bigint, denominator: bigint): bigint {
  return (numerator * 2n + denominator) / (denominator * 2n);
}

/**
 * Cost of a call in integer micro-dollars, rounded half up once per call. Computed in BigInt so
 * no float error accumulates; `batch` applies the model's Batch API discount.
 */
export function costMicros(model: ModelSpec, usage: TokenUsage, options: { batch?: boolean } = {}): number {
  const gross =
    BigInt(usage.inputTokens) * BigInt(model.inputMicrosPerMillion) +
    BigInt(usage.outputTokens) * BigInt(model.outputMicrosPerMillion);
  const discountBps = options.batch ? BigInt(model.batchDiscountBps) : 0n;
  return Number(divideRounded(gross * (10_000n - discountBps), MILLION * 10_000n));
}

/** Formats micro-dollars as a decimal dollar string without float arithmetic (`1234567` → `"1.234567"`). */
export function formatMicros(micros: number): string {
  const sign = micros < 0 ? "-" : "";
  const abs = BigInt(Math.abs(micros));
  return `${sign}${abs / 1_000_000n}.${(abs % 1_000_000n).toString().padStart(6, "0")}`;
}
