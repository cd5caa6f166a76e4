/**
 * Where the pacer keeps a key's budget: in this process (default: MemoryPacerStore, plain maps) or in Redis, shared
 * by every process that sends with the same key (RateLimiterPacerStore over rate-limiter-flexible's RateLimiterRedis,
 * in redis-pacer-store.ts). Both keep the budget by the same rules.
 *
 * How the budget is kept, on rate-limiter-flexible's atomic counters (`penalty`/`reward` = incr/decr with a TTL):
 * - requests/s: time is cut into send slots `intervalMs` long (intervalMs = 1000 / rate), aligned on the clock;
 *   a sender claims a slot by being the first to increment its counter. One send per slot, at its start or (late
 *   in it) with the next slot left unused, keeps sends at least an interval apart across processes, so no
 *   one-second window sees more than the rate: the upstream cannot tell our traffic from a smooth stream,
 *   whichever window or bucket it counts with. (A fixed window of N per second, the library's usual use, lets 2N
 *   through across a window edge, which an upstream counting a sliding window 429s.)
 * - tokens/min: a fixed 60 s window counter, the unit Together budgets tokens in.
 * - a pause (after a 429): the resume time stored under the key, read before every reservation.
 */

export interface ReserveRequest {
  /** Current clock time (ms since the epoch; every process sharing a store must have synchronised clocks). */
  now: number;
  /** The earliest the send may happen (the pacer's own spacing after its previous send). */
  notBefore: number;
  /** Time between sends: 1000 / requests per second. Undefined: no request budget. */
  intervalMs?: number | undefined;
  /** Tokens this request will use (prompt + max_tokens estimate); 0 skips the token budget. */
  tokens: number;
  tokensPerMinute?: number | undefined;
}

export type Reservation =
  /** Budget taken: send at `sendAt` (now or a little later). */
  | { granted: true; sendAt: number }
  /** Nothing taken: ask again at `retryAt`; `paused` when the key is held by a pause (another process's 429). */
  | { granted: false; retryAt: number; paused?: boolean };

export interface PacerStore {
  /** Takes one send slot and `tokens` of the token budget for `key`, or says when to ask again. */
  reserve(key: string, request: ReserveRequest): Promise<Reservation>;
  /**
   * The same reservation, answered synchronously: offered by stores that live in this process, so the pacer's
   * hot path takes a slot with no promise, no timer and no round trip. Optional (a Redis store has none).
   */
  reserveSync?(key: string, request: ReserveRequest): Reservation;
  /** Holds every send on `key` until `until` (ms since the epoch), for all pacers sharing the store. */
  pause(key: string, until: number, now: number): Promise<void>;
  /** Releases what the store owns (never a Redis client it was given). */
  close(): Promise<void>;
}

/** The part of a rate-limiter-flexible limiter the store uses: atomic counters with a TTL. */
export interface BudgetCounter {
  penalty(key: string, points?: number, options?: { customDuration?: number }): Promise<CounterValue>;
  reward(key: string, points?: number): Promise<CounterValue>;
  get(key: string): Promise<CounterValue | null>;
  set(key: string, points: number, secDuration: number): Promise<CounterValue>;
}

export interface CounterValue {
  consumedPoints: number;
  msBeforeNext: number;
}

/** Builds one rate-limiter-flexible limiter; the store makes three (slots, tokens, pauses). */
export type LimiterFactory = (options: { keyPrefix: string; points: number; duration: number }) => BudgetCounter;

/** How many taken slots a reservation steps over before it gives up for this round (other processes' claims). */
const MAX_SLOT_PROBES = 64;
const TOKEN_WINDOW_SECONDS = 60;

export class RateLimiterPacerStore implements PacerStore {
  private readonly slots: BudgetCounter;
  private readonly tokens: BudgetCounter;
  private readonly pauses: BudgetCounter;

  constructor(createLimiter: LimiterFactory, keyPrefix = 'tether:pace') {
    // `points` only matters to consume(), which the store does not use; the thresholds are checked here.
    this.slots = createLimiter({ keyPrefix: `${keyPrefix}:slot`, points: 1, duration: 2 });
    this.tokens = createLimiter({ keyPrefix: `${keyPrefix}:tokens`, points: 1, duration: TOKEN_WINDOW_SECONDS });
    this.pauses = createLimiter({ keyPrefix: `${keyPrefix}:pause`, points: 1, duration: 60 });
  }

  async reserve(key: string, request: ReserveRequest): Promise<Reservation> {
    const { now } = request;
    const paused = await this.pauses.get(key);
    if (paused && paused.consumedPoints > now) return { granted: false, retryAt: paused.consumedPoints, paused: true };

    const tokens = tokensToTake(request);
    if (tokens > 0) {
      const taken = await this.tokens.penalty(key, tokens);
      if (taken.consumedPoints > (request.tokensPerMinute ?? Infinity)) {
        await this.tokens.reward(key, tokens);
        return { granted: false, retryAt: now + Math.max(1, taken.msBeforeNext) };
      }
    }
    if (request.intervalMs === undefined) return { granted: true, sendAt: Math.max(now, request.notBefore) };

    const interval = request.intervalMs;
    const from = Math.max(now, request.notBefore);
    let slot = Math.floor(from / interval);
    for (let probe = 0; probe < MAX_SLOT_PROBES; probe++, slot++) {
      const slotStart = slot * interval;
      const ttlSeconds = Math.max(1, Math.ceil((slotStart + interval - now) / 1000) + 1);
      const claim = await this.slots.penalty(this.slotName(key, interval, slot), 1, { customDuration: ttlSeconds });
      if (claim.consumedPoints !== 1) continue;
      // (Within a millisecond counts as on time: slot starts are float products of the interval.)
      if (from <= slotStart + 1) return { granted: true, sendAt: Math.max(from, slotStart) };
      // Late in its slot: sent now, this send would be closer than an interval to one sent at the next slot's
      // start (two in one interval, the rate + 1 in a sliding second, which an upstream counting exactly 429s).
      // So it takes the next slot too and leaves it unused; if that one is taken already, it goes on after it.
      const next = await this.slots.penalty(this.slotName(key, interval, slot + 1), 1, { customDuration: ttlSeconds + 1 });
      if (next.consumedPoints === 1) return { granted: true, sendAt: from };
      slot++;
    }
    if (tokens > 0) await this.tokens.reward(key, tokens);
    return { granted: false, retryAt: slot * interval };
  }

  /** The interval is part of the slot's name: senders that (briefly) disagree on the rate use separate grids. */
  private slotName(key: string, interval: number, slot: number): string {
    return `${key}:${interval.toFixed(3)}:${slot}`;
  }

  async pause(key: string, until: number, now: number): Promise<void> {
    if (until <= now) return;
    // Read-then-write, not atomic: two pauses racing keep one of their (close) resume times, which is harmless.
    const current = await this.pauses.get(key);
    if (current && current.consumedPoints >= until) return;
    const ttlSeconds = Math.max(1, Math.ceil((until - now) / 1000) + 1);
    await this.pauses.set(key, Math.ceil(until), ttlSeconds);
  }

  async close(): Promise<void> {}

}

/**
 * The default store: this process only. The same budget rules as RateLimiterPacerStore (one send per aligned
 * slot, a fixed 60 s token window, a pause), kept in plain maps so a reservation is a few map operations,
 * synchronous, with no timer per slot (RateLimiterMemory arms one per counter, which dominated the hot path).
 */
export class MemoryPacerStore implements PacerStore {
  /**
   * The highest slot claimed per `key:interval` grid. Every claim takes the first slot after it: a claim is never in
   * the past (it starts from now), so the slots below the mark are taken or gone, and one number per grid replaces a
   * set of claimed slots (pacers sharing this store at most wait a slot longer than a perfect packing would).
   */
  private readonly grids = new Map<string, Grid>();
  private readonly tokenWindows = new Map<string, { resetAt: number; used: number }>();
  private readonly pauses = new Map<string, number>();
  private lastGrid: { key: string; interval: number; grid: Grid } | undefined;

  reserve(key: string, request: ReserveRequest): Promise<Reservation> {
    return Promise.resolve(this.reserveSync(key, request));
  }

  reserveSync(key: string, request: ReserveRequest): Reservation {
    const { now } = request;
    const paused = this.pauses.get(key);
    if (paused !== undefined) {
      if (paused > now) return { granted: false, retryAt: paused, paused: true };
      this.pauses.delete(key);
    }

    // The send slot first (not yet taken), so the token window can be placed by the send time: a window starts at
    // the first send in it, as the upstream (and the property test) counts it, not when that send was planned.
    const interval = request.intervalMs;
    const from = Math.max(now, request.notBefore);
    let grid: Grid | undefined;
    let slot = 0;
    let sendAt = from;
    if (interval !== undefined) {
      grid = this.grid(key, interval, now);
      const first = Math.floor(from / interval);
      slot = Math.max(first, grid.high + 1);
      // As the shared stores do: past this many taken slots, give up for this round and ask again later.
      if (slot - first >= MAX_SLOT_PROBES) return { granted: false, retryAt: (first + MAX_SLOT_PROBES) * interval };
      // At least an interval after the grid's last send: a send late in its slot would otherwise have the next
      // slot's send close behind it (the shared store leaves that slot unused instead; here the time is known).
      sendAt = Math.max(from, slot * interval, grid.lastSendAt + interval);
    }

    const tokens = tokensToTake(request);
    if (tokens > 0) {
      let window = this.tokenWindows.get(key);
      if (!window || sendAt >= window.resetAt) {
        window = { resetAt: sendAt + TOKEN_WINDOW_SECONDS * 1000, used: 0 };
        this.tokenWindows.set(key, window);
      }
      // Nothing taken: ask again when the window is over (a fresh window always has room: tokens <= the limit).
      if (window.used + tokens > (request.tokensPerMinute ?? Infinity)) return { granted: false, retryAt: Math.max(now + 1, window.resetAt) };
      window.used += tokens;
    }
    if (grid !== undefined) {
      grid.high = Math.max(slot, Math.floor(sendAt / grid.interval));
      grid.lastSendAt = sendAt;
    }
    return { granted: true, sendAt };
  }

  /** The grid of `key` at `interval`: the last one used is kept at hand (a key's rate rarely changes). */
  private grid(key: string, interval: number, now: number): Grid {
    const last = this.lastGrid;
    if (last !== undefined && last.key === key && last.interval === interval) return last.grid;
    const gridKey = `${key}:${interval.toFixed(3)}`;
    let grid = this.grids.get(gridKey);
    if (!grid) {
      if (this.grids.size >= MAX_GRIDS) this.dropPastGrids(now);
      grid = { high: -Infinity, interval, lastSendAt: -Infinity };
      this.grids.set(gridKey, grid);
    }
    this.lastGrid = { key, interval, grid };
    return grid;
  }

  /** Forgets the grids whose every claimed slot has passed (rates that changed): a new claim there starts from now anyway. */
  private dropPastGrids(now: number): void {
    for (const [gridKey, grid] of this.grids) if ((grid.high + 1) * grid.interval < now) this.grids.delete(gridKey);
  }

  pause(key: string, until: number, now: number): Promise<void> {
    if (until > now && until > (this.pauses.get(key) ?? -Infinity)) this.pauses.set(key, Math.ceil(until));
    return Promise.resolve();
  }

  async close(): Promise<void> {
    this.grids.clear();
    this.lastGrid = undefined;
    this.tokenWindows.clear();
    this.pauses.clear();
  }
}

/** The highest slot claimed on one key's grid of send slots `interval` ms long. */
interface Grid {
  high: number;
  readonly interval: number;
  /** When the last send on this grid goes. */
  lastSendAt: number;
}

/** Grids kept at once (one per key and rate): a key whose learned rate keeps changing must not grow the map forever. */
const MAX_GRIDS = 1024;

/** A request larger than the whole per-minute budget would never fit: it waits for an empty window instead. */
function tokensToTake(request: ReserveRequest): number {
  const limit = request.tokensPerMinute;
  if (limit === undefined || !(request.tokens > 0)) return 0;
  return Math.max(1, Math.min(Math.ceil(request.tokens), Math.floor(limit)));
}

/** The default store: this process only. */
export function createMemoryPacerStore(): PacerStore {
  return new MemoryPacerStore();
}
