// Backoff differs by class (the failure table's `backoff`): a throttled request (429 without retry-after) waits
// from a larger ceiling than a transient failure (503, timeout); a server's retry-after is honoured as sent.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BACKOFF_SCALE, TogetherError, behaviourOf } from '../../src/errors/index.js';
import { DEFAULT_RETRY_OPTIONS, decideRetry } from '../../src/policy/index.js';

const failure = (status: number, category: 'rate_limit' | 'overloaded' | 'timeout', retryAfterMs?: number) =>
  new TogetherError({ status, category, message: String(status), cause: 'c', fix: 'f', retryable: true, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) });

test('throttling backs off from a larger ceiling than a transient failure', () => {
  assert.equal(behaviourOf(failure(429, 'rate_limit')).backoff, 'throttling');
  assert.equal(behaviourOf(failure(503, 'overloaded')).backoff, 'transient');
  assert.equal(behaviourOf(failure(504, 'timeout')).backoff, 'transient');
  const top = () => 0.999;
  for (const attempt of [1, 2]) {
    const throttled = decideRetry({ error: failure(429, 'rate_limit'), attempt, now: 0 }, DEFAULT_RETRY_OPTIONS, top);
    const transient = decideRetry({ error: failure(503, 'overloaded'), attempt, now: 0 }, DEFAULT_RETRY_OPTIONS, top);
    assert.ok(throttled.retry && transient.retry);
    assert.ok(transient.delayMs < DEFAULT_RETRY_OPTIONS.baseDelayMs * 2 ** (attempt - 1));
    assert.ok(Math.abs(throttled.delayMs - transient.delayMs * BACKOFF_SCALE.throttling) <= BACKOFF_SCALE.throttling, `${throttled.delayMs} vs ${transient.delayMs}`);
    assert.ok(throttled.delayMs > transient.delayMs);
  }
  // The server's own wait wins over either class.
  const asked = decideRetry({ error: failure(429, 'rate_limit', 1234), attempt: 1, now: 0 });
  assert.ok(asked.retry && asked.delayMs === 1234);
});
