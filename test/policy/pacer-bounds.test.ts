// Issue 15, failure 7: poisoned rate-limit headers must not stall a key, overflow a timer, or hold a request that
// can never fit. Real timers: the overflow is Node's own behaviour.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isTogetherError, type TogetherError } from '../../src/errors/index.js';
import { MAX_TIMER_MS, Pacer, clampTimerMs, createMemoryPacerStore, parseRateLimitHeaders, sleep, systemClock } from '../../src/policy/index.js';
import { FakeClock } from './fake-clock.js';

const KEY = 'tgp_v1_pacer-bounds-test-key';

async function rejection(promise: Promise<unknown>): Promise<TogetherError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(isTogetherError(error), `expected a TogetherError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected a rejection');
}

/** Collects process warnings (TimeoutOverflowWarning) while `run` runs. */
async function warningsDuring(run: () => Promise<void>): Promise<string[]> {
  const seen: string[] = [];
  const onWarning = (warning: Error): void => void seen.push(warning.name);
  process.on('warning', onWarning);
  try {
    await run();
    await new Promise((resolve) => setTimeout(resolve, 20));
  } finally {
    process.off('warning', onWarning);
  }
  return seen;
}

describe('pacer bounds against poisoned headers', () => {
  test('a 200 saying the window is spent for an hour fails the next request at once, naming maxRetryAfterMs', async () => {
    const pacer = new Pacer({ initialRequestsPerSecond: 1000 });
    try {
      await pacer.acquire(KEY);
      pacer.observe(KEY, { 'x-ratelimit-limit': '10', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '3600' });
      const started = Date.now();
      const error = await rejection(pacer.acquire(KEY));
      assert.ok(Date.now() - started < 100, 'failed at once, not after a wait');
      assert.equal(error.category, 'rate_limit');
      assert.equal(error.code, 'rate_limit_wait_above_cap');
      assert.match(error.message, /60 min .*above the 30 s cap \(maxRetryAfterMs\)/);
      assert.ok(error.retryAfterMs !== undefined && error.retryAfterMs > 3_590_000 && error.retryAfterMs <= 3_600_000);
      assert.equal(error.retryable, false);
    } finally {
      await pacer.close();
    }
  });

  test('a wait within the cap is still waited', async () => {
    const pacer = new Pacer({ initialRequestsPerSecond: 1000, maxWaitMs: 1000 });
    try {
      await pacer.acquire(KEY);
      pacer.observe(KEY, { 'x-ratelimit-limit': '1000', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '0.2' });
      const { waitedMs } = await pacer.acquire(KEY);
      assert.ok(waitedMs >= 150, `waited ${waitedMs} ms`);
    } finally {
      await pacer.close();
    }
  });

  test('reset: 99999999 neither overflows a timer nor spins: no TimeoutOverflowWarning, a clear error', async () => {
    const warnings = await warningsDuring(async () => {
      const pacer = new Pacer({ initialRequestsPerSecond: 1000 });
      try {
        await pacer.acquire(KEY);
        pacer.observe(KEY, { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '99999999' });
        const error = await rejection(pacer.acquire(KEY));
        assert.equal(error.code, 'rate_limit_wait_above_cap');
        // A 429 with an absurd retry-after: the same.
        pacer.penalize(KEY, 1e15);
        assert.equal((await rejection(pacer.acquire(KEY))).code, 'rate_limit_wait_above_cap');
      } finally {
        await pacer.close();
      }
    });
    assert.deepEqual(warnings, []);
  });

  test('a request larger than the whole token budget (x-tokenlimit-limit: 1) fails at once', async () => {
    const pacer = new Pacer({ initialRequestsPerSecond: 1000 });
    try {
      await pacer.acquire(KEY, { tokens: 1 });
      pacer.observe(KEY, { 'x-ratelimit-limit': '100', 'x-tokenlimit-limit': '1' });
      const error = await rejection(pacer.acquire(KEY, { tokens: 50 }));
      assert.equal(error.code, 'token_budget_too_small');
      assert.equal(error.category, 'rate_limit');
      assert.match(error.message, /50 tokens, more than the key's whole budget of 1 tokens per minute/);
      // Even one token never fits 95 % of a 1-token budget.
      assert.equal((await rejection(pacer.acquire(KEY, { tokens: 1 }))).code, 'token_budget_too_small');
      // A request without tokens is not affected.
      await pacer.acquire(KEY);
    } finally {
      await pacer.close();
    }
  });

  test('a learned rate of one request per hour is noise: the next request goes at once', async () => {
    const pacer = new Pacer({ initialRequestsPerSecond: 1000, maxWaitMs: 500 });
    try {
      await pacer.acquire(KEY);
      pacer.observe(KEY, { 'x-ratelimit-limit': '0.0003' });
      const { waitedMs } = await pacer.acquire(KEY);
      assert.ok(waitedMs < 100, `waited ${waitedMs} ms`);
      assert.notEqual(pacer.limits(KEY).requestsPerSecond, 0.0003 * 0.95);
    } finally {
      await pacer.close();
    }
  });

  test('a configured rate whose one slot is longer than the cap fails a request instead of holding it', async () => {
    const pacer = new Pacer({ requestsPerSecond: 0.0003, maxWaitMs: 500 });
    try {
      await pacer.acquire(KEY);
      const error = await rejection(pacer.acquire(KEY));
      assert.equal(error.code, 'rate_limit_wait_above_cap');
    } finally {
      await pacer.close();
    }
  });

  test('a poisoned pause or token budget refuses the key for one window at most, then a request goes to re-learn', async () => {
    const clock = new FakeClock();
    const pacer = new Pacer({ initialRequestsPerSecond: 1000, clock });
    try {
      await pacer.acquire(KEY, { tokens: 10 });
      pacer.observe(KEY, { 'x-ratelimit-limit': '100', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '99999999', 'x-tokenlimit-limit': '1' });
      const paused = await rejection(pacer.acquire(KEY, { tokens: 10 }));
      assert.equal(paused.code, 'rate_limit_wait_above_cap');
      assert.ok((paused.retryAfterMs ?? 0) > 86_400_000, 'the error names the wait the upstream asked for');
      await clock.advance(61_000);
      // The pause is over (held one window, not 24 days); the token budget of 1 is still fresh: refused at once.
      assert.equal((await rejection(pacer.acquire(KEY, { tokens: 10 }))).code, 'token_budget_too_small');
      await clock.advance(1_000);
      // One token window after the answer that taught it, nothing has confirmed it: forgotten, the request goes.
      await pacer.acquire(KEY, { tokens: 10 });
    } finally {
      await pacer.close();
      clock.restore();
    }
  });

  test('a pause another process set in a shared store is capped like one of ours', async () => {
    const store = createMemoryPacerStore();
    const paused = new Pacer({ initialRequestsPerSecond: 1000, store });
    const other = new Pacer({ initialRequestsPerSecond: 1000, store, maxWaitMs: 1000 });
    try {
      paused.penalize(KEY, 45_000);
      const started = Date.now();
      const error = await rejection(other.acquire(KEY));
      assert.equal(error.code, 'rate_limit_wait_above_cap');
      assert.ok(Date.now() - started < 500, 'refused at once, not after 45 s');
    } finally {
      await paused.close();
      await other.close();
      await store.close();
    }
  });

  test('every timer is clamped to 2^31 - 1 ms; sleep with an absurd delay is abortable and warns nothing', async () => {
    assert.equal(MAX_TIMER_MS, 2 ** 31 - 1);
    assert.equal(clampTimerMs(1e15), MAX_TIMER_MS);
    assert.equal(clampTimerMs(Number.POSITIVE_INFINITY), MAX_TIMER_MS);
    assert.equal(clampTimerMs(Number.NaN), 0);
    assert.equal(clampTimerMs(-5), 0);
    assert.equal(clampTimerMs(250), 250);
    const warnings = await warningsDuring(async () => {
      const handle = systemClock.setTimeout(() => assert.fail('fired'), 1e12);
      systemClock.clearTimeout(handle);
      const controller = new AbortController();
      const sleeping = sleep(1e13, controller.signal);
      controller.abort(new Error('stop'));
      await assert.rejects(sleeping, /stop/);
    });
    assert.deepEqual(warnings, []);
  });

  test('reset headers read as finite waits no longer than a timer can hold', () => {
    for (const reset of ['99999999', '9'.repeat(400), '99999999999h', '1e400', '4102444800000']) {
      const { resetMs } = parseRateLimitHeaders({ 'x-ratelimit-reset': reset });
      if (resetMs === undefined) continue;
      assert.ok(Number.isFinite(resetMs) && resetMs >= 0 && resetMs <= MAX_TIMER_MS, `${reset.slice(0, 20)} → ${resetMs}`);
    }
    assert.equal(parseRateLimitHeaders({ 'x-ratelimit-limit': '9'.repeat(400) }).requestsPerSecond, undefined);
  });
});
