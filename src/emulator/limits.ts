// Per-key limits as exact sliding windows: requests per second and tokens per minute. A window remembers what
// it admitted and when; nothing is recorded for a rejected request, so rejections cost no budget. Every
// function takes `now` (ms) so tests can drive time.
import { requestRateLimited, tokenRateLimited } from './errors.js';
import type { EmulatorError } from './errors.js';
import type { EmulatorKey } from './config.js';

interface Entry {
  at: number;
  amount: number;
}

export class SlidingWindow {
  private entries: Entry[] = [];
  private used = 0;

  constructor(
    readonly limit: number,
    readonly windowMs: number,
  ) {}

  private prune(now: number): void {
    let drop = 0;
    while (drop < this.entries.length && (this.entries[drop] as Entry).at + this.windowMs <= now) {
      this.used -= (this.entries[drop] as Entry).amount;
      drop++;
    }
    if (drop > 0) this.entries = this.entries.slice(drop);
  }

  /**
   * What counts against an admission at `now`: everything in any window that holds `now`. Requests are admitted
   * as of their arrival, and one decided late has later arrivals beside it; those a window apart do not count.
   */
  private usedAsOf(now: number): number {
    const last = this.entries[this.entries.length - 1];
    if (last === undefined || last.at < now + this.windowMs) return this.used;
    let used = 0;
    for (const entry of this.entries) {
      if (entry.at >= now + this.windowMs) break;
      used += entry.amount;
    }
    return used;
  }

  remaining(now: number): number {
    this.prune(now);
    return Math.max(0, this.limit - this.usedAsOf(now));
  }

  /** ms until `amount` more fits (0 if it fits now; a whole window if it can never fit). */
  msUntilFits(now: number, amount: number): number {
    this.prune(now);
    if (amount > this.limit) return this.windowMs;
    let free = this.limit - this.usedAsOf(now);
    if (free >= amount) return 0;
    for (const entry of this.entries) {
      if (entry.at >= now + this.windowMs) break;
      free += entry.amount;
      if (free >= amount) return entry.at + this.windowMs - now;
    }
    return this.windowMs;
  }

  /** ms until the oldest admission leaves the window (0 when the window is empty). */
  msUntilReset(now: number): number {
    this.prune(now);
    const first = this.entries[0];
    return first ? first.at + this.windowMs - now : 0;
  }

  /** Records in time order: requests are admitted as of their arrival, which need not be the order they end in. */
  record(now: number, amount: number): void {
    this.prune(now);
    let at = this.entries.length;
    while (at > 0 && (this.entries[at - 1] as Entry).at > now) at--;
    this.entries.splice(at, 0, { at: now, amount });
    this.used += amount;
  }

  clear(): void {
    this.entries = [];
    this.used = 0;
  }
}

export type LimitDecision = { ok: true } | { ok: false; error: EmulatorError };

/** Seconds as Together-style header text: up to millisecond precision, no trailing zeros. */
function seconds(ms: number): string {
  return String(Math.max(0, Math.ceil(ms)) / 1000);
}

export class KeyLimiter {
  readonly requests: SlidingWindow;
  readonly tokens: SlidingWindow;

  constructor(key: Pick<EmulatorKey, 'requestsPerSecond' | 'tokensPerMinute'>) {
    this.requests = new SlidingWindow(key.requestsPerSecond, 1000);
    this.tokens = new SlidingWindow(key.tokensPerMinute, 60_000);
  }

  /** Would a request costing `tokens` be admitted now? Records nothing. */
  check(now: number, tokens: number): LimitDecision {
    const requestWait = this.requests.msUntilFits(now, 1);
    if (requestWait > 0) {
      return { ok: false, error: requestRateLimited(this.requests.limit, Math.max(1, Math.ceil(requestWait / 1000))) };
    }
    const tokenWait = this.tokens.msUntilFits(now, tokens);
    if (tokenWait > 0) {
      return { ok: false, error: tokenRateLimited(this.tokens.limit, Math.max(1, Math.ceil(tokenWait / 1000))) };
    }
    return { ok: true };
  }

  consume(now: number, tokens: number): void {
    this.requests.record(now, 1);
    this.tokens.record(now, tokens);
  }

  /** The x-ratelimit-* / x-tokenlimit-* headers for the key's state at `now`. */
  headers(now: number): Record<string, string> {
    return {
      'x-ratelimit-limit': String(this.requests.limit),
      'x-ratelimit-remaining': String(this.requests.remaining(now)),
      // Seconds until the oldest request in the window expires, i.e. until `remaining` goes up again.
      'x-ratelimit-reset': seconds(this.requests.msUntilReset(now)),
      'x-tokenlimit-limit': String(this.tokens.limit),
      'x-tokenlimit-remaining': String(this.tokens.remaining(now)),
    };
  }

  clear(): void {
    this.requests.clear();
    this.tokens.clear();
  }
}
