import type { CascadeSpec } from "../cascade/cascadeSpec.ts";
import type { TierRecord } from "./tierRecords.ts";

/** How one way of classifying did over the dataset. */
export interface ArmResult {
  arm: string;
  items: number;
  accuracy: number;
  costMicros: number;
  /** Cost relative to using the top tier alone. */
  costVsTop: number;
  /** Share of items that went past the first tier (cascades only). */
  escalationRate: number | null;
  /** Top-tier-only cost minus this arm's cost. */
  savedMicros: number;
  latencyP50Ms: number;
  latencyMeanMs: number;
}

/** One item's path through the cascade at a threshold, decided from the tier records. */
export function cascadePath(row: TierRecord[], threshold: number): TierRecord[] {
  const path: TierRecord[] = [];
  for (let tier = 0; tier < row.length; tier++) {
    const record = row[tier]!;
    path.push(record);
    if (tier === row.length - 1 || (record.usable && record.confidence >= threshold)) break;
  }
  return path;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

function arm(
  name: string,
  outcomes: { correct: boolean; cost: number; latency: number; escalated: boolean }[],
  topCost: number,
  cascade: boolean,
): ArmResult {
  const costMicros = outcomes.reduce((s, o) => s + o.cost, 0);
  const latencies = outcomes.map((o) => o.latency);
  return {
    arm: name,
    items: outcomes.length,
    accuracy: outcomes.filter((o) => o.correct).length / Math.max(1, outcomes.length),
    costMicros,
    costVsTop: topCost === 0 ? 0 : costMicros / topCost,
    escalationRate: cascade
      ? outcomes.filter((o) => o.escalated).length / Math.max(1, outcomes.length)
      : null,
    savedMicros: topCost - costMicros,
    latencyP50Ms: percentile(latencies, 50),
    latencyMeanMs: latencies.reduce((s, x) => s + x, 0) / Math.max(1, latencies.length),
  };
}

/** Results of each single tier and of the cascade at `threshold`, from the same tier records. */
export function summariseArms(cascade: CascadeSpec, records: TierRecord[][], threshold: number): ArmResult[] {
  const last = cascade.tiers.length - 1;
  const topCost = records.reduce((s, row) => s + (row[last]?.costMicros ?? 0), 0);
  const singles = cascade.tiers.map((tier, i) =>
    arm(
      tier.model,
      records.map((row) => ({
        correct: row[i]!.correct,
        cost: row[i]!.costMicros,
        latency: row[i]!.latencyMs,
        escalated: false,
      })),
      topCost,
      false,
    ),
  );
  const cascaded = records.map((row) => {
    const path = cascadePath(row, threshold);
    const final = path.at(-1)!;
    return {
      correct: final.correct,
      cost: path.reduce((s, r) => s + r.costMicros, 0),
      latency: path.reduce((s, r) => s + r.latencyMs, 0),
      escalated: path.length > 1,
    };
  });
  return [...singles, arm(`cascade:${cascade.name} @ ${threshold}`, cascaded, topCost, true)];
}

/** The calibration outcome: the cheapest threshold that keeps enough of the top tier's accuracy. */
export interface Calibration {
  threshold: number;
  target: number;
  topAccuracy: number;
  result: ArmResult;
}

/**
 * Finds the confidence threshold with the lowest cost whose accuracy is at least `target` × the
 * top tier's. Only thresholds at observed confidences matter, so those are the candidates.
 */
export function calibrateThreshold(
  cascade: CascadeSpec,
  records: TierRecord[][],
  target: number,
): Calibration | undefined {
  const last = cascade.tiers.length - 1;
  const topAccuracy = records.filter((row) => row[last]?.correct).length / Math.max(1, records.length);
  const candidates = new Set<number>([0, 1.01]);
  for (const row of records)
    for (const r of row.slice(0, last)) candidates.add(Math.round(r.confidence * 1000) / 1000);
  let best: Calibration | undefined;
  for (const threshold of [...candidates].sort((a, b) => a - b)) {
    const result = summariseArms(cascade, records, threshold).at(-1)!;
    if (result.accuracy < target * topAccuracy) continue;
    if (
      !best ||
      result.costMicros < best.result.costMicros ||
      (result.costMicros === best.result.costMicros && result.accuracy > best.result.accuracy)
    ) {
      best = { threshold, target, topAccuracy, result };
    }
  }
  return best;
}
