import { randomUUID } from "node:crypto";
import { type Db, leaseBudget, settleBudget, type Tenant } from "@sluice/db";
import { SluiceError } from "../errors/sluiceError.ts";
import { formatMicros } from "../models/cost.ts";
import { type Clock, scheduleOn, systemClock, wallClockOffsetMs } from "./clock.ts";
import { createKeyedQueue } from "./keyedQueue.ts";
import { type LeaseOptions, leaseOptions } from "./leaseOptions.ts";

/** A reservation to settle once the real cost is known. */
export interface BudgetReservation {
  settle(actualMicros: number): Promise<void>;
}

/** Daily budgets shared by every process through Postgres. */
export interface BudgetGuard {
  /** Reserves the most a call can cost; the budget cannot cover it → `budget_exceeded`. */
  reserve(tenant: Tenant, maxCostMicros: number): Promise<BudgetReservation>;
  /** Writes settled spend to Postgres now (it is otherwise written within `flushIntervalMs`). */
  flush(): Promise<void>;
  /** Settles what is pending and gives unused leases back (call before the process exits). */
  close(): Promise<void>;
}

/** A process's slice of one tenant's budget for one day. */
interface DayLease {
  tenantId: string;
  day: string;
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
}

const noReservation: BudgetReservation = { settle: async () => {} };

/**
 * Before a model call, its maximum possible cost is reserved; after it, the reservation is settled
 * with the real cost. Reservations come out of a slice of the tenant's daily budget that this
 * process leased from Postgres with an atomic conditional update (never more than is unreserved
 * and unspent), so all processes together never overspend, and a busy tenant costs one round trip
 * per slice. Settled spend is written in batches; unused slices go back when idle or on close.
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
  const leases = new Map<string, DayLease>();
  const serial = createKeyedQueue();
  /** Cancels the arranged write, when one is arranged. */
  let cancelFlush: (() => void) | undefined;
  let flushDueAt = 0;
  let writing: Promise<void> = Promise.resolve();

  function usable(lease: DayLease): boolean {
    return clock.now() - lease.renewedAt < ttlMs / 2;
  }

  function takeLocally(lease: DayLease | undefined, amount: number): boolean {
    if (!lease || lease.left < amount || !usable(lease)) return false;
    lease.left -= amount;
    lease.inFlight += 1;
    lease.lastUsedAt = performance.now();
    return true;
  }

  /** Gives back the unused part of a stale slice: Postgres caps the release at what it still holds. */
  function retire(lease: DayLease): void {
    if (lease.left > 0) lease.releasePending += lease.left;
    lease.left = 0;
    lease.generation += 1;
  }

  function reservation(lease: DayLease, amount: number): BudgetReservation {
    let settled = false;
    const generation = lease.generation;
    return {
      settle: async (actualMicros) => {
        if (settled) return;
        settled = true;
        const actual = Math.max(0, Math.ceil(actualMicros));
        const unused = amount - actual;
        if (unused > 0 && generation !== lease.generation) lease.releasePending += unused;
        else lease.left += unused;
        lease.spentPending += actual;
        lease.inFlight -= 1;
        lease.lastUsedAt = performance.now();
        scheduleFlush();
      },
    };
  }

  async function writeLease(lease: DayLease): Promise<void> {
    // Not renewed in time: what it holds may have been reclaimed; draw on nothing of it again.
    if (!usable(lease)) retire(lease);
    const spent = lease.spentPending;
    const released = lease.releasePending;
    const started = clock.now();
    const renewalDue = started - lease.renewedAt >= ttlMs / 4 && (lease.inFlight > 0 || lease.left > 0);
    if (spent === 0 && released === 0 && !renewalDue) return;
    lease.spentPending = 0;
    lease.releasePending = 0;
    try {
      await settleBudget(db, {
        tenantId: lease.tenantId,
        day: lease.day,
        holder,
        ttlMs,
        clockOffsetMs: wallClockOffsetMs(clock),
        reservedMicros: spent + released,
        spentMicros: spent,
      });
      lease.renewedAt = started;
    } catch (error) {
      // Kept for the next write: settled spend is never dropped.
      lease.spentPending += spent;
      lease.releasePending += released;
      options.onError?.(error);
      throw error;
    }
  }

  /** Moves unused slices of idle leases (and of past days) to be given back. */
  function collectIdle(force: boolean): void {
    const now = performance.now();
    const today = dayOf(clock.now());
    for (const [key, lease] of leases) {
      const idle =
        lease.inFlight === 0 && (force || lease.day !== today || now - lease.lastUsedAt >= idleReleaseMs);
      if (!idle) continue;
      if (lease.left > 0) lease.releasePending += lease.left;
      lease.left = 0;
      leases.delete(key);
      pendingWrites.add(lease);
    }
  }

  const pendingWrites = new Set<DayLease>();

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

  async function reserve(tenant: Tenant, maxCostMicros: number): Promise<BudgetReservation> {
    if (tenant.dailyBudgetMicros === null) return noReservation;
    const budget = tenant.dailyBudgetMicros;
    const day = dayOf(clock.now());
    const amount = Math.max(0, Math.ceil(maxCostMicros));
    const leaseKey = `${tenant.id}|${day}`;
    const existing = leases.get(leaseKey);
    if (existing && takeLocally(existing, amount)) return reservation(existing, amount);
    return serial.run(leaseKey, async () => {
      const current = leases.get(leaseKey);
      if (current && takeLocally(current, amount)) return reservation(current, amount);
      // Not renewed in time (Postgres unreachable, say): another process may have reclaimed it.
      if (current && !usable(current)) retire(current);
      const lease = current ?? {
        tenantId: tenant.id,
        day,
        left: 0,
        spentPending: 0,
        releasePending: 0,
        inFlight: 0,
        lastUsedAt: performance.now(),
        renewedAt: 0,
        generation: 0,
      };
      const need = amount - lease.left;
      const want = Math.max(need, Math.min(Math.floor(budget * share), amount * 64));
      const started = clock.now();
      const grant = await leaseBudget(db, {
        tenantId: tenant.id,
        day,
        holder,
        ttlMs,
        clockOffsetMs: wallClockOffsetMs(clock),
        needMicros: need,
        wantMicros: want,
        budgetMicros: budget,
      });
      if (grant === null) throw budgetExceeded(budget, amount, day);
      lease.left += grant;
      lease.renewedAt = started;
      leases.set(leaseKey, lease);
      if (!takeLocally(lease, amount)) throw budgetExceeded(budget, amount, day);
      scheduleFlush(heldFlushMs);
      return reservation(lease, amount);
    });
  }

  return {
    reserve,
    flush: () => flush(false),
    close: () => flush(true),
  };
}

function key(lease: DayLease): string {
  return `${lease.tenantId}|${lease.day}`;
}

const DAY_MS = 86_400_000;
let cachedDay = { start: 0, end: 0, day: "" };

/** The UTC day of a time, as `YYYY-MM-DD` (remembered for the current day: it is asked per request). */
function dayOf(epochMs: number): string {
  if (epochMs >= cachedDay.start && epochMs < cachedDay.end) return cachedDay.day;
  const start = Math.floor(epochMs / DAY_MS) * DAY_MS;
  cachedDay = { start, end: start + DAY_MS, day: new Date(start).toISOString().slice(0, 10) };
  return cachedDay.day;
}

function budgetExceeded(budget: number, amount: number, day: string): SluiceError {
  return new SluiceError(
    "budget_exceeded",
    `the daily budget of $${formatMicros(budget)} cannot cover this request (up to $${formatMicros(amount)})`,
    { details: { dailyBudgetMicros: budget, requestMaxMicros: amount, day } },
  );
}
