import { createHash } from "node:crypto";
import {
  addBatchBudgetBooked,
  type Batch,
  clearBatchBudgetHolder,
  type Db,
  findApiKeyById,
  findBatchById,
  findTenantById,
  leaseBudget,
  periodSpend,
  readBatchRequests,
  settleBudget,
} from "@sluice/db";
import { tierRequest } from "../cascade/cascadeEngine.ts";
import { SluiceError } from "../errors/sluiceError.ts";
import type { BudgetAlerts } from "../limits/budgetGuard.ts";
import { budgetExceeded, budgetsOf, dayOf, type ScopedBudget } from "../limits/budgetScopes.ts";
import { type Clock, systemClock, wallClockOffsetMs } from "../limits/clock.ts";
import type { RateLimiter } from "../limits/rateLimiter.ts";
import type { SpendPrincipal } from "../limits/spendPrincipal.ts";
import { toProviderRequest } from "../llm/chatRequestMapping.ts";
import { costMicros } from "../models/cost.ts";
import type { ChatRequest } from "../schemas/chatRequest.ts";
import { countChatTokens } from "../tokens/tokenCount.ts";
import type { BatchTarget } from "./batchTarget.ts";

/**
 * A tier's reservation lives as long as a provider batch may run (a 24 h window) with room to read
 * its results; every booking renews it. One whose batch was lost is reclaimed after this, with the
 * spend its call-log rows show booked as spent.
 */
const BATCH_LEASE_TTL_MS = 48 * 3_600_000;
/** A reservation not yet recorded on its batch: reclaimed after this if the submission died. */
const UNRECORDED_TTL_MS = 15 * 60_000;
/** Gives back all that a holder still holds (Postgres caps a release at what it holds). */
const ALL = Number.MAX_SAFE_INTEGER;

/** What the batch budget needs. */
export interface BatchBudgetDeps {
  db: Db;
  clock?: Clock | undefined;
  /** Raises soft budget alerts when a batch's booked spend takes a budget past its alert share. */
  alerts?: BudgetAlerts | undefined;
}

/**
 * The lease holder of one submission of one tier (a UUID, as process holders are): the same for
 * every run of that submission, so a call-log row names the reservation it was paid from.
 */
export function tierHolder(batch: Pick<Batch, "id" | "tier" | "pollSeq">): string {
  const hex = createHash("sha256").update(`batch:${batch.id}:${batch.tier}:${batch.pollSeq}`).digest("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** The provider request of one stored request at a tier. */
export function providerRequestOf(target: BatchTarget, tierIndex: number, body: ChatRequest) {
  const base = toProviderRequest(body);
  const tier = target.tiers[tierIndex]!;
  const request = target.cascade ? tierRequest(target.cascade, tierIndex, base) : base;
  return { ...request, model: tier.model.upstream };
}

/** The most the requests waiting at the batch's tier can cost, at the tier's batch pricing. */
export async function tierMaxCostMicros(db: Db, batch: Batch, target: BatchTarget): Promise<number> {
  const model = target.tiers[batch.tier]!.model;
  let total = 0;
  for await (const row of readBatchRequests(db, batch.id, batch.tier, 1000, "pending")) {
    const request = providerRequestOf(target, batch.tier, row.body as ChatRequest);
    const inputTokens = countChatTokens(
      { messages: request.messages, tools: request.tools },
      model.family,
      model.upstream,
    );
    const outputTokens =
      Math.min(request.maxTokens ?? model.maxOutputTokens, model.maxOutputTokens) * (request.n ?? 1);
    total += costMicros(model, { inputTokens, outputTokens }, { batch: true });
  }
  return total;
}

/** Who a batch is charged to: its tenant, and the key that created it (revoked since or not). */
async function principalOf(db: Db, batch: Batch): Promise<SpendPrincipal> {
  const tenant = await findTenantById(db, batch.tenantId);
  if (!tenant)
    throw new SluiceError("not_found", "the batch's tenant no longer exists", { retriable: false });
  const apiKey = batch.apiKeyId
    ? await findApiKeyById(db, batch.apiKeyId, { tenantId: tenant.id })
    : undefined;
  return apiKey ? { tenant, apiKey } : { tenant };
}

/** The budgets a tier counts against (its tenant's and key's) in the periods of the reservation's day. */
function budgetsAt(principal: SpendPrincipal, day: string): ScopedBudget[] {
  return budgetsOf(principal, Date.parse(`${day}T00:00:00Z`));
}

/**
 * Admits a submission at the API: it counts as one request against the tenant's rate limit (429
 * when throttled) and must pass `assertBatchAffordable` (402).
 */
export async function admitBatchSubmission(
  deps: BatchBudgetDeps & { rateLimiter?: RateLimiter | undefined },
  batch: Batch,
  target: BatchTarget,
): Promise<void> {
  if (deps.rateLimiter) await deps.rateLimiter.take(await principalOf(deps.db, batch), 0);
  await assertBatchAffordable(deps, batch, target);
}

/**
 * Refuses (`budget_exceeded`, 402) a submission the tenant's budgets plainly cannot pay for: the
 * tier's most at batch pricing over what is left after spend. Reservations are taken when the tier
 * is sent (`reserveTier`), where a budget that can no longer cover it ends the batch failed.
 */
export async function assertBatchAffordable(
  deps: BatchBudgetDeps,
  batch: Batch,
  target: BatchTarget,
): Promise<void> {
  const principal = await principalOf(deps.db, batch);
  const budgets = budgetsOf(principal, (deps.clock ?? systemClock).now());
  if (budgets.length === 0) return;
  const need = await tierMaxCostMicros(deps.db, batch, target);
  for (const b of budgets) {
    const { spentMicros } = await periodSpend(deps.db, {
      tenantId: b.tenantId,
      day: b.period,
      scope: b.scope,
      subject: b.subject,
    });
    if (spentMicros + need > b.budgetMicros) throw budgetExceeded(b, need);
  }
}

function holderOf(b: ScopedBudget, holder: string, clock: Clock, ttlMs = BATCH_LEASE_TTL_MS) {
  return {
    tenantId: b.tenantId,
    day: b.period,
    scope: b.scope,
    subject: b.subject,
    holder,
    ttlMs,
    clockOffsetMs: wallClockOffsetMs(clock),
  };
}

/** A tier's reservation, until the batch records it (`keepTier`) or gives it back (`dropTier`). */
export interface TierReservation {
  holder: string;
  day: string;
  budgets: ScopedBudget[];
  needMicros: number;
}

/**
 * Reserves the tier's most at batch pricing against every budget of the tenant that has a limit,
 * all or nothing, under the tier's own holder; a budget that cannot cover it → `budget_exceeded`
 * (nothing stays reserved). The reservation lives briefly until the batch records it: one whose
 * submission crashed before that is reclaimed soon. A holder an earlier tier left is released first.
 */
export async function reserveTier(
  deps: BatchBudgetDeps,
  batch: Batch,
  target: BatchTarget,
): Promise<TierReservation> {
  if (batch.budgetHolder) await releaseTier(deps, batch.id, batch.budgetHolder);
  const clock = deps.clock ?? systemClock;
  const holder = tierHolder(batch);
  const principal = await principalOf(deps.db, batch);
  const day = dayOf(clock.now());
  const budgets = budgetsAt(principal, day);
  const needMicros = budgets.length === 0 ? 0 : await tierMaxCostMicros(deps.db, batch, target);
  const granted: ScopedBudget[] = [];
  for (const b of budgets) {
    const grant = await leaseBudget(deps.db, {
      ...holderOf(b, holder, clock, UNRECORDED_TTL_MS),
      needMicros,
      wantMicros: needMicros,
      budgetMicros: b.budgetMicros,
    });
    if (grant === null) {
      await dropTier(deps, { holder, day, budgets: granted, needMicros });
      throw budgetExceeded(b, needMicros);
    }
    granted.push(b);
  }
  return { holder, day, budgets, needMicros };
}

/** Once the batch has recorded the reservation: it lives as long as the tier may run. */
export async function keepTier(deps: BatchBudgetDeps, r: TierReservation): Promise<void> {
  const clock = deps.clock ?? systemClock;
  for (const b of r.budgets)
    await settleBudget(deps.db, { ...holderOf(b, r.holder, clock), reservedMicros: 0, spentMicros: 0 });
}

/** Gives a reservation back (its provider batch was never made, or was surplus). */
export async function dropTier(deps: BatchBudgetDeps, r: TierReservation): Promise<void> {
  const clock = deps.clock ?? systemClock;
  for (const b of r.budgets)
    await settleBudget(deps.db, {
      ...holderOf(b, r.holder, clock),
      reservedMicros: r.needMicros,
      spentMicros: 0,
    });
}

/**
 * Books what the batch has cost and not yet booked as spend against its current tier's holder,
 * out of that holder's reservation. Called as results are stored, so a tenant's spend follows a
 * batch as it is read, not only when it ends.
 */
export async function bookBatchSpend(deps: BatchBudgetDeps, batchId: string): Promise<void> {
  const batch = await findBatchById(deps.db, batchId);
  if (!batch?.budgetHolder || !batch.budgetDay) return;
  const delta = batch.costMicros - batch.budgetBookedMicros;
  if (delta <= 0) return;
  // Counted first, so a second run of the same booking finds nothing left to book.
  if (!(await addBatchBudgetBooked(deps.db, batch.id, batch.budgetBookedMicros, delta))) return;
  const clock = deps.clock ?? systemClock;
  const principal = await principalOf(deps.db, batch);
  for (const b of budgetsAt(principal, batch.budgetDay)) {
    const { spentMicros } = await settleBudget(deps.db, {
      ...holderOf(b, batch.budgetHolder, clock),
      reservedMicros: delta,
      spentMicros: delta,
    });
    // As chat spend does: the period's alert is claimed once, whichever process or batch crosses
    // first. One that could not be raised does not fail the poll; the period's next spend asks again.
    if (deps.alerts && b.alertAtMicros !== null && spentMicros >= b.alertAtMicros)
      await deps.alerts.crossed(b, spentMicros).catch(() => undefined);
  }
}

/**
 * Ends the reservation of the batch's current tier: books what is left to book, gives back the rest
 * and clears the holder. Called when a tier ends (moving on, retried, finished, cancelled, expired
 * or failed); safe to call again.
 */
export async function releaseTier(
  deps: BatchBudgetDeps,
  batchId: string,
  /** Only this holder's reservation (a tier that ended), not a newer one the batch moved on to. */
  holder?: string | null,
): Promise<void> {
  await bookBatchSpend(deps, batchId);
  const batch = await findBatchById(deps.db, batchId);
  if (!batch?.budgetHolder || !batch.budgetDay) return;
  if (holder !== undefined && batch.budgetHolder !== holder) return;
  const clock = deps.clock ?? systemClock;
  const principal = await principalOf(deps.db, batch);
  for (const b of budgetsAt(principal, batch.budgetDay))
    await settleBudget(deps.db, {
      ...holderOf(b, batch.budgetHolder, clock),
      reservedMicros: ALL,
      spentMicros: 0,
    });
  await clearBatchBudgetHolder(deps.db, batch.id, batch.budgetHolder);
}
