import { type Db, type SpendDimension, type SpendRow, spendReport } from "@sluice/db";
import { z } from "zod";
import { SluiceError } from "../errors/sluiceError.ts";
import { costMicros } from "../models/cost.ts";
import type { ModelRegistry } from "../models/modelRegistry.ts";

const DAY_MS = 86_400_000;
/** Longest period one report covers. */
export const MAX_SPEND_DAYS = 366;
const DIMENSIONS = ["tenant", "key", "user", "model", "day"] as const;

const dateSchema = z.iso.date();

/** A spend report's query: UTC days `from`..`to` (inclusive; default the last 30 days), grouped `by`. */
export const spendQuerySchema = z.strictObject({
  from: dateSchema.optional(),
  to: dateSchema.optional(),
  by: z
    .union([z.string(), z.array(z.string())])
    .optional()
    .transform((value, ctx) => {
      const parts = (Array.isArray(value) ? value : [value ?? ""]).flatMap((v) => v.split(","));
      const by = [...new Set(parts.map((p) => p.trim()).filter((p) => p !== ""))];
      const unknown = by.filter((d) => !(DIMENSIONS as readonly string[]).includes(d));
      if (unknown.length > 0)
        ctx.addIssue({
          code: "custom",
          message: `must be a comma-separated list of ${DIMENSIONS.join(", ")}`,
        });
      return by as SpendDimension[];
    }),
  /** Admins only: one tenant's spend (default: every tenant's). */
  tenantId: z.uuid().optional(),
});

/** A spend query (parsed, or built by code): every field optional. */
export interface SpendQuery {
  from?: string | undefined;
  to?: string | undefined;
  by?: SpendDimension[] | undefined;
  tenantId?: string | undefined;
}

/** One group of a spend report: the dimensions asked for, then the figures. */
export interface SpendGroup {
  day?: string;
  tenantId?: string | null;
  apiKeyId?: string | null;
  keyPrefix?: string | null;
  keyName?: string | null;
  endUser?: string | null;
  model?: string;
  calls: number;
  errors: number;
  inputTokens: number;
  outputTokens: number;
  /** What was charged, provider batches included. */
  costMicros: number;
  batchCalls: number;
  batchCostMicros: number;
  cacheHits: number;
  /** What the calls answered from the cache would have cost at the model's price. */
  cacheSavedMicros: number;
}

/** A spend report: its period, its grouping, the groups and their total. */
export interface SpendReport {
  from: string;
  to: string;
  by: SpendDimension[];
  groups: SpendGroup[];
  total: Omit<SpendGroup, "day" | "tenantId" | "apiKeyId" | "keyPrefix" | "keyName" | "endUser" | "model">;
}

const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

function savedByCache(registry: ModelRegistry, row: SpendRow): number {
  const model = registry.find(row.model);
  if (row.cacheHits === 0 || !model) return 0;
  return costMicros(model, {
    inputTokens: row.cachedInputTokens,
    outputTokens: row.cachedOutputTokens,
  });
}

function emptyFigures(): SpendReport["total"] {
  return {
    calls: 0,
    errors: 0,
    inputTokens: 0,
    outputTokens: 0,
    costMicros: 0,
    batchCalls: 0,
    batchCostMicros: 0,
    cacheHits: 0,
    cacheSavedMicros: 0,
  };
}

function add(into: SpendReport["total"], row: SpendRow, saved: number): void {
  into.calls += row.calls;
  into.errors += row.errors;
  into.inputTokens += row.inputTokens;
  into.outputTokens += row.outputTokens;
  into.costMicros += row.costMicros;
  into.batchCalls += row.batchCalls;
  into.batchCostMicros += row.batchCostMicros;
  into.cacheHits += row.cacheHits;
  into.cacheSavedMicros += saved;
}

/**
 * Spend by any of tenant, key, end user, model and day, with what provider batches cost and what
 * the cache saved. `tenantId` scopes it to one tenant (a tenant's own report always is).
 */
export async function buildSpendReport(
  deps: { db: Db; registry: ModelRegistry; now: number },
  query: SpendQuery,
): Promise<SpendReport> {
  const to = query.to ?? day(deps.now);
  const from = query.from ?? day(Date.parse(`${to}T00:00:00Z`) - 29 * DAY_MS);
  const days = (Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS + 1;
  if (days < 1 || days > MAX_SPEND_DAYS)
    throw new SluiceError(
      "validation_error",
      `from must not be after to, and the period at most ${MAX_SPEND_DAYS} days`,
    );
  const by = query.by ?? [];
  const rows = await spendReport(deps.db, { tenantId: query.tenantId, from, to, by });
  const groups = new Map<string, SpendGroup>();
  const total = emptyFigures();
  for (const row of rows) {
    const keys: Partial<SpendGroup> = {};
    if (by.includes("day")) keys.day = row.day ?? "";
    if (by.includes("tenant")) keys.tenantId = row.tenantId;
    if (by.includes("key"))
      Object.assign(keys, { apiKeyId: row.apiKeyId, keyPrefix: row.keyPrefix, keyName: row.keyName });
    if (by.includes("user")) keys.endUser = row.endUser;
    if (by.includes("model")) keys.model = row.model;
    const id = JSON.stringify(keys);
    let group = groups.get(id);
    if (!group) {
      group = { ...keys, ...emptyFigures() };
      groups.set(id, group);
    }
    const saved = savedByCache(deps.registry, row);
    add(group, row, saved);
    add(total, row, saved);
  }
  return { from, to, by, groups: [...groups.values()], total };
}

/**
 * Whose spend a caller may see: a tenant key sees its own tenant's only (asking for another is a
 * 403); an admin key sees the tenant it names, or every tenant.
 */
export function spendTenantOf(
  caller: { role: "tenant" | "admin"; tenant: { id: string } },
  requested: string | undefined,
): string | undefined {
  if (caller.role === "admin") return requested;
  if (requested !== undefined && requested !== caller.tenant.id)
    throw new SluiceError("forbidden", "a tenant key sees only its own tenant's spend");
  return caller.tenant.id;
}
