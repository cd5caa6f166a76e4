/**
 * Pacing: holds each request until its API key's budget (requests/s, tokens/min) allows it, so a burst far above
 * the limit reaches Together as a smooth stream just under it instead of a wall of 429s.
 *
 * Per key, waiters queue in FIFO order and one pump releases them: it asks the store for the next send slot and
 * sleeps until then. Limits come from the options (caps) and, by default, from the `x-ratelimit-*` /
 * `x-tokenlimit-*` headers of every response (`observe`). While a key's limit is still unknown the pacer sends at
 * `initialRequestsPerSecond`: the first request goes at once and is the probe; as soon as its headers are
 * observed, the queue is re-planned at the learned rate. A 429 `penalize`s the key: its queue holds until the
 * server's wait is over.
 */
import { tokenBudgetTooSmallError, waitAboveCapError } from '../errors/index.js';
import { systemClock, type Clock } from './clock.js';
import { DEFAULT_RETRY_OPTIONS } from './retry.js';
import type { PolicyEvents } from './events.js';
import { keyFingerprint } from './key-fingerprint.js';
import { createMemoryPacerStore, type PacerStore, type Reservation, type ReserveRequest } from './pacer-store.js';
import {
  DEFAULT_HEADER_UNITS,
  rateLimitSnapshot,
  readRateLimitValues,
  type HeaderSource,
  type HeaderUnits,
  type LimitHeaderSet,
  type RateLimitSnapshot,
  type RateLimitValues,
} from './rate-limit-headers.js';

export interface PaceLimits {
  requestsPerSecond?: number | undefined;
  tokensPerMinute?: number | undefined;
}

export interface PacerOptions extends PaceLimits {
  /** Learn each key's limits from response headers (see `observe`). Default true. */
  learnFromHeaders?: boolean;
  /**
   * Rate used while a key's limit is unknown (nothing configured, no headers seen yet). The first request goes at
   * once; later ones wait for its headers or this rate. Default 1/s: Together's documented base rate (60 RPM).
   */
  initialRequestsPerSecond?: number;
  /**
   * Share of each limit actually used. The margin absorbs timer jitter and network reordering, which otherwise
   * put limit + 1 requests in some one-second window upstream. Default 0.95.
   */
  safetyFactor?: number;
  /** Units of the limit headers (default: requests per second, tokens per minute). */
  headerUnits?: Partial<HeaderUnits>;
  /** Which of an answer's limit headers this pacer learns from (default all: e.g. only the key's own, or a model's). */
  limitHeaders?: LimitHeaderSet;
  /** Pause after a 429 that named no wait. Default 1 s. */
  defaultPenaltyMs?: number;
  /**
   * The longest a request is held for a pause the upstream asked for (a 429's retry-after, or a spent window's
   * x-ratelimit-reset) or for one send slot. A longer wait fails the request at once with a `rate_limit` error
   * naming both, as a retry-after above the retry policy's cap does. Default: that cap (maxRetryAfterMs, 30 s).
   */
  maxWaitMs?: number;
  /** Where budgets are kept. Default: in this process. Pass a Redis store to share a key across processes. */
  store?: PacerStore;
  events?: PolicyEvents;
  clock?: Clock;
}

export interface AcquireOptions {
  /** Tokens the request may use (prompt + max_tokens), charged to the tokens/min budget. Default 0. */
  tokens?: number;
  /** Aborting removes the request from the queue; the acquire rejects with the signal's reason. */
  signal?: AbortSignal;
}

export interface EffectiveLimits {
  /** The rate the key is paced at (after the safety factor), or undefined when it is not paced. */
  requestsPerSecond?: number | undefined;
  tokensPerMinute?: number | undefined;
  /** Where the request rate came from. */
  source: 'configured' | 'learned' | 'initial' | 'none';
}

interface Waiter {
  tokens: number;
  enqueuedAt: number;
  resolve(result: { waitedMs: number }): void;
  reject(reason: unknown): void;
  detach(): void;
}

interface KeyState {
  /** Store key and event label: a fingerprint, never the API key itself. */
  readonly id: string;
  readonly queue: Waiter[];
  running: boolean;
  /** Interrupts the pump's current sleep so it plans again (new limits, a pause, the head left). */
  wake: (() => void) | undefined;
  lastSendAt: number;
  pausedUntil: number;
  configured: PaceLimits;
  learned: PaceLimits;
  /** Whether responses for this key carry limit headers; 'none' after two that did not. */
  advertised: 'unknown' | 'known' | 'none';
  headerlessResponses: number;
  lastResetMs: number | undefined;
  /** What the current pause came from, for the error of a request that will not wait it out. */
  pauseReason: string;
  /** When the learned tokens/min limit was last read from an answer. */
  tokensLearnedAt: number;
  /** The end of the wait the upstream asked for (pausedUntil may end sooner: see pauseUntil). */
  askedUntil: number;
}

/** `admit`'s answer when the request may go at once (no wait): one shared value, no allocation. */
export const SENT_NOW: unique symbol = Symbol('sent now');

function checkRate(name: string, value: number | undefined): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new RangeError(`${name} must be a positive number (got ${String(value)}).`);
  }
}

/**
 * A slot less than this far off counts as due: the clock has whole-millisecond resolution and a timer cannot wait
 * less than 1 ms, so sleeping for it would only cap the release rate near 1,000/s (the 5 % safety margin covers a
 * send that early).
 */
const DUE_WITHIN_MS = 1;

/** A token budget is kept per minute: a wait for the next window is never longer. */
const TOKEN_WINDOW_MS = 61_000;

/** The longest a pause the upstream asked for is held beyond the cap: one rate window (Together's are a minute at most). */
const PAUSE_HELD_MS = 60_000;

function storeFailure(error: unknown): Error {
  const why = error instanceof Error ? error.message : String(error);
  return new Error(`Pacing failed: the rate-limit store did not answer (${why}). Check its Redis connection.`, { cause: error });
}

function minDefined(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.min(a, b);
}

export class Pacer {
  private readonly keys = new Map<string, KeyState>();
  private readonly store: PacerStore;
  private readonly ownsStore: boolean;
  private readonly clock: Clock;
  private readonly events: PolicyEvents | undefined;
  private readonly units: HeaderUnits;
  private readonly limitHeaders: LimitHeaderSet;
  private readonly defaults: PaceLimits;
  private readonly learn: boolean;
  private readonly initialRate: number;
  private readonly safety: number;
  private readonly defaultPenaltyMs: number;
  private readonly maxWaitMs: number;
  private closed = false;

  constructor(options: PacerOptions = {}) {
    checkRate('requestsPerSecond', options.requestsPerSecond);
    checkRate('tokensPerMinute', options.tokensPerMinute);
    checkRate('initialRequestsPerSecond', options.initialRequestsPerSecond);
    checkRate('defaultPenaltyMs', options.defaultPenaltyMs);
    checkRate('maxWaitMs', options.maxWaitMs);
    const safety = options.safetyFactor ?? 0.95;
    if (!(typeof safety === 'number' && safety > 0 && safety <= 1)) {
      throw new RangeError(`safetyFactor must be a number in (0, 1] (got ${String(options.safetyFactor)}).`);
    }
    this.defaults = { requestsPerSecond: options.requestsPerSecond, tokensPerMinute: options.tokensPerMinute };
    this.learn = options.learnFromHeaders ?? true;
    this.initialRate = options.initialRequestsPerSecond ?? 1;
    this.safety = safety;
    this.defaultPenaltyMs = options.defaultPenaltyMs ?? 1000;
    this.maxWaitMs = options.maxWaitMs ?? DEFAULT_RETRY_OPTIONS.maxRetryAfterMs;
    this.units = { ...DEFAULT_HEADER_UNITS, ...options.headerUnits };
    this.limitHeaders = options.limitHeaders ?? 'all';
    this.store = options.store ?? createMemoryPacerStore();
    this.ownsStore = options.store === undefined;
    this.clock = options.clock ?? systemClock;
    this.events = options.events;
  }

  /** Resolves when a request on `key` may be sent; FIFO per key. */
  acquire(key: string, options: AcquireOptions = {}): Promise<{ waitedMs: number }> {
    const admission = this.admit(key, options);
    return admission === SENT_NOW ? Promise.resolve({ waitedMs: 0 }) : admission;
  }

  /**
   * `acquire`, without a promise when the request may go at once (the common case): then SENT_NOW comes back and
   * the slot is taken. The attempt's pacing layers call this: two promises per attempt were a visible share of the
   * gateway's work per request.
   */
  admit(key: string, options: AcquireOptions = {}): typeof SENT_NOW | Promise<{ waitedMs: number }> {
    const tokens = options.tokens ?? 0;
    if (typeof tokens !== 'number' || !Number.isFinite(tokens) || tokens < 0) {
      return Promise.reject(new RangeError(`acquire tokens must be a number >= 0 (got ${String(options.tokens)}).`));
    }
    if (this.closed) return Promise.reject(new Error('The pacer is closed: create a new Pacer to send more requests.'));
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(signal.reason);
    const state = this.state(key);
    // One reading of the clock for the refusal and the fast path: nothing between them takes time.
    const now = this.clock.now();
    const refused = this.refusal(state, tokens, now);
    if (refused !== undefined) return Promise.reject(refused);
    // Fast path: nobody waits ahead and the store answers in-process, so a slot that is due now is taken and the
    // request goes with no timer, no queue and no round trip. A slot further off is handed to the pump below.
    let claimed: Reservation | undefined;
    let claimedLimits: EffectiveLimits | undefined;
    if (state.queue.length === 0 && !state.running && this.store.reserveSync !== undefined) {
      if (state.pausedUntil <= now) {
        claimedLimits = this.effective(state);
        // Nothing to pace (no rate, no token budget: an upstream that sends no limits) and a store only this pacer
        // uses, whose pauses are the ones checked above: nothing to reserve.
        if (this.ownsStore && claimedLimits.requestsPerSecond === undefined && claimedLimits.tokensPerMinute === undefined) {
          this.markSent(state, now, claimedLimits, now);
          return SENT_NOW;
        }
        try {
          claimed = this.store.reserveSync(state.id, this.reserveRequest(state, claimedLimits, tokens, now));
        } catch (error) {
          return Promise.reject(storeFailure(error));
        }
        if (!claimed.granted) claimed = undefined;
        else if (claimed.sendAt - now < DUE_WITHIN_MS) {
          this.markSent(state, claimed.sendAt, claimedLimits, now);
          return SENT_NOW;
        }
      }
    }
    return new Promise((resolve, reject) => {
      const onAbort = (): void => {
        const index = state.queue.indexOf(waiter);
        if (index < 0) return;
        state.queue.splice(index, 1);
        if (index === 0) state.wake?.();
        reject(signal?.reason);
      };
      const waiter: Waiter = {
        tokens,
        enqueuedAt: this.clock.now(),
        resolve,
        reject,
        detach: () => signal?.removeEventListener('abort', onAbort),
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      state.queue.push(waiter);
      if (!state.running) void this.pump(state, claimed && claimedLimits ? { waiter, reservation: claimed, limits: claimedLimits } : undefined);
    });
  }

  /**
   * Learns `key`'s limits from a response's headers (call on every response, errors included). Returns what it read
   * from them (undefined when it did not read them: learning off, or the pacer closed), so a caller need not parse
   * the same headers again.
   */
  observe(key: string, headers: HeaderSource): RateLimitSnapshot | undefined {
    if (!this.learn || this.closed) return undefined;
    return this.observeValues(key, readRateLimitValues(headers));
  }

  /** `observe` with the headers already read (readRateLimitValues): one reading serves every pacer of an answer. */
  observeValues(key: string, values: RateLimitValues): RateLimitSnapshot | undefined {
    if (!this.learn || this.closed) return undefined;
    const state = this.state(key);
    const now = this.clock.now();
    const snapshot = rateLimitSnapshot(values, this.limitHeaders, this.units, now);
    const before = this.effective(state);
    // A rate so low that one send slot is longer than the pacer ever waits cannot be honoured, and would refuse every
    // request with nothing sent to learn a better one from: it is read as noise (a poisoned or broken header).
    const rps = snapshot.requestsPerSecond !== undefined && 1000 / snapshot.requestsPerSecond <= this.maxWaitMs ? snapshot.requestsPerSecond : undefined;
    if (rps !== undefined || snapshot.tokensPerMinute !== undefined) {
      state.advertised = 'known';
      state.learned = {
        requestsPerSecond: rps ?? state.learned.requestsPerSecond,
        tokensPerMinute: snapshot.tokensPerMinute ?? state.learned.tokensPerMinute,
      };
      if (snapshot.tokensPerMinute !== undefined) state.tokensLearnedAt = now;
    } else if (state.advertised === 'unknown' && ++state.headerlessResponses >= 2) {
      // An upstream that sends no limit headers (a dedicated endpoint, a proxy) is not held at the probe rate.
      state.advertised = 'none';
    }
    if (snapshot.resetMs !== undefined) state.lastResetMs = snapshot.resetMs;
    // The window is spent: the next request would only earn a 429, so hold the queue until it resets.
    if (snapshot.requestsRemaining === 0 && snapshot.resetMs !== undefined && snapshot.resetMs > 0) {
      this.pauseUntil(state, now + snapshot.resetMs, 'x-ratelimit-remaining: 0 until x-ratelimit-reset');
    }
    const after = this.effective(state);
    if (before.requestsPerSecond !== after.requestsPerSecond || before.tokensPerMinute !== after.tokensPerMinute) {
      state.wake?.();
    }
    return snapshot;
  }

  /** A 429 on `key`: hold its queue (in every process sharing the store) for the server's wait. */
  penalize(key: string, retryAfterMs?: number): void {
    if (this.closed) return;
    const state = this.state(key);
    const valid = retryAfterMs !== undefined && Number.isFinite(retryAfterMs) && retryAfterMs >= 0;
    const waitMs = valid ? retryAfterMs : (state.lastResetMs ?? this.defaultPenaltyMs);
    this.pauseUntil(state, this.clock.now() + waitMs, 'a 429 answer');
  }

  /** Sets limits for one key (caps, like the constructor's; undefined fields fall back to the defaults). */
  setLimits(key: string, limits: PaceLimits): void {
    checkRate('requestsPerSecond', limits.requestsPerSecond);
    checkRate('tokensPerMinute', limits.tokensPerMinute);
    const state = this.state(key);
    state.configured = { ...limits };
    state.wake?.();
  }

  /** The limits `key` is paced at now. */
  limits(key: string): EffectiveLimits {
    return this.effective(this.state(key));
  }

  /** Requests waiting on `key`. */
  pending(key: string): number {
    return this.keys.get(key)?.queue.length ?? 0;
  }

  /** Rejects every waiter, stops every timer, and closes the store if the pacer created it. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const error = new Error('The pacer was closed while this request waited for rate budget.');
    for (const state of this.keys.values()) {
      for (const waiter of state.queue.splice(0)) {
        waiter.detach();
        waiter.reject(error);
      }
      state.wake?.();
    }
    if (this.ownsStore) await this.store.close();
  }

  private state(key: string): KeyState {
    if (typeof key !== 'string') throw new TypeError(`The pacing key must be a string (got ${typeof key}).`);
    let state = this.keys.get(key);
    if (!state) {
      state = {
        id: keyFingerprint(key),
        queue: [],
        running: false,
        wake: undefined,
        lastSendAt: -Infinity,
        pausedUntil: 0,
        configured: {},
        learned: {},
        advertised: 'unknown',
        headerlessResponses: 0,
        lastResetMs: undefined,
        pauseReason: '',
        tokensLearnedAt: 0,
        askedUntil: 0,
      };
      this.keys.set(key, state);
    }
    return state;
  }

  private effective(state: KeyState): EffectiveLimits {
    const configuredRps = state.configured.requestsPerSecond ?? this.defaults.requestsPerSecond;
    const configuredTpm = state.configured.tokensPerMinute ?? this.defaults.tokensPerMinute;
    const learned = this.learn && state.advertised === 'known' ? state.learned : {};
    let rps = minDefined(configuredRps, learned.requestsPerSecond);
    let source: EffectiveLimits['source'];
    if (learned.requestsPerSecond !== undefined && rps === learned.requestsPerSecond) source = 'learned';
    else if (configuredRps !== undefined) source = 'configured';
    else if (this.learn && state.advertised === 'unknown') {
      rps = this.initialRate;
      source = 'initial';
    } else source = 'none';
    const tpm = minDefined(configuredTpm, learned.tokensPerMinute);
    return {
      requestsPerSecond: rps === undefined ? undefined : rps * this.safety,
      tokensPerMinute: tpm === undefined ? undefined : tpm * this.safety,
      source,
    };
  }

  /**
   * Holds the key until `until`, or for at most one rate window past the cap when the upstream asked for longer:
   * meanwhile every request fails at once with the wait it asked for (see `refusal`), and after that one request goes
   * and its answer says again. Without the bound one poisoned header (`reset: 99999999`) would refuse the key for
   * weeks with nothing ever sent to correct it.
   */
  private pauseUntil(state: KeyState, until: number, reason: string): void {
    const now = this.clock.now();
    const held = Math.min(until, now + Math.max(this.maxWaitMs, PAUSE_HELD_MS));
    if (held <= state.pausedUntil) return;
    state.pausedUntil = held;
    state.askedUntil = until;
    state.pauseReason = reason;
    // The shared pause is best effort: the local one already holds this process's queue.
    this.store.pause(state.id, held, now).catch(() => {});
    state.wake?.();
  }

  /**
   * Releases `state`'s waiters as the budget allows; runs while the queue is not empty. Every waiter whose slot is
   * due (less than a timer tick away) goes in the same turn; the pump only sleeps for slots at least 1 ms off.
   * `claimed` is a slot the fast path of `acquire` already took for the (only) waiter.
   */
  private async pump(state: KeyState, claimed?: { waiter: Waiter; reservation: Reservation; limits: EffectiveLimits }): Promise<void> {
    state.running = true;
    try {
      while (state.queue.length > 0 && !this.closed) {
        const head = state.queue[0]!;
        const now = this.clock.now();
        let limits: EffectiveLimits;
        let reservation: Reservation;
        if (claimed !== undefined && claimed.waiter === head) {
          ({ limits, reservation } = claimed);
          claimed = undefined;
        } else {
          // Limits learned or a pause set while the head waited may make its wait endless or too long.
          const refused = this.refusal(state, head.tokens, now);
          if (refused !== undefined) {
            this.reject(state, head, refused);
            continue;
          }
          if (state.pausedUntil > now) {
            await this.nap(state, state.pausedUntil - now);
            continue;
          }
          limits = this.effective(state);
          const request = this.reserveRequest(state, limits, head.tokens, now);
          try {
            reservation = this.store.reserveSync !== undefined ? this.store.reserveSync(state.id, request) : await this.store.reserve(state.id, request);
          } catch (error) {
            if (state.queue[0] === head) this.fail(state, head, error);
            continue;
          }
          // The head may have aborted while the store answered; its reservation is then left unused.
          if (state.queue[0] !== head) continue;
        }
        if (!reservation.granted) {
          const waitMs = reservation.retryAt - this.clock.now();
          // A shared store's pause (set by another process) is capped like ours; a token window is at most a minute.
          if (waitMs > (reservation.paused === true ? this.maxWaitMs : Math.max(this.maxWaitMs, TOKEN_WINDOW_MS))) {
            this.reject(state, head, waitAboveCapError(waitMs, this.maxWaitMs, 'the shared rate-limit state'));
            continue;
          }
          await this.nap(state, Math.max(1, waitMs));
          continue;
        }
        const slotWaitMs = reservation.sendAt - this.clock.now();
        if (slotWaitMs > this.maxWaitMs) {
          this.reject(state, head, waitAboveCapError(slotWaitMs, this.maxWaitMs, `one request per ${Math.round(1000 / (limits.requestsPerSecond ?? 1))} ms at the learned rate`));
          continue;
        }
        if (reservation.sendAt - this.clock.now() >= DUE_WITHIN_MS && !(await this.waitForSlot(state, head, reservation.sendAt, limits))) continue;
        state.queue.shift();
        head.detach();
        const sentAt = this.markSent(state, reservation.sendAt, limits);
        const waitedMs = Math.max(0, sentAt - head.enqueuedAt);
        if (waitedMs > 0) this.events?.emit('pacing_wait', { key: state.id, waitedMs });
        head.resolve({ waitedMs });
      }
    } finally {
      state.running = false;
    }
  }

  private reserveRequest(state: KeyState, limits: EffectiveLimits, tokens: number, now: number): ReserveRequest {
    const intervalMs = limits.requestsPerSecond === undefined ? undefined : 1000 / limits.requestsPerSecond;
    return { now, notBefore: state.lastSendAt + (intervalMs ?? 0), intervalMs, tokens, tokensPerMinute: limits.tokensPerMinute };
  }

  /**
   * Records a send at its slot `sendAt`. The next send is spaced from the planned slot, not from the (late) wake-up:
   * a few ms of timer lateness per send would otherwise add up over a long queue (300 sends: a second). At most one
   * interval is caught up.
   */
  private markSent(state: KeyState, sendAt: number, limits: EffectiveLimits, sentAt = this.clock.now()): number {
    state.lastSendAt = limits.requestsPerSecond === undefined ? sentAt : Math.max(sendAt, sentAt - 1000 / limits.requestsPerSecond);
    return sentAt;
  }

  /**
   * Sleeps until the head's slot. Woken early, it keeps the slot unless it no longer fits: the head left, the
   * limits changed (the probe's headers taught a new rate: plan again at it), or a pause ends after the slot.
   * A pause that ends before the slot (an upstream window that is full only until then) costs nothing.
   */
  private async waitForSlot(state: KeyState, head: Waiter, sendAt: number, planned: EffectiveLimits): Promise<boolean> {
    for (let waitMs = sendAt - this.clock.now(); waitMs > 0; waitMs = sendAt - this.clock.now()) {
      if (!(await this.nap(state, waitMs))) break;
      const now = this.effective(state);
      const changed = now.requestsPerSecond !== planned.requestsPerSecond || now.tokensPerMinute !== planned.tokensPerMinute;
      if (this.closed || state.queue[0] !== head || changed || state.pausedUntil > sendAt) return false;
    }
    return !this.closed && state.queue[0] === head;
  }

  private fail(state: KeyState, head: Waiter, error: unknown): void {
    this.reject(state, head, storeFailure(error));
  }

  private reject(state: KeyState, head: Waiter, error: unknown): void {
    state.queue.shift();
    head.detach();
    head.reject(error);
  }

  /**
   * Why a request on this key must fail now rather than wait: the key is paused for longer than `maxWaitMs`, or the
   * request needs more tokens than the whole per-minute budget (no wait would ever make room for it).
   */
  private refusal(state: KeyState, tokens: number, now: number): Error | undefined {
    const pausedMs = state.pausedUntil - now;
    if (pausedMs > this.maxWaitMs) return waitAboveCapError(Math.max(pausedMs, state.askedUntil - now), this.maxWaitMs, state.pauseReason);
    if (tokens > 0) {
      let tpm = this.effective(state).tokensPerMinute;
      // A learned budget the request cannot fit is trusted for one token window after the answer that taught it: a
      // refused request sends nothing, so without this one poisoned x-tokenlimit-limit would refuse the key for ever.
      if (this.neverFits(tokens, tpm) && state.learned.tokensPerMinute !== undefined && now - state.tokensLearnedAt > TOKEN_WINDOW_MS) {
        state.learned = { ...state.learned, tokensPerMinute: undefined };
        tpm = this.effective(state).tokensPerMinute;
      }
      if (this.neverFits(tokens, tpm)) return tokenBudgetTooSmallError(tokens, tpm / this.safety);
    }
    return undefined;
  }

  /** Past the limit itself (not the safety share), or a budget under one token: the store would never grant it. */
  private neverFits(tokens: number, tpm: number | undefined): tpm is number {
    return tpm !== undefined && (tokens > tpm / this.safety || Math.floor(tpm) < 1);
  }

  /** Sleeps `ms` unless woken; resolves true when woken early. */
  private nap(state: KeyState, ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = this.clock.setTimeout(() => {
        state.wake = undefined;
        resolve(false);
      }, ms);
      state.wake = () => {
        state.wake = undefined;
        this.clock.clearTimeout(timer);
        resolve(true);
      };
    });
  }
}
