// The retry budget: retries on a key × model are at most `ratio` of the window's requests plus a floor; the
// window slides; the counts are shared through Redis by every process on the same key; the refusal names the budget
// and carries the real last error.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { TogetherError, behaviourOf } from '../../src/errors/index.js';
import { RetryBudget, retryAllowance, retryBudgetExhaustedError, resolveRetryBudgetOptions } from '../../src/policy/index.js';
import { FakeClock } from './fake-clock.js';
import { REDIS_SKIP, startRedis, type TestRedis } from './redis-server.js';

const KEY = 'tk-budget-test';
const MODEL = 'Qwen/Qwen2.5-7B-Instruct-Turbo';
const overloaded = new TogetherError({ status: 503, category: 'overloaded', message: 'Service unavailable', cause: 'c', fix: 'f', retryable: true, model: MODEL });

async function withdrawals(budget: RetryBudget, count: number): Promise<number> {
  let granted = 0;
  for (let i = 0; i < count; i++) if (await budget.withdraw(KEY, MODEL)) granted++;
  return granted;
}

describe('retry budget', () => {
  test('retries are at most ratio × requests + the floor, over a sliding window', async () => {
    const clock = new FakeClock();
    const budget = new RetryBudget({ ratio: 0.2, minRetriesPerSecond: 0.1, windowMs: 10_000 }, { clock });
    for (let i = 0; i < 50; i++) budget.deposit(KEY, MODEL);
    // 0.1/s × 10 s + 20% of 50 = 11.
    assert.equal(retryAllowance(50, budget.options), 11);
    assert.equal(await withdrawals(budget, 30), 11);
    // Another model, or another key, has its own budget.
    assert.equal(await budget.withdraw(KEY, 'other/model'), true);
    // Once the window has slid past, the spent retries are forgotten (and so are the requests: only the floor).
    await clock.advance(10_001);
    assert.equal(await withdrawals(budget, 5), 1);
  });

  test('the refusal says the budget is spent, with the real last error inside', () => {
    const error = retryBudgetExhaustedError(overloaded, resolveRetryBudgetOptions());
    assert.equal(error.code, 'retry_budget_exhausted');
    assert.equal(error.status, 503);
    assert.equal(error.category, 'overloaded');
    assert.equal(error.original, overloaded);
    assert.match(error.message, /retry budget .* spent \(20% of recent requests \+ 5\/s, over 10 s\); last error: Service unavailable/);
    // Never retried, never counted by the circuit; another model may still answer.
    assert.deepEqual(behaviourOf(error), { ...behaviourOf(overloaded), backoff: 'none', countsForBreaker: false });
  });

  test('bad options are refused with the option named', () => {
    assert.throws(() => new RetryBudget({ ratio: 2 }), /retryBudget\.ratio must be a number from 0 to 1 \(got 2\)/);
    assert.throws(() => new RetryBudget({ windowMs: 5 }), /retryBudget\.windowMs must be/);
  });

  describe('shared through Redis', { skip: REDIS_SKIP }, () => {
    let redis: TestRedis;
    before(async () => {
      redis = await startRedis();
    });
    after(async () => {
      await redis?.stop();
    });

    test('two processes draw on one budget', async () => {
      const options = { ratio: 0.5, minRetriesPerSecond: 0, windowMs: 10_000 };
      const a = new RetryBudget(options, { redis: await redis.client(), keyPrefix: 'test:shared' });
      const b = new RetryBudget(options, { redis: await redis.client(), keyPrefix: 'test:shared' });
      // Only `a` has sent requests: 20 of them earn 10 retries, which `b` (another gateway) may spend too.
      for (let i = 0; i < 20; i++) a.deposit(KEY, MODEL);
      await new Promise((resolve) => setTimeout(resolve, 50)); // deposits are fire-and-forget
      assert.equal(await withdrawals(b, 7), 7);
      assert.equal(await withdrawals(a, 7), 3);
      // Apart, `b` would have had nothing to spend (no floor here).
      assert.equal(await withdrawals(new RetryBudget(options), 1), 0);
    });
  });
});
