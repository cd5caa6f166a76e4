/**
 * The retry budget (the gRPC/Finagle idea): per API key × model, retries may be at most a share of the recent
 * requests (`ratio`, default 20%) plus a small floor (`minRetriesPerSecond` over the window), counted over a
 * sliding window. However many clients, gateways or workers send, retries then add at most that share to an
 * outage's load instead of multiplying it by the attempt count. In memory, or shared through Redis so every process
 * on the same key draws on one budget; while Redis is away each process falls back to its own counts.
 */
import type { Redis } from 'ioredis';
import { systemClock, type Clock } from './clock.js';
import { keyFingerprint } from './key-fingerprint.js';
import { PairKeys } from './pair-key.js';

/** A budget's id per key × model: the key's fingerprint, never the key, and the model. */
const budgetIds = new PairKeys((apiKey, model) => `${keyFingerprint(apiKey)}:${model}`);

export interface RetryBudgetOptions {
  /** Share of the window's requests that may be retried (0–1). Default 0.2. */
  ratio?: number;
  /** Retries allowed per second of window whatever the traffic, so a quiet key can still retry. Default 5. */
  minRetriesPerSecond?: number;
  /** The sliding window (ms). Default 10 s. */
  windowMs?: number;
}

export type ResolvedRetryBudgetOptions = Required<RetryBudgetOptions>;

export const DEFAULT_RETRY_BUDGET: ResolvedRetryBudgetOptions = { ratio: 0.2, minRetriesPerSecond: 5, windowMs: 10_000 };

/** Buckets per window: the window slides by a tenth at a time. */
const BUCKETS = 10;
/** Key × model pairs kept in memory; the oldest is forgotten beyond this (an unbounded set of model ids). */
const MAX_PAIRS = 10_000;

export function resolveRetryBudgetOptions(options: RetryBudgetOptions = {}): ResolvedRetryBudgetOptions {
  const resolved = { ...DEFAULT_RETRY_BUDGET };
  const check = (name: keyof RetryBudgetOptions, ok: (v: number) => boolean, what: string): void => {
    const value = options[name];
    if (value === undefined) return;
    if (typeof value !== 'number' || !Number.isFinite(value) || !ok(value)) throw new RangeError(`retryBudget.${name} must be ${what} (got ${String(value)}).`);
    resolved[name] = value;
  };
  check('ratio', (v) => v >= 0 && v <= 1, 'a number from 0 to 1');
  check('minRetriesPerSecond', (v) => v >= 0, 'a number >= 0');
  check('windowMs', (v) => v >= 100, 'a number of milliseconds >= 100');
  return resolved;
}

/** Retries the window's counts allow in all. Pure. */
export function retryAllowance(requests: number, options: ResolvedRetryBudgetOptions): number {
  return options.minRetriesPerSecond * (options.windowMs / 1000) + options.ratio * requests;
}

export { retryBudgetExhaustedError } from '../errors/index.js';

interface Window {
  /** Start (ms, bucket-aligned) of each bucket, and its counts. */
  starts: number[];
  requests: number[];
  retries: number[];
}

/** Sliding-window counts per key × model, in this process. */
class LocalCounts {
  private readonly windows = new Map<string, Window>();
  constructor(
    private readonly options: ResolvedRetryBudgetOptions,
    private readonly clock: Clock,
  ) {}

  private bucket(id: string): { window: Window; index: number } {
    const size = this.options.windowMs / BUCKETS;
    const now = this.clock.now();
    const start = Math.floor(now / size) * size;
    let window = this.windows.get(id);
    if (window === undefined) {
      if (this.windows.size >= MAX_PAIRS) this.windows.delete(this.windows.keys().next().value!);
      window = { starts: new Array<number>(BUCKETS).fill(-Infinity), requests: new Array<number>(BUCKETS).fill(0), retries: new Array<number>(BUCKETS).fill(0) };
      this.windows.set(id, window);
    }
    const index = Math.floor(start / size) % BUCKETS;
    if (window.starts[index] !== start) {
      window.starts[index] = start;
      window.requests[index] = 0;
      window.retries[index] = 0;
    }
    return { window, index };
  }

  private totals(window: Window): { requests: number; retries: number } {
    const oldest = this.clock.now() - this.options.windowMs;
    let requests = 0;
    let retries = 0;
    for (let i = 0; i < BUCKETS; i++) {
      if (window.starts[i]! <= oldest) continue;
      requests += window.requests[i]!;
      retries += window.retries[i]!;
    }
    return { requests, retries };
  }

  deposit(id: string): void {
    const { window, index } = this.bucket(id);
    window.requests[index]! += 1;
  }

  withdraw(id: string): boolean {
    const { window, index } = this.bucket(id);
    const { requests, retries } = this.totals(window);
    if (retries + 1 > retryAllowance(requests, this.options)) return false;
    window.retries[index]! += 1;
    return true;
  }
}

/**
 * Atomic withdraw over the window's buckets in Redis. KEYS: the window's bucket hashes, newest first. ARGV: the
 * allowance's floor, ratio, and each bucket's TTL (ms). Returns 1 and counts the retry when the budget allows it.
 */
const WITHDRAW_SCRIPT = `
local requests, retries = 0, 0
for i = 1, #KEYS do
  local counts = redis.call('HMGET', KEYS[i], 'q', 'r')
  requests = requests + (tonumber(counts[1]) or 0)
  retries = retries + (tonumber(counts[2]) or 0)
end
if retries + 1 > tonumber(ARGV[1]) + tonumber(ARGV[2]) * requests then return 0 end
redis.call('HINCRBY', KEYS[1], 'r', 1)
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
`;

export interface RetryBudgetStoreOptions {
  /** Share the counts through this Redis (a connected ioredis client; never closed here). */
  redis?: Redis | undefined;
  /** Prefix of the Redis keys. Default `tether:retry-budget`. */
  keyPrefix?: string | undefined;
  clock?: Clock | undefined;
}

export class RetryBudget {
  readonly options: ResolvedRetryBudgetOptions;
  private readonly local: LocalCounts;
  private readonly clock: Clock;
  private readonly redis: Redis | undefined;
  private readonly prefix: string;

  constructor(options: RetryBudgetOptions = {}, store: RetryBudgetStoreOptions = {}) {
    this.options = resolveRetryBudgetOptions(options);
    this.clock = store.clock ?? systemClock;
    this.local = new LocalCounts(this.options, this.clock);
    this.redis = store.redis;
    this.prefix = store.keyPrefix ?? 'tether:retry-budget';
  }

  private id(apiKey: string, model: string): string {
    return budgetIds.get(apiKey, model);
  }

  /** The window's bucket keys for `id`, newest first. */
  private bucketKeys(id: string): string[] {
    const size = this.options.windowMs / BUCKETS;
    const current = Math.floor(this.clock.now() / size);
    const keys: string[] = [];
    for (let i = 0; i < BUCKETS; i++) keys.push(`${this.prefix}:${id}:${current - i}`);
    return keys;
  }

  /** Counts a request (a first attempt on the model): it earns `ratio` of a retry. */
  deposit(apiKey: string, model: string): void {
    const id = this.id(apiKey, model);
    this.local.deposit(id);
    const redis = this.redis;
    if (redis === undefined || redis.status !== 'ready') return;
    const key = this.bucketKeys(id)[0]!;
    // Best effort: a lost deposit only makes the budget a little stricter.
    redis.multi().hincrby(key, 'q', 1).pexpire(key, this.options.windowMs * 2).exec().catch(() => undefined);
  }

  /** Takes one retry from the budget; false when it is spent (the retry must not be sent). */
  async withdraw(apiKey: string, model: string): Promise<boolean> {
    const id = this.id(apiKey, model);
    const redis = this.redis;
    if (redis === undefined || redis.status !== 'ready') return this.local.withdraw(id);
    const floor = this.options.minRetriesPerSecond * (this.options.windowMs / 1000);
    try {
      const allowed = await redis.eval(WITHDRAW_SCRIPT, BUCKETS, ...this.bucketKeys(id), floor, this.options.ratio, this.options.windowMs * 2);
      return allowed === 1;
    } catch {
      return this.local.withdraw(id);
    }
  }
}
