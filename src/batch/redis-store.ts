// A job shared through Redis: several `tether run --store redis://…` processes, on any machines, run one job
// and each request exactly once. Every decision is one Lua script (atomic in Redis):
// - claim: hand out never-claimed indexes from a shared cursor, then ones whose lease ran out (a crashed
//   worker) or that were given back; a claim is `owner|expiry-ms` in a hash, renewed while the request runs;
// - save: HSETNX the result line (the first result for an index wins), add its cost, drop the claim.
// Keys: `<prefix>:{<fingerprint>}:meta|results|failures|claims` (one hash tag: one cluster slot per job).
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Redis } from 'ioredis';
import { clampTimerMs } from '../policy/index.js';
import { CheckpointStoreError } from './store.js';
import type { Claim, CheckpointStore, JobIdentity, JobSummary, OpenOptions, SavedResult } from './store.js';

const CLAIM = `
local meta, results, claims = KEYS[1], KEYS[2], KEYS[3]
local owner, lease, max, total = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local stop = redis.call('HGET', meta, 'stop')
if stop then return {stop} end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local out = {''}
local cursor = tonumber(redis.call('HGET', meta, 'cursor') or '0')
while #out <= max and cursor < total do
  if redis.call('HEXISTS', results, cursor) == 0 then
    redis.call('HSET', claims, cursor, owner .. '|' .. (now + lease))
    out[#out + 1] = cursor
  end
  cursor = cursor + 1
end
redis.call('HSET', meta, 'cursor', cursor)
if #out <= max then
  local entries = redis.call('HGETALL', claims)
  for i = 1, #entries, 2 do
    if #out > max then break end
    local expiry = tonumber(string.match(entries[i + 1], '|(%-?%d+)$'))
    if expiry <= now then
      if redis.call('HEXISTS', results, entries[i]) == 0 then
        redis.call('HSET', claims, entries[i], owner .. '|' .. (now + lease))
        out[#out + 1] = tonumber(entries[i])
      else
        redis.call('HDEL', claims, entries[i])
      end
    end
  end
end
return out
`;

const RENEW = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local owner, expiry = ARGV[1], ARGV[3] == '1' and 0 or nil
for i = 4, #ARGV do
  local held = redis.call('HGET', KEYS[1], ARGV[i])
  if held and string.sub(held, 1, #owner + 1) == owner .. '|' then
    redis.call('HSET', KEYS[1], ARGV[i], owner .. '|' .. (expiry or (now + tonumber(ARGV[2]))))
  end
end
return 0
`;

const SAVE = `
local meta, results, failures, claims = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local added = 0
for i = 1, #ARGV, 5 do
  local idx = ARGV[i]
  if redis.call('HSETNX', results, idx, ARGV[i + 1]) == 1 then
    added = added + 1
    local cost = tonumber(ARGV[i + 2])
    redis.call('HINCRBYFLOAT', meta, 'spent', cost)
    if cost > tonumber(redis.call('HGET', meta, 'maxcost') or '0') then redis.call('HSET', meta, 'maxcost', ARGV[i + 2]) end
    if ARGV[i + 3] == '1' then
      redis.call('HINCRBY', meta, 'failed', 1)
      redis.call('HSET', failures, idx, ARGV[i + 4] .. '|' .. ARGV[i + 2])
    end
  end
  redis.call('HDEL', claims, idx)
end
return added
`;

/** Forget retryable failures: their result and cost go, and they become claimable again. */
const FORGET_RETRYABLE = `
local meta, results, failures, claims = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local entries = redis.call('HGETALL', failures)
local n = 0
for i = 1, #entries, 2 do
  local retryable, cost = string.match(entries[i + 1], '^(%d)|(.*)$')
  if retryable == '1' then
    redis.call('HDEL', results, entries[i])
    redis.call('HDEL', failures, entries[i])
    redis.call('HINCRBY', meta, 'failed', -1)
    redis.call('HINCRBYFLOAT', meta, 'spent', -tonumber(cost))
    redis.call('HSET', claims, entries[i], 'released|0')
    n = n + 1
  end
end
return n
`;

export interface RedisStoreOptions {
  /** `redis://[user:pass@]host:port[/db]`. */
  url: string;
  /** Prefix of every key. Default `tether:run`. */
  keyPrefix?: string;
  /** How long a claim lasts without renewal: after a crash, another worker redoes the request after this. */
  leaseMs?: number;
}

type RedisWithScripts = Redis & {
  tetherClaim(meta: string, results: string, claims: string, owner: string, lease: number, max: number, total: number): Promise<Array<string | number>>;
  tetherRenew(claims: string, owner: string, lease: number, release: string, ...indexes: number[]): Promise<number>;
  tetherSave(meta: string, results: string, failures: string, claims: string, ...args: Array<string | number>): Promise<number>;
  tetherForgetRetryable(meta: string, results: string, failures: string, claims: string): Promise<number>;
};

/** `redis://host:6379/2` with any password replaced, for messages. */
export function describeRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString().replace(/\/$/, '');
  } catch {
    return 'redis://(unparsable url)';
  }
}

export class RedisStore implements CheckpointStore {
  readonly durable = true;
  readonly owner = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  private readonly redis: RedisWithScripts;
  private readonly prefix: string;
  private readonly leaseMs: number;
  private keys = { meta: '', results: '', failures: '', claims: '' };
  private total = 0;
  private jobName = '';
  /** Claimed and not yet saved or released: renewed every lease/3. */
  private readonly held = new Set<number>();
  private renewTimer: NodeJS.Timeout | undefined;
  /** The connection's last error (ioredis reports ECONNREFUSED there, and only "Connection is closed" to the command). */
  private lastError: Error | undefined;
  private renewing: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: RedisStoreOptions) {
    this.prefix = options.keyPrefix ?? 'tether:run';
    this.leaseMs = options.leaseMs ?? 60_000;
    // lazyConnect: open() connects and turns a refused connection into one clear error instead of retry noise.
    this.redis = new Redis(options.url, { lazyConnect: true, maxRetriesPerRequest: 2, enableOfflineQueue: true }) as RedisWithScripts;
    this.redis.on('error', (error: Error) => {
      this.lastError = error; // surfaced through the failing command
    });
    this.redis.defineCommand('tetherClaim', { numberOfKeys: 3, lua: CLAIM });
    this.redis.defineCommand('tetherRenew', { numberOfKeys: 1, lua: RENEW });
    this.redis.defineCommand('tetherSave', { numberOfKeys: 4, lua: SAVE });
    this.redis.defineCommand('tetherForgetRetryable', { numberOfKeys: 4, lua: FORGET_RETRYABLE });
  }

  get location(): string {
    return `${describeRedisUrl(this.options.url)} (job ${this.jobName || '?'})`;
  }

  private async call<T>(what: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      const reason = this.lastError && this.redis.status !== 'ready' ? this.lastError.message : (error as Error).message;
      throw new CheckpointStoreError(`Redis ${what} failed at ${describeRedisUrl(this.options.url)}: ${reason}. Check that Redis runs there and the URL is right.`);
    }
  }

  async open(job: JobIdentity, options: OpenOptions = {}): Promise<JobSummary> {
    if (this.redis.status === 'wait') await this.call('connect', () => this.redis.connect());
    this.total = job.total;
    this.jobName = job.fingerprint.slice(0, 12);
    const base = `${this.prefix}:{${job.fingerprint}}`;
    this.keys = { meta: `${base}:meta`, results: `${base}:results`, failures: `${base}:failures`, claims: `${base}:claims` };
    await this.call('open', async () => {
      await this.redis.hsetnx(this.keys.meta, 'total', String(job.total));
      // A new run after a stop means the reason is gone (credits are back): clear the shared stop.
      await this.redis.hdel(this.keys.meta, 'stop');
      if (options.retryFailed) await this.redis.tetherForgetRetryable(this.keys.meta, this.keys.results, this.keys.failures, this.keys.claims);
    });
    const stored = Number(await this.redis.hget(this.keys.meta, 'total'));
    if (stored !== job.total) throw new CheckpointStoreError(`Redis job ${this.jobName} says it has ${stored} requests, not ${job.total}: its keys were changed by hand`);
    this.renewTimer = setInterval(() => this.renewHeld(), clampTimerMs(Math.max(50, Math.floor(this.leaseMs / 3))));
    this.renewTimer.unref();
    const [summary, heldElsewhere] = await Promise.all([this.summary(), this.liveClaimsOfOthers()]);
    return { ...summary, heldElsewhere };
  }

  /** Claims other workers hold whose lease has not run out: work in progress right now. */
  private async liveClaimsOfOthers(): Promise<number> {
    const [claims, time] = await this.call('read', () => Promise.all([this.redis.hvals(this.keys.claims), this.redis.time()]));
    const now = Number(time[0]) * 1000 + Math.floor(Number(time[1]) / 1000);
    return claims.filter((claim) => {
      const bar = claim.lastIndexOf('|');
      return claim.slice(0, bar) !== this.owner && Number(claim.slice(bar + 1)) > now;
    }).length;
  }

  private renewHeld(): void {
    if (this.held.size === 0) return;
    const indexes = [...this.held];
    this.renewing = this.redis.tetherRenew(this.keys.claims, this.owner, this.leaseMs, '0', ...indexes).catch(() => undefined);
  }

  async claim(max: number): Promise<Claim> {
    const reply = await this.call('claim', () =>
      this.redis.tetherClaim(this.keys.meta, this.keys.results, this.keys.claims, this.owner, this.leaseMs, max, this.total),
    );
    const summary = await this.summary();
    const [stop, ...indexes] = reply;
    if (stop !== '') return { indexes: [], more: 'none', stoppedBy: String(stop), summary };
    const claimed = indexes.map(Number);
    for (const i of claimed) this.held.add(i);
    return { indexes: claimed, more: claimed.length === 0 && summary.done < summary.total ? 'later' : 'none', summary };
  }

  async release(indexes: readonly number[]): Promise<void> {
    if (indexes.length === 0) return;
    for (const i of indexes) this.held.delete(i);
    await this.call('release', () => this.redis.tetherRenew(this.keys.claims, this.owner, 0, '1', ...indexes));
  }

  async save(results: readonly SavedResult[]): Promise<void> {
    if (results.length === 0) return;
    const args = results.flatMap((r) => [r.index, r.line, String(r.costUsd), r.failed ? '1' : '0', r.retryable ? '1' : '0']);
    await this.call('save', () => this.redis.tetherSave(this.keys.meta, this.keys.results, this.keys.failures, this.keys.claims, ...args));
    for (const r of results) this.held.delete(r.index);
  }

  async stopAll(reason: string): Promise<void> {
    await this.call('stop', () => this.redis.hset(this.keys.meta, 'stop', reason));
  }

  async summary(): Promise<JobSummary> {
    const [done, meta] = await this.call('read', () =>
      Promise.all([this.redis.hlen(this.keys.results), this.redis.hmget(this.keys.meta, 'failed', 'spent', 'maxcost')]),
    );
    const [failed, spent, most] = meta;
    return { total: this.total, done, failed: Number(failed ?? 0), spentUsd: Number(spent ?? 0), maxRequestCostUsd: Number(most ?? 0) };
  }

  async *lines(): AsyncIterable<string> {
    const page = 1000;
    for (let start = 0; start < this.total; start += page) {
      const fields = Array.from({ length: Math.min(page, this.total - start) }, (_, i) => String(start + i));
      const values = await this.call('read', () => this.redis.hmget(this.keys.results, ...fields));
      for (const value of values) if (value !== null) yield value;
    }
  }

  async close(): Promise<void> {
    if (this.renewTimer) clearInterval(this.renewTimer);
    await this.renewing;
    if (this.held.size) await this.release([...this.held]).catch(() => undefined);
    if (this.redis.status === 'ready') await this.redis.quit().catch(() => this.redis.disconnect());
    else this.redis.disconnect();
  }
}
