/**
 * Spend budgets in USD per UTC day, per UTC month or in total, that hold under concurrency: each request reserves
 * its worst-case cost before it is sent (check-and-add against the limit in one atomic step) and settles to what it
 * really cost when it ends (reservation released, real cost added, in one atomic step). Requests in flight thus
 * never all see the same remaining budget (LiteLLM's check-then-add overran for that reason).
 *
 * Amounts are kept as integer nano-dollars (1e-9 USD): sums are exact and Redis's HINCRBY adds them atomically.
 * Reservations are rounded up and costs rounded up too, so rounding never lets spend pass the limit.
 * Where the budget lives: MemorySpendStore (this process, default) or RedisSpendStore (redis-spend-store.ts, shared
 * by every gateway on the same Redis); both follow the same rules, written once in `reserveIn`/`settleIn` and in
 * the Redis store's Lua scripts.
 */
import { budgetExceededError } from '../errors/index.js';

export type BudgetPeriod = 'day' | 'month' | 'total';
export const BUDGET_PERIODS: readonly BudgetPeriod[] = ['day', 'month', 'total'];

/** A limit: at most `usd` per UTC day, per UTC month, or in total. */
export interface BudgetLimit {
  usd: number;
  per: BudgetPeriod;
}

export const NANO_PER_USD = 1_000_000_000;

export function toNanoUsd(usd: number): number {
  return Math.ceil(usd * NANO_PER_USD - 1e-6);
}

/** The window a moment falls in: its id (part of the store key) and when it resets (ms; Infinity for 'total'). */
export function budgetWindow(per: BudgetPeriod, now: number): { id: string; resetsAt: number } {
  const date = new Date(now);
  const year = date.getUTCFullYear();
  const month = date.getUTCMonth();
  if (per === 'day') {
    return { id: date.toISOString().slice(0, 10), resetsAt: Date.UTC(year, month, date.getUTCDate() + 1) };
  }
  if (per === 'month') return { id: date.toISOString().slice(0, 7), resetsAt: Date.UTC(year, month + 1, 1) };
  return { id: 'total', resetsAt: Infinity };
}

/** What a window holds: settled spend and open reservations, in nano-USD. */
export interface BudgetTotals {
  spentNano: number;
  reservedNano: number;
}

export type ReserveOutcome = { ok: true; totals: BudgetTotals } | { ok: false; totals: BudgetTotals };

export interface SpendStore {
  /** Adds `amountNano` to the window's reservations if spent + reserved + amount ≤ limit; else takes nothing. Atomic. */
  reserve(key: string, limitNano: number, amountNano: number, expiresAt: number): Promise<ReserveOutcome>;
  /** Releases `reservedNano` and adds `spentNano` to the window's spend. Atomic. */
  settle(key: string, reservedNano: number, spentNano: number, expiresAt: number): Promise<BudgetTotals>;
  read(key: string): Promise<BudgetTotals>;
  close(): Promise<void>;
}

/** The reserve rule, shared by the memory store and (as Lua) the Redis store. */
export function reserveIn(totals: BudgetTotals, limitNano: number, amountNano: number): ReserveOutcome {
  if (totals.spentNano + totals.reservedNano + amountNano > limitNano) return { ok: false, totals: copy(totals) };
  totals.reservedNano += amountNano;
  return { ok: true, totals: copy(totals) };
}

/** The settle rule: release the reservation (never below 0), add the real cost. */
export function settleIn(totals: BudgetTotals, reservedNano: number, spentNano: number): BudgetTotals {
  totals.reservedNano = Math.max(0, totals.reservedNano - reservedNano);
  totals.spentNano += spentNano;
  return copy(totals);
}

function copy(totals: BudgetTotals): BudgetTotals {
  return { spentNano: totals.spentNano, reservedNano: totals.reservedNano };
}

export class MemorySpendStore implements SpendStore {
  private readonly windows = new Map<string, BudgetTotals & { expiresAt: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  private totals(key: string, expiresAt: number): BudgetTotals & { expiresAt: number } {
    let totals = this.windows.get(key);
    if (totals === undefined || totals.expiresAt <= this.now()) {
      // Old windows are dropped as new ones start: the map holds a client's current windows only.
      for (const [other, held] of this.windows) if (held.expiresAt <= this.now()) this.windows.delete(other);
      this.windows.set(key, (totals = { spentNano: 0, reservedNano: 0, expiresAt }));
    }
    return totals;
  }

  async reserve(key: string, limitNano: number, amountNano: number, expiresAt: number): Promise<ReserveOutcome> {
    return reserveIn(this.totals(key, expiresAt), limitNano, amountNano);
  }

  async settle(key: string, reservedNano: number, spentNano: number, expiresAt: number): Promise<BudgetTotals> {
    return settleIn(this.totals(key, expiresAt), reservedNano, spentNano);
  }

  async read(key: string): Promise<BudgetTotals> {
    const totals = this.windows.get(key);
    return totals === undefined || totals.expiresAt <= this.now() ? { spentNano: 0, reservedNano: 0 } : { spentNano: totals.spentNano, reservedNano: totals.reservedNano };
  }

  async close(): Promise<void> {}
}

/** A reservation held for one request; settle it exactly once. */
export interface SpendReservation {
  budget: string;
  key: string;
  amountNano: number;
  expiresAt: number;
}

/** Windows are kept a day past their reset (a late settle still finds its window), 'total' for ~10 years. */
function expiryOf(resetsAt: number, now: number): number {
  return resetsAt === Infinity ? now + 3650 * 86_400_000 : resetsAt + 86_400_000;
}

/** One budget's state for /metrics and the dashboard. */
export interface BudgetReading {
  budget: string;
  limitUsd: number;
  per: BudgetPeriod;
  window: string;
  spentUsd: number;
  reservedUsd: number;
  resetsAt: number;
}

/** Budgets by name (a gateway client's name, or the library client's) over one store. */
export class SpendBudgets {
  constructor(
    private readonly store: SpendStore,
    private readonly now: () => number = Date.now,
    private readonly prefix = 'tether:spend',
  ) {}

  private keyOf(budget: string, window: string): string {
    return `${this.prefix}:${budget}:${window}`;
  }

  /** Reserves `usd` (the worst case) for one request, or throws budgetExceededError (nothing reserved). */
  async reserve(budget: string, limit: BudgetLimit, usd: number, model: string): Promise<SpendReservation> {
    const now = this.now();
    const window = budgetWindow(limit.per, now);
    const key = this.keyOf(budget, window.id);
    const amountNano = toNanoUsd(usd);
    const expiresAt = expiryOf(window.resetsAt, now);
    const outcome = await this.store.reserve(key, toNanoUsd(limit.usd), amountNano, expiresAt);
    if (!outcome.ok) throw budgetExceededError({ budget, limit, needUsd: usd, totals: outcome.totals, resetsAt: window.resetsAt, now, model });
    return { budget, key, amountNano, expiresAt };
  }

  /** Settles a reservation to the real cost; undefined (cost unknown) keeps the whole reservation as spent. */
  async settle(reservation: SpendReservation, costUsd: number | undefined): Promise<void> {
    const spentNano = costUsd === undefined ? reservation.amountNano : toNanoUsd(Math.max(0, costUsd));
    await this.store.settle(reservation.key, reservation.amountNano, spentNano, reservation.expiresAt);
  }

  async read(budget: string, limit: BudgetLimit): Promise<BudgetReading> {
    const window = budgetWindow(limit.per, this.now());
    const totals = await this.store.read(this.keyOf(budget, window.id));
    return {
      budget,
      limitUsd: limit.usd,
      per: limit.per,
      window: window.id,
      spentUsd: totals.spentNano / NANO_PER_USD,
      reservedUsd: totals.reservedNano / NANO_PER_USD,
      resetsAt: window.resetsAt,
    };
  }

  close(): Promise<void> {
    return this.store.close();
  }
}

