// Together's dynamic rate limits (facts §4.2, §11): per organisation (key) and model, a rate of about twice the
// recent successful rate, between a base and a cap. A request above it gets 429 dynamic_request_limited or
// dynamic_token_limited; sustained successful traffic raises it; a sudden burst far above it is throttled.
// Every method takes `now` (ms) so tests drive time.

export interface DynamicLimitSettings {
  /** Requests per minute the rate never falls below (Together's default base_rate: 60 RPM, about 1 a second). */
  baseRpm: number;
  /** Requests per minute the rate never rises above. */
  capRpm: number;
  /** Tokens per minute the token rate never falls below. */
  baseTpm: number;
  /** Tokens per minute the token rate never rises above. */
  capTpm: number;
  /** The trailing period whose successful rate sets the limit (Together: the past hour). */
  historyMs: number;
}

/** Buckets a trailing count is kept in: memory stays fixed whatever the request rate. */
const HISTORY_BUCKETS = 60;

/** A sum over a trailing period, kept in HISTORY_BUCKETS buckets (so it is exact to 1/60 of the period). */
export class TrailingSum {
  private readonly sums = new Float64Array(HISTORY_BUCKETS);
  private readonly slots = new Float64Array(HISTORY_BUCKETS).fill(-1);
  private readonly bucketMs: number;

  constructor(readonly periodMs: number) {
    this.bucketMs = Math.max(1, periodMs / HISTORY_BUCKETS);
  }

  add(now: number, amount: number): void {
    const slot = Math.floor(now / this.bucketMs);
    const index = slot % HISTORY_BUCKETS;
    if (this.slots[index] !== slot) {
      this.slots[index] = slot;
      this.sums[index] = 0;
    }
    this.sums[index] = (this.sums[index] ?? 0) + amount;
  }

  total(now: number): number {
    const current = Math.floor(now / this.bucketMs);
    let sum = 0;
    for (let i = 0; i < HISTORY_BUCKETS; i++) {
      const slot = this.slots[i] ?? -1;
      if (slot > current - HISTORY_BUCKETS && slot <= current) sum += this.sums[i] ?? 0;
    }
    return sum;
  }

  clear(): void {
    this.sums.fill(0);
    this.slots.fill(-1);
  }
}

/** A token bucket whose rate and size may change between calls (they follow the dynamic rate). */
class Bucket {
  private level: number | undefined;
  private at = 0;

  /** The level at `now` for a bucket refilling `perMs` up to `size` (a fresh bucket starts full). */
  peek(now: number, perMs: number, size: number): number {
    if (this.level === undefined) return size;
    // Requests are admitted as of their arrival, which need not be in order: an earlier `now` refills nothing.
    const elapsed = Math.max(0, now - this.at);
    return Math.min(size, this.level + elapsed * perMs);
  }

  take(now: number, perMs: number, size: number, amount: number): void {
    this.level = this.peek(now, perMs, size) - amount;
    this.at = Math.max(this.at, now);
  }

  clear(): void {
    this.level = undefined;
    this.at = 0;
  }
}

export type DynamicDecision =
  | { ok: true }
  | { ok: false; kind: 'requests'; limitRpm: number; retryAfterMs: number }
  | { ok: false; kind: 'tokens'; limitTpm: number; retryAfterMs: number };

function clamp(value: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, value));
}

/** One key's dynamic limit on one model. */
export class DynamicModelLimit {
  private readonly successes: TrailingSum;
  private readonly successTokens: TrailingSum;
  private readonly requestBucket = new Bucket();
  private readonly tokenBucket = new Bucket();

  constructor(readonly settings: DynamicLimitSettings) {
    this.successes = new TrailingSum(settings.historyMs);
    this.successTokens = new TrailingSum(settings.historyMs);
  }

  /** The dynamic request rate now: twice the successful rate over the history, within [base, cap]. */
  rpm(now: number): number {
    const perMinute = (this.successes.total(now) * 60_000) / this.settings.historyMs;
    return clamp(2 * perMinute, this.settings.baseRpm, this.settings.capRpm);
  }

  tpm(now: number): number {
    const perMinute = (this.successTokens.total(now) * 60_000) / this.settings.historyMs;
    return clamp(2 * perMinute, this.settings.baseTpm, this.settings.capTpm);
  }

  /** Requests are allowed a burst of one second's worth (at least one); tokens, one minute's. */
  private requestShape(now: number): { perMs: number; size: number } {
    const perSecond = this.rpm(now) / 60;
    return { perMs: perSecond / 1000, size: Math.max(1, perSecond) };
  }

  private tokenShape(now: number): { perMs: number; size: number } {
    const perMinute = this.tpm(now);
    return { perMs: perMinute / 60_000, size: perMinute };
  }

  /** Would a request of `tokens` be within the dynamic rate at `now`? Records nothing. */
  check(now: number, tokens: number): DynamicDecision {
    const requests = this.requestShape(now);
    const requestLevel = this.requestBucket.peek(now, requests.perMs, requests.size);
    if (requestLevel < 1) {
      return { ok: false, kind: 'requests', limitRpm: this.rpm(now), retryAfterMs: Math.ceil((1 - requestLevel) / requests.perMs) };
    }
    const shape = this.tokenShape(now);
    const tokenLevel = this.tokenBucket.peek(now, shape.perMs, shape.size);
    if (tokens > tokenLevel) {
      // A request over a whole minute's allowance waits the minute; the rate may have grown by then.
      const wait = tokens > shape.size ? 60_000 : Math.ceil((tokens - tokenLevel) / shape.perMs);
      return { ok: false, kind: 'tokens', limitTpm: this.tpm(now), retryAfterMs: wait };
    }
    return { ok: true };
  }

  /** Charge an admitted request; it counts as a success towards the rate. */
  consume(now: number, tokens: number): void {
    const requests = this.requestShape(now);
    const shape = this.tokenShape(now);
    this.requestBucket.take(now, requests.perMs, requests.size, 1);
    this.tokenBucket.take(now, shape.perMs, shape.size, tokens);
    this.successes.add(now, 1);
    this.successTokens.add(now, tokens);
  }

  /**
   * The `-dynamic` headers: the request limit per second and the token limit per minute, the units of the fixed
   * `x-ratelimit-limit` / `x-tokenlimit-limit` beside them (UNCONFIRMED: Together's units for these).
   */
  headers(now: number): Record<string, string> {
    const requests = this.requestShape(now);
    const tokens = this.tokenShape(now);
    return {
      'x-ratelimit-limit-dynamic': String(Math.round((this.rpm(now) / 60) * 1000) / 1000),
      'x-ratelimit-remaining-dynamic': String(Math.max(0, Math.floor(this.requestBucket.peek(now, requests.perMs, requests.size)))),
      'x-tokenlimit-limit-dynamic': String(Math.round(this.tpm(now))),
      'x-tokenlimit-remaining-dynamic': String(Math.max(0, Math.floor(this.tokenBucket.peek(now, tokens.perMs, tokens.size)))),
    };
  }

  clear(): void {
    this.successes.clear();
    this.successTokens.clear();
    this.requestBucket.clear();
    this.tokenBucket.clear();
  }
}
