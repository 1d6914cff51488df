import { randomUUID } from "node:crypto";
import { type BudgetHolder, type Db, leaseBudget, settleBudget } from "@sluice/db";
import { budgetExceeded, budgetKey, budgetsOf, isCurrentPeriod, type ScopedBudget } from "./budgetScopes.ts";
import { type Clock, scheduleOn, systemClock, wallClockOffsetMs } from "./clock.ts";
import { createKeyedQueue } from "./keyedQueue.ts";
import { type LeaseOptions, leaseOptions } from "./leaseOptions.ts";
import type { SpendPrincipal } from "./spendPrincipal.ts";

/** A reservation to settle once the real cost is known. */
export interface BudgetReservation {
  settle(actualMicros: number): Promise<void>;
}

/** Told when a budget's period spend reaches its alert share (see `createBudgetAlerter`). */
export interface BudgetAlerts {
  crossed(budget: ScopedBudget, spentMicros: number): Promise<void>;
}

/** Budgets (tenant day and month, key day and month, end-user day) shared by every process through Postgres. */
export interface BudgetGuard {
  /**
   * Reserves the most a call can cost against every budget of `principal` that has a limit, all or
   * nothing; a budget that cannot cover it → `budget_exceeded` naming that budget.
   */
  reserve(principal: SpendPrincipal, maxCostMicros: number): Promise<BudgetReservation>;
  /** Writes settled spend to Postgres now (it is otherwise written within `flushIntervalMs`). */
  flush(): Promise<void>;
  /** Settles what is pending and gives unused leases back (call before the process exits). */
  close(): Promise<void>;
}

/** A process's slice of one budget for one period. */
interface ScopeLease {
  /** The budget and period, with the limits last seen for it. */
  budget: ScopedBudget;
  /** Leased and not yet reserved by a request (may dip below 0 when a call costs a rounding more). */
  left: number;
  /** Settled spend not yet written. */
  spentPending: number;
  /** Unused lease to give back at the next write. */
  releasePending: number;
  inFlight: number;
  /**
   * `performance.now()` of the last use: idleness is measured in real time, whatever the clock, so
   * a process on a frozen clock still gives idle slices back.
   */
  lastUsedAt: number;
  /**
   * Clock time when the last lease, settle or renewal that reached Postgres started: Postgres
   * judges the slice's expiry on the same clock (see `leaseBudget`).
   */
  renewedAt: number;
  /**
   * Counts the times the slice went stale (not renewed in time) and its unused part was given
   * back. A reservation made before that gives its own unused part back too, since the slice it
   * came out of may have been reclaimed by another process meanwhile.
   */
  generation: number;
  /** This process already asked to raise the period's soft alert (Postgres decides who raises it). */
  alertAsked: boolean;
}

/** A reservation's part in one lease. */
interface Held {
  lease: ScopeLease;
  generation: number;
}

const noReservation: BudgetReservation = { settle: async () => {} };

/**
 * Before a model call, its maximum possible cost is reserved; after it, the reservation is settled
 * with the real cost. A call counts against every budget of its principal that has a limit (see
 * `budgetsOf`): each reservation comes out of a slice of each budget's period that this process
 * leased from Postgres with an atomic conditional update (never more than is unreserved and
 * unspent), so all processes together never overspend any budget, and a busy tenant costs one round
 * trip per slice. A budget that cannot cover the call refuses it, and what the others had reserved
 * for it goes back at once. Settled spend is written in batches; unused slices go back when idle or
 * on close. A write that takes a period's spend to the tenant's alert share asks `alerts` to raise
 * the soft alert (once per period across processes, decided in Postgres).
 *
 * Each slice is held in Postgres under this process's `holder` id with an expiry, renewed every
 * quarter of `leaseTtlMs` while the process lives. A slice is used locally only within half its
 * time to live of the last renewal, so this process stops drawing on a slice well before another
 * process could reclaim it. The slices of a process that died expire and are reclaimed by the next
 * process that needs the budget, with the spend it logged but never wrote booked as spent.
 * Expiry, renewal and the write timer run on `clock` (Postgres judges expiry on the time it is
 * given, not its own `now()`), so a test clock moves all of them; idleness runs in real time.
 */
export function createBudgetGuard(
  db: Db,
  options: LeaseOptions & {
    clock?: Clock;
    flushIntervalMs?: number;
    /** This process's lease holder id; the call log stamps calls with the same id (default random). */
    holder?: string;
    /** How long a slice lives in Postgres without renewal (default 30 s). */
    leaseTtlMs?: number;
    /** Raises soft alerts (none when absent). */
    alerts?: BudgetAlerts;
    onError?: (error: unknown) => void;
  } = {},
): BudgetGuard {
  const clock = options.clock ?? systemClock;
  const { share, idleReleaseMs } = leaseOptions(options);
  const flushIntervalMs = options.flushIntervalMs ?? 50;
  const holder = options.holder ?? randomUUID();
  const ttlMs = options.leaseTtlMs ?? 30_000;
  if (!(ttlMs >= 100)) throw new RangeError(`leaseTtlMs must be at least 100, got ${ttlMs}`);
  /** Between flushes while slices are held: soon enough to release idle ones and renew the rest. */
  const heldFlushMs = Math.min(Math.max(flushIntervalMs, idleReleaseMs), ttlMs / 4);
  const leases = new Map<string, ScopeLease>();
  const pendingWrites = new Set<ScopeLease>();
  const serial = createKeyedQueue();
  /** Cancels the arranged write, when one is arranged. */
  let cancelFlush: (() => void) | undefined;
  let flushDueAt = 0;
  let writing: Promise<void> = Promise.resolve();

  const key = (lease: ScopeLease) => budgetKey(lease.budget);

  function holderOf(lease: ScopeLease): BudgetHolder {
    const { tenantId, period, scope, subject } = lease.budget;
    return { tenantId, day: period, scope, subject, holder, ttlMs, clockOffsetMs: wallClockOffsetMs(clock) };
  }

  function usable(lease: ScopeLease): boolean {
    return clock.now() - lease.renewedAt < ttlMs / 2;
  }

  function takeLocally(lease: ScopeLease | undefined, amount: number): boolean {
    if (!lease || lease.left < amount || !usable(lease)) return false;
    lease.left -= amount;
    lease.inFlight += 1;
    lease.lastUsedAt = performance.now();
    return true;
  }

  /** Gives back the unused part of a stale slice: Postgres caps the release at what it still holds. */
  function retire(lease: ScopeLease): void {
    if (lease.left > 0) lease.releasePending += lease.left;
    lease.left = 0;
    lease.generation += 1;
  }

  /** Ends one reservation's part in a lease, returning what it did not spend. */
  function finish(held: Held, amount: number, spent: number): void {
    const { lease, generation } = held;
    const unused = amount - spent;
    if (unused > 0 && generation !== lease.generation) lease.releasePending += unused;
    else lease.left += unused;
    lease.spentPending += spent;
    lease.inFlight -= 1;
    lease.lastUsedAt = performance.now();
  }

  /** A refused reservation gives back what other budgets reserved for it, to Postgres when unused. */
  function giveBack(held: Held[], amount: number): void {
    for (const h of held) {
      finish(h, amount, 0);
      if (h.lease.inFlight > 0) continue;
      if (h.lease.left > 0) h.lease.releasePending += h.lease.left;
      h.lease.left = 0;
      if (leases.get(key(h.lease)) === h.lease) leases.delete(key(h.lease));
      pendingWrites.add(h.lease);
    }
    if (held.length > 0) scheduleFlush();
  }

  function reservation(held: Held[], amount: number): BudgetReservation {
    let settled = false;
    return {
      settle: async (actualMicros) => {
        if (settled) return;
        settled = true;
        const actual = Math.max(0, Math.ceil(actualMicros));
        for (const h of held) finish(h, amount, actual);
        scheduleFlush();
      },
    };
  }

  async function writeLease(lease: ScopeLease): Promise<void> {
    // Not renewed in time: what it holds may have been reclaimed; draw on nothing of it again.
    if (!usable(lease)) retire(lease);
    const spent = lease.spentPending;
    const released = lease.releasePending;
    const started = clock.now();
    const renewalDue = started - lease.renewedAt >= ttlMs / 4 && (lease.inFlight > 0 || lease.left > 0);
    if (spent === 0 && released === 0 && !renewalDue) return;
    lease.spentPending = 0;
    lease.releasePending = 0;
    let periodSpent: number;
    try {
      ({ spentMicros: periodSpent } = await settleBudget(db, {
        ...holderOf(lease),
        reservedMicros: spent + released,
        spentMicros: spent,
      }));
      lease.renewedAt = started;
    } catch (error) {
      // Kept for the next write: settled spend is never dropped.
      lease.spentPending += spent;
      lease.releasePending += released;
      options.onError?.(error);
      throw error;
    }
    await raiseAlert(lease, periodSpent);
  }

  /** Asks for the period's soft alert once its spend reaches the share; a failed ask is retried later. */
  async function raiseAlert(lease: ScopeLease, periodSpent: number): Promise<void> {
    const { alertAtMicros } = lease.budget;
    if (!options.alerts || lease.alertAsked || alertAtMicros === null || periodSpent < alertAtMicros) return;
    lease.alertAsked = true;
    try {
      await options.alerts.crossed(lease.budget, periodSpent);
    } catch (error) {
      lease.alertAsked = false;
      options.onError?.(error);
    }
  }

  /** Moves unused slices of idle leases (and of past periods) to be given back. */
  function collectIdle(force: boolean): void {
    const now = performance.now();
    const at = clock.now();
    for (const [k, lease] of leases) {
      const idle =
        lease.inFlight === 0 &&
        (force || !isCurrentPeriod(lease.budget, at) || now - lease.lastUsedAt >= idleReleaseMs);
      if (!idle) continue;
      if (lease.left > 0) lease.releasePending += lease.left;
      lease.left = 0;
      leases.delete(k);
      pendingWrites.add(lease);
    }
  }

  function flush(force = false): Promise<void> {
    cancelFlush?.();
    cancelFlush = undefined;
    collectIdle(force);
    const batch = [...new Set([...leases.values(), ...pendingWrites])];
    pendingWrites.clear();
    writing = writing.then(async () => {
      const results = await Promise.allSettled(
        batch.map((lease) => serial.run(key(lease), () => writeLease(lease))),
      );
      for (const [i, result] of results.entries()) {
        const lease = batch[i];
        if (result.status === "rejected" && lease && !leases.has(key(lease))) pendingWrites.add(lease);
      }
    });
    if (leases.size > 0 || pendingWrites.size > 0) scheduleFlush(heldFlushMs);
    return writing;
  }

  /** Arranges a write within `delay`, keeping an earlier one already arranged. */
  function scheduleFlush(delay = flushIntervalMs): void {
    const due = clock.now() + delay;
    if (cancelFlush && flushDueAt <= due) return;
    cancelFlush?.();
    flushDueAt = due;
    cancelFlush = scheduleOn(clock, () => void flush(), delay);
  }

  /** Takes `amount` of a budget's period out of this process's slice, leasing more when it is short. */
  function take(budget: ScopedBudget, amount: number): ScopeLease | Promise<ScopeLease> {
    const leaseKey = budgetKey(budget);
    const existing = leases.get(leaseKey);
    if (existing) existing.budget = budget;
    if (existing && takeLocally(existing, amount)) return existing;
    return serial.run(leaseKey, async () => {
      const current = leases.get(leaseKey);
      if (current) current.budget = budget;
      if (current && takeLocally(current, amount)) return current;
      // Not renewed in time (Postgres unreachable, say): another process may have reclaimed it.
      if (current && !usable(current)) retire(current);
      const lease: ScopeLease = current ?? {
        budget,
        left: 0,
        spentPending: 0,
        releasePending: 0,
        inFlight: 0,
        lastUsedAt: performance.now(),
        renewedAt: 0,
        generation: 0,
        alertAsked: false,
      };
      const need = amount - lease.left;
      const want = Math.max(need, Math.min(Math.floor(budget.budgetMicros * share), amount * 64));
      const started = clock.now();
      const grant = await leaseBudget(db, {
        ...holderOf(lease),
        needMicros: need,
        wantMicros: want,
        budgetMicros: budget.budgetMicros,
      });
      if (grant === null) throw budgetExceeded(budget, amount);
      lease.left += grant;
      lease.renewedAt = started;
      leases.set(leaseKey, lease);
      if (!takeLocally(lease, amount)) throw budgetExceeded(budget, amount);
      scheduleFlush(heldFlushMs);
      return lease;
    });
  }

  async function reserve(principal: SpendPrincipal, maxCostMicros: number): Promise<BudgetReservation> {
    const budgets = budgetsOf(principal, clock.now());
    if (budgets.length === 0) return noReservation;
    const amount = Math.max(0, Math.ceil(maxCostMicros));
    // A budget smaller than the call refuses it before any other is touched.
    for (const budget of budgets) if (amount > budget.budgetMicros) throw budgetExceeded(budget, amount);
    const held: Held[] = [];
    try {
      for (const budget of budgets) {
        const taken = take(budget, amount);
        const lease = taken instanceof Promise ? await taken : taken;
        held.push({ lease, generation: lease.generation });
      }
    } catch (error) {
      giveBack(held, amount);
      throw error;
    }
    return reservation(held, amount);
  }

  return {
    reserve,
    flush: () => flush(false),
    close: () => flush(true),
  };
}
