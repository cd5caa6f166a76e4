// Per-key limits as exact sliding windows: requests per second and tokens per minute. A window remembers what
// it admitted and when; nothing is recorded for a rejected request, so rejections cost no budget. Every
// function takes `now` (ms) so tests can drive time.
import { DynamicModelLimit } from './dynamic-limits.js';
import { dynamicRequestLimited, dynamicTokenLimited, fixedRateLimited, modelRateLimited, requestRateLimited, tokenRateLimited } from './errors.js';
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

  /** What the window holds as of `now`. */
  count(now: number): number {
    this.prune(now);
    return this.usedAsOf(now);
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

/**
 * Models with a limit of their own besides the key's: Together's -Free endpoints (a few queries a minute each).
 * UNCONFIRMED: the number; 6 a minute sits between the 5 and 9 seen in real 429s (facts §3.3, §11).
 */
export function modelLimitPerMinute(model: string): number | undefined {
  return /-Free$/.test(model) ? 6 : undefined;
}

export class KeyLimiter {
  readonly requests: SlidingWindow;
  readonly tokens: SlidingWindow;
  private readonly perModel = new Map<string, SlidingWindow>();
  /** The dynamic limit per model, for keys configured with one (model ids here are catalog ids: bounded). */
  private readonly dynamicPerModel = new Map<string, DynamicModelLimit>();
  private readonly tier: number;
  private readonly mode: 'dynamic' | 'fixed';
  private readonly dynamic: EmulatorKey['dynamic'];

  constructor(key: Pick<EmulatorKey, 'requestsPerSecond' | 'tokensPerMinute'> & Partial<Pick<EmulatorKey, 'tier' | 'rateLimits' | 'dynamic'>>) {
    this.requests = new SlidingWindow(key.requestsPerSecond, 1000);
    this.tokens = new SlidingWindow(key.tokensPerMinute, 60_000);
    this.tier = key.tier ?? 1;
    this.mode = key.rateLimits ?? 'dynamic';
    this.dynamic = key.dynamic;
  }

  /** The key's dynamic limit on `model` (created on first use when `create`), or undefined without one. */
  dynamicLimit(model: string | undefined, create = true): DynamicModelLimit | undefined {
    if (this.dynamic === undefined || model === undefined) return undefined;
    let limit = this.dynamicPerModel.get(model);
    if (!limit && create) {
      limit = new DynamicModelLimit(this.dynamic);
      this.dynamicPerModel.set(model, limit);
    }
    return limit ?? new DynamicModelLimit(this.dynamic);
  }

  private modelWindow(model: string | undefined): SlidingWindow | undefined {
    const limit = model === undefined ? undefined : modelLimitPerMinute(model);
    if (model === undefined || limit === undefined) return undefined;
    let window = this.perModel.get(model);
    if (!window) {
      window = new SlidingWindow(limit, 60_000);
      this.perModel.set(model, window);
    }
    return window;
  }

  /** Would a request costing `tokens` (on `model`) be admitted now? Records nothing. */
  check(now: number, tokens: number, model?: string): LimitDecision {
    const retryAfter = (ms: number): number => Math.max(1, Math.ceil(ms / 1000));
    const requestWait = this.requests.msUntilFits(now, 1);
    const tokenWait = requestWait > 0 ? 0 : this.tokens.msUntilFits(now, tokens);
    if (this.mode === 'fixed' && (requestWait > 0 || tokenWait > 0)) {
      return { ok: false, error: fixedRateLimited(this.tier, this.requests.limit, this.tokens.limit, retryAfter(requestWait || tokenWait)) };
    }
    if (requestWait > 0) return { ok: false, error: requestRateLimited(this.requests.limit, retryAfter(requestWait)) };
    if (tokenWait > 0) return { ok: false, error: tokenRateLimited(this.tokens.limit, retryAfter(tokenWait)) };
    const modelWindow = this.modelWindow(model);
    const modelWait = modelWindow?.msUntilFits(now, 1) ?? 0;
    if (modelWindow && modelWait > 0 && model !== undefined) return { ok: false, error: modelRateLimited(model, modelWindow.limit, retryAfter(modelWait)) };
    const dynamic = this.dynamicLimit(model);
    if (dynamic && model !== undefined) {
      const decision = dynamic.check(now, tokens);
      if (!decision.ok) {
        const headers = dynamic.headers(now);
        const error =
          decision.kind === 'requests'
            ? dynamicRequestLimited(model, decision.limitRpm, dynamic.settings.baseRpm, retryAfter(decision.retryAfterMs))
            : dynamicTokenLimited(model, decision.limitTpm, retryAfter(decision.retryAfterMs));
        return { ok: false, error: { ...error, headers: { ...headers, ...error.headers } } };
      }
    }
    return { ok: true };
  }

  consume(now: number, tokens: number, model?: string): void {
    this.requests.record(now, 1);
    this.tokens.record(now, tokens);
    this.modelWindow(model)?.record(now, 1);
    this.dynamicLimit(model)?.consume(now, tokens);
  }

  /** The x-ratelimit-* / x-tokenlimit-* headers for the key's state at `now` (and the -dynamic ones on `model`). */
  headers(now: number, model?: string): Record<string, string> {
    return {
      ...this.dynamicLimit(model, false)?.headers(now),
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
    this.perModel.clear();
    this.dynamicPerModel.clear();
  }
}
