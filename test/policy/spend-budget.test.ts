// Spend budgets: the reserve/settle arithmetic, the UTC windows, and the memory and Redis stores behaving the same
// (the Redis store's Lua scripts against a real redis-server), concurrent reservations included.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  MemorySpendStore,
  NANO_PER_USD,
  RedisSpendStore,
  SpendBudgets,
  budgetWindow,
  reserveIn,
  settleIn,
  toNanoUsd,
} from '../../src/policy/index.js';
import type { SpendStore } from '../../src/policy/index.js';
import { isTogetherError } from '../../src/errors/index.js';
import { REDIS_SKIP, startRedis } from '../support/index.js';
import type { TestRedis } from '../support/index.js';

test('reserve takes the amount only when spent + reserved + amount fits the limit', () => {
  const totals = { spentNano: 60, reservedNano: 30 };
  assert.deepEqual(reserveIn(totals, 100, 11), { ok: false, totals: { spentNano: 60, reservedNano: 30 } });
  assert.deepEqual(reserveIn(totals, 100, 10), { ok: true, totals: { spentNano: 60, reservedNano: 40 } });
  assert.deepEqual(settleIn(totals, 10, 4), { spentNano: 64, reservedNano: 30 });
  // A release larger than what is held never drives reservations negative.
  assert.deepEqual(settleIn(totals, 1000, 0), { spentNano: 64, reservedNano: 0 });
});

test('amounts round up to whole nano-dollars, so rounding never lets spend pass a limit', () => {
  assert.equal(toNanoUsd(1), NANO_PER_USD);
  assert.equal(toNanoUsd(1.5e-9), 2);
  assert.equal(toNanoUsd(0.00018), 180_000);
});

test('windows are the UTC day and month, and reset at their boundaries', () => {
  const at = Date.UTC(2026, 11, 31, 23, 59, 59);
  assert.deepEqual(budgetWindow('day', at), { id: '2026-12-31', resetsAt: Date.UTC(2027, 0, 1) });
  assert.deepEqual(budgetWindow('month', at), { id: '2026-12', resetsAt: Date.UTC(2027, 0, 1) });
  assert.deepEqual(budgetWindow('total', at), { id: 'total', resetsAt: Infinity });
  assert.equal(budgetWindow('day', Date.UTC(2027, 0, 1)).id, '2027-01-01');
});

test('a new UTC day starts with the whole budget again; a settle after midnight lands in its own window', async () => {
  let now = Date.UTC(2026, 11, 7, 23, 0);
  const budgets = new SpendBudgets(new MemorySpendStore(() => now), () => now);
  const limit = { usd: 1, per: 'day' as const };
  const held = await budgets.reserve('c', limit, 0.9, 'm');
  await assert.rejects(budgets.reserve('c', limit, 0.2, 'm'));
  now = Date.UTC(2026, 11, 8, 0, 1);
  await budgets.reserve('c', limit, 0.9, 'm');
  await budgets.settle(held, 0.5);
  assert.equal((await budgets.read('c', limit)).reservedUsd, 0.9);
});

test('the refusal names the budget, what is left and when it resets, as a 403 budget_exceeded', async () => {
  const now = Date.UTC(2026, 11, 7, 12, 0);
  const budgets = new SpendBudgets(new MemorySpendStore(() => now), () => now);
  const limit = { usd: 0.01, per: 'day' as const };
  const held = await budgets.reserve('team-a', limit, 0.004, 'model-x');
  await budgets.settle(held, 0.003);
  await budgets.reserve('team-a', limit, 0.005, 'model-x');
  const error = await budgets.reserve('team-a', limit, 0.004, 'model-x').then(() => undefined, (e: unknown) => e);
  assert.ok(isTogetherError(error));
  assert.equal(error.status, 403);
  assert.equal(error.code, 'budget_exceeded');
  assert.match(error.message, /Budget "team-a" \(\$0\.0100 per UTC day\) has \$0\.002000 left/);
  assert.match(error.message, /resets 2026-12-08T00:00:00\.000Z/);
  assert.equal(error.retryAfterMs, 12 * 3_600_000);
  assert.equal(error.retryable, false);
});

test('an unknown cost keeps the whole reservation as spent (never counted as free)', async () => {
  const budgets = new SpendBudgets(new MemorySpendStore());
  const limit = { usd: 1, per: 'total' as const };
  await budgets.settle(await budgets.reserve('c', limit, 0.25, 'm'), undefined);
  assert.deepEqual(await budgets.read('c', limit).then((r) => [r.spentUsd, r.reservedUsd]), [0.25, 0]);
});

/** The same script of operations on a store; returns every answer, for comparing the two stores. */
async function exercise(store: SpendStore, key: string): Promise<unknown[]> {
  const expiresAt = Date.now() + 60_000;
  const answers: unknown[] = [];
  answers.push(await store.reserve(key, 1000, 400, expiresAt));
  answers.push(await store.reserve(key, 1000, 700, expiresAt));
  answers.push(await store.reserve(key, 1000, 600, expiresAt));
  answers.push(await store.settle(key, 400, 150, expiresAt));
  answers.push(await store.reserve(key, 1000, 250, expiresAt));
  answers.push(await store.reserve(key, 1000, 1, expiresAt));
  answers.push(await store.settle(key, 5000, 0, expiresAt));
  answers.push(await store.read(key));
  // 200 concurrent reservations of 7 against what is left: exactly floor(left / 7) are granted.
  const outcomes = await Promise.all(Array.from({ length: 200 }, () => store.reserve(key, 1000, 7, expiresAt)));
  answers.push(outcomes.filter((o) => o.ok).length);
  answers.push(await store.read(key));
  return answers;
}

describe('the Redis store (Lua scripts) answers exactly as the memory store', { skip: REDIS_SKIP }, () => {
  let redis: TestRedis;
  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    await redis?.stop();
  });

  test('same answers, step by step and under 200 concurrent reservations', async () => {
    const memory = await exercise(new MemorySpendStore(), 'k');
    const shared = await exercise(new RedisSpendStore(await redis.client()), 'tether:test:k');
    assert.deepEqual(shared, memory);
    assert.equal(memory[8], Math.floor((1000 - 150) / 7));
  });

  test('the window key expires a day after its reset', async () => {
    const client = await redis.client();
    const now = Date.now();
    const budgets = new SpendBudgets(new RedisSpendStore(client), () => now);
    await budgets.reserve('ttl', { usd: 1, per: 'day' }, 0.1, 'm');
    const key = `tether:spend:ttl:${budgetWindow('day', now).id}`;
    assert.equal(await client.pexpiretime(key), budgetWindow('day', now).resetsAt + 86_400_000);
  });

  test('Redis away: the reserve refuses with a clear error, nothing is sent blind', async () => {
    const other = await startRedis();
    const client = await other.client();
    const budgets = new SpendBudgets(new RedisSpendStore(client));
    await other.kill();
    const error = await budgets.reserve('c', { usd: 1, per: 'day' }, 0.1, 'm').then(() => undefined, (e: unknown) => e);
    assert.ok(isTogetherError(error));
    assert.equal(error.code, 'budget_store_unavailable');
    await other.stop();
  });
});
