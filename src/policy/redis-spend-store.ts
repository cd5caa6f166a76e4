/**
 * The spend store shared through Redis: every gateway on the same Redis draws on one budget per client. One Lua
 * script per reserve (check spent + reserved + amount ≤ limit, then add) and one per settle (release, add the real
 * cost), each atomic in Redis, so concurrent requests across gateways never all see the same remaining budget.
 * A window is a hash `{spent, reserved}` in nano-USD with an absolute expiry a day past its reset.
 *
 * Redis away: the reserve fails, and the request is refused (fail closed: a budget that cannot be checked is not
 * spent blind). A settle that fails is logged by the caller; the reservation then stays counted (never under-count).
 */
import type { Redis } from 'ioredis';
import { budgetStoreUnavailableError } from '../errors/index.js';
import type { BudgetTotals, ReserveOutcome, SpendStore } from './spend-budget.js';

/** KEYS[1] window; ARGV limit, amount, expireAtMs. Returns {ok, spent, reserved} (reserved after the add when ok). */
export const RESERVE_SCRIPT = `
local spent = tonumber(redis.call('HGET', KEYS[1], 'spent') or '0')
local reserved = tonumber(redis.call('HGET', KEYS[1], 'reserved') or '0')
local limit = tonumber(ARGV[1])
local amount = tonumber(ARGV[2])
if spent + reserved + amount > limit then
  return {0, spent, reserved}
end
reserved = redis.call('HINCRBY', KEYS[1], 'reserved', amount)
redis.call('PEXPIREAT', KEYS[1], ARGV[3])
return {1, spent, reserved}
`;

/** KEYS[1] window; ARGV reserved, spent, expireAtMs. Releases (never below 0), adds the cost; returns {spent, reserved}. */
export const SETTLE_SCRIPT = `
local reserved = tonumber(redis.call('HGET', KEYS[1], 'reserved') or '0')
local release = tonumber(ARGV[1])
if release > reserved then release = reserved end
reserved = redis.call('HINCRBY', KEYS[1], 'reserved', -release)
local spent = redis.call('HINCRBY', KEYS[1], 'spent', tonumber(ARGV[2]))
redis.call('PEXPIREAT', KEYS[1], ARGV[3])
return {spent, reserved}
`;

type BudgetRedis = Redis & {
  tetherSpendReserve(key: string, limit: number, amount: number, expireAt: number): Promise<[number, number, number]>;
  tetherSpendSettle(key: string, reserved: number, spent: number, expireAt: number): Promise<[number, number]>;
};

export class RedisSpendStore implements SpendStore {
  private readonly redis: BudgetRedis;

  constructor(redis: Redis) {
    if (typeof redis?.defineCommand !== 'function') throw new TypeError('RedisSpendStore needs an ioredis client (new Redis(url)).');
    if (typeof (redis as unknown as Partial<BudgetRedis>).tetherSpendReserve !== 'function') {
      redis.defineCommand('tetherSpendReserve', { numberOfKeys: 1, lua: RESERVE_SCRIPT });
      redis.defineCommand('tetherSpendSettle', { numberOfKeys: 1, lua: SETTLE_SCRIPT });
    }
    this.redis = redis as unknown as BudgetRedis;
  }

  async reserve(key: string, limitNano: number, amountNano: number, expiresAt: number): Promise<ReserveOutcome> {
    let answer: [number, number, number];
    try {
      answer = await this.redis.tetherSpendReserve(key, limitNano, amountNano, Math.ceil(expiresAt));
    } catch (error) {
      throw budgetStoreUnavailableError(error);
    }
    const totals: BudgetTotals = { spentNano: Number(answer[1]), reservedNano: Number(answer[2]) };
    return { ok: Number(answer[0]) === 1, totals };
  }

  async settle(key: string, reservedNano: number, spentNano: number, expiresAt: number): Promise<BudgetTotals> {
    const answer = await this.redis.tetherSpendSettle(key, reservedNano, spentNano, Math.ceil(expiresAt));
    return { spentNano: Number(answer[0]), reservedNano: Number(answer[1]) };
  }

  async read(key: string): Promise<BudgetTotals> {
    const [spent, reserved] = await this.redis.hmget(key, 'spent', 'reserved');
    return { spentNano: Number(spent ?? 0), reservedNano: Number(reserved ?? 0) };
  }

  /** The connection is the caller's: closed by whoever opened it. */
  async close(): Promise<void> {}
}
