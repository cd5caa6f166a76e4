import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { ERROR_CATEGORIES, TogetherError, type ErrorCategory } from '../../src/errors/index.js';
import {
  DEFAULT_RETRY_OPTIONS,
  NEVER_RETRIED,
  PolicyEvents,
  RetryPolicy,
  backoffDelay,
  decideRetry,
  resolveRetryOptions,
  type PolicyEvent,
} from '../../src/policy/index.js';
import { FakeClock } from './fake-clock.js';

const RETRYABLE: ReadonlySet<ErrorCategory> = new Set(['rate_limit', 'overloaded', 'server', 'timeout', 'network']);

function error(category: ErrorCategory, extra: Partial<ConstructorParameters<typeof TogetherError>[0]> = {}): TogetherError {
  return new TogetherError({
    category,
    message: `${category} failure`,
    cause: 'c',
    fix: 'f',
    retryable: RETRYABLE.has(category),
    model: 'm/model',
    ...extra,
  });
}

describe('decideRetry', () => {
  test('waits exactly what the server asked, without jitter', () => {
    const decision = decideRetry({ error: error('rate_limit', { retryAfterMs: 1234 }), attempt: 1, now: 0 }, DEFAULT_RETRY_OPTIONS, () => 0);
    assert.deepEqual(decision, { retry: true, delayMs: 1234, serverAsked: true });
  });

  test('a server wait above the cap becomes an error that names the wait and the cap', () => {
    const original = error('rate_limit', { retryAfterMs: 65_000, status: 429, requestId: 'req_1' });
    const decision = decideRetry({ error: original, attempt: 1, now: 0 });
    assert.equal(decision.retry, false);
    assert.ok(!decision.retry);
    assert.equal(decision.reason, 'retry_after_above_cap');
    assert.match(decision.error.message, /^Together asked to wait 65 s, above the 30 s cap \(maxRetryAfterMs\)/);
    assert.equal(decision.error.retryAfterMs, 65_000);
    assert.equal(decision.error.retryable, false);
    assert.equal(decision.error.status, 429);
    assert.equal(decision.error.requestId, 'req_1');
    assert.equal(decision.error.original, original);
  });

  test('full jitter: a uniform draw under an exponentially growing ceiling capped at maxDelayMs', () => {
    const options = resolveRetryOptions({ baseDelayMs: 500, factor: 2, maxDelayMs: 8_000 });
    assert.equal(backoffDelay(1, options, () => 0.999999), 499);
    assert.equal(backoffDelay(2, options, () => 0.5), 500);
    assert.equal(backoffDelay(3, options, () => 0.999999), 1999);
    assert.equal(backoffDelay(10, options, () => 0.999999), 7999);
    assert.equal(backoffDelay(10, options, () => 0), 0);
  });

  test('stops at maxAttempts with the last error unchanged', () => {
    const last = error('overloaded');
    const decision = decideRetry({ error: last, attempt: 3, now: 0 }, resolveRetryOptions({ maxAttempts: 3 }));
    assert.deepEqual(decision, { retry: false, reason: 'attempts_exhausted', error: last });
  });

  test('a retry that would end after the deadline fails now with a timeout error', () => {
    const decision = decideRetry(
      { error: error('overloaded', { retryAfterMs: 2_000 }), attempt: 1, now: 10_000, deadlineAt: 12_500, expectedAttemptMs: 1_000 },
    );
    assert.ok(!decision.retry);
    assert.equal(decision.reason, 'deadline');
    assert.equal(decision.error.category, 'timeout');
    assert.equal(decision.error.retryable, false);
    assert.match(decision.error.message, /Gave up after 1 attempt: a retry in 2 s would end after the request's deadline \(only 2.5 s of the deadline was left\)/);
  });

  test('options are checked with messages that name the option', () => {
    assert.throws(() => resolveRetryOptions({ maxAttempts: 0 }), /retry.maxAttempts must be an integer >= 1 \(got 0\)/);
    assert.throws(() => resolveRetryOptions({ maxRetryAfterMs: -1 }), /retry.maxRetryAfterMs must be a finite number >= 0/);
    assert.throws(() => resolveRetryOptions({ baseDelayMs: Number.NaN }), /retry.baseDelayMs/);
  });

  const arbitraryState = fc.record({
    category: fc.constantFrom(...ERROR_CATEGORIES),
    retryable: fc.boolean(),
    retryAfterMs: fc.option(fc.integer({ min: 0, max: 120_000 }), { nil: undefined }),
    attempt: fc.integer({ min: 1, max: 12 }),
    now: fc.integer({ min: 0, max: 1_000_000 }),
    deadlineIn: fc.option(fc.integer({ min: -1_000, max: 60_000 }), { nil: undefined }),
    expectedAttemptMs: fc.integer({ min: 0, max: 30_000 }),
    maxAttempts: fc.integer({ min: 1, max: 8 }),
    maxDelayMs: fc.integer({ min: 0, max: 20_000 }),
    maxRetryAfterMs: fc.integer({ min: 0, max: 60_000 }),
    random: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
  });

  test('a throttling backoff (a 429 without retry-after) is scaled, but never past maxDelayMs', () => {
    const options = resolveRetryOptions({ maxAttempts: 2, maxDelayMs: 3, maxRetryAfterMs: 0 });
    const limited = new TogetherError({ category: 'rate_limit', message: 'x', cause: 'c', fix: 'f', retryable: true });
    const decision = decideRetry({ error: limited, attempt: 1, now: 0, deadlineAt: undefined, expectedAttemptMs: 0 }, options, () => 0.6666666666666666);
    assert.ok(decision.retry && decision.delayMs <= 3, JSON.stringify(decision));
  });

  test('property: never retries auth/billing/validation/context_length/not_found; never waits above the cap; respects the deadline and maxAttempts', () => {
    fc.assert(
      fc.property(arbitraryState, (s) => {
        const options = resolveRetryOptions({ maxAttempts: s.maxAttempts, maxDelayMs: s.maxDelayMs, maxRetryAfterMs: s.maxRetryAfterMs });
        const deadlineAt = s.deadlineIn === undefined ? undefined : s.now + s.deadlineIn;
        const failed = new TogetherError({ category: s.category, message: 'x', cause: 'c', fix: 'f', retryable: s.retryable, retryAfterMs: s.retryAfterMs });
        const decision = decideRetry(
          { error: failed, attempt: s.attempt, now: s.now, deadlineAt, expectedAttemptMs: s.expectedAttemptMs },
          options,
          () => s.random,
        );
        if (NEVER_RETRIED.has(s.category) || !s.retryable) {
          assert.equal(decision.retry, false);
          return;
        }
        if (s.attempt >= s.maxAttempts) assert.equal(decision.retry, false);
        if (!decision.retry) {
          assert.ok(decision.error instanceof TogetherError);
          if (decision.reason === 'deadline') assert.equal(decision.error.category, 'timeout');
          return;
        }
        assert.ok(decision.delayMs >= 0);
        if (s.retryAfterMs !== undefined) {
          assert.equal(decision.delayMs, s.retryAfterMs);
          assert.ok(decision.delayMs <= s.maxRetryAfterMs);
        } else {
          assert.ok(decision.delayMs <= s.maxDelayMs);
        }
        if (deadlineAt !== undefined) assert.ok(s.now + decision.delayMs + s.expectedAttemptMs <= deadlineAt);
      }),
      { numRuns: 2_000 },
    );
  });
});

describe('RetryPolicy.execute', () => {
  test('retries overload with backoff, emits attempt and retry events, and returns the first success', async () => {
    const clock = new FakeClock();
    const events = new PolicyEvents({ now: () => clock.now() });
    const seen: PolicyEvent[] = [];
    events.onAny((event) => seen.push(event));
    const policy = new RetryPolicy({ maxAttempts: 4, events, clock, random: () => 0.5 });
    let calls = 0;
    const result = clock.run(
      policy.execute(
        async ({ attempt }) => {
          calls++;
          if (attempt < 3) throw error('overloaded', { status: 503 });
          return 'ok';
        },
        { model: 'm/model' },
      ),
    );
    assert.equal(await result, 'ok');
    assert.equal(calls, 3);
    assert.deepEqual(
      seen.map((event) => (event.type === 'retry' ? `retry:${event.delayMs}:${event.reason}` : `${event.type}:${'attempt' in event ? event.attempt : ''}`)),
      ['attempt:1', 'retry:250:overloaded', 'attempt:2', 'retry:500:overloaded', 'attempt:3'],
    );
    assert.equal(clock.now() - 1_700_000_000_000, 750);
    assert.equal(clock.pendingTimers(), 0);
  });

  test('waits a 429 retry-after exactly and tells onRetry (where the pipeline penalizes the pacer)', async () => {
    const clock = new FakeClock();
    const policy = new RetryPolicy({ clock });
    const penalties: number[] = [];
    const start = clock.now();
    let sentAt = 0;
    const result = clock.run(
      policy.execute(
        async ({ attempt }) => {
          if (attempt === 1) throw error('rate_limit', { status: 429, retryAfterMs: 1_700 });
          sentAt = clock.now();
          return attempt;
        },
        { onRetry: ({ delayMs }) => void penalties.push(delayMs) },
      ),
    );
    assert.equal(await result, 2);
    assert.equal(sentAt - start, 1_700);
    assert.deepEqual(penalties, [1_700]);
  });

  test('never retries 401, 402 or a 400-class error: one call, the error as is', async () => {
    for (const category of ['auth', 'billing', 'validation', 'context_length', 'not_found'] as const) {
      const policy = new RetryPolicy({ maxAttempts: 5 });
      let calls = 0;
      const failure = error(category, { retryable: true });
      await assert.rejects(
        policy.execute(async () => {
          calls++;
          throw failure;
        }),
        (thrown) => thrown === failure,
      );
      assert.equal(calls, 1, category);
    }
  });

  test('rethrows non-TogetherErrors unretried unless a classifier turns them into one', async () => {
    const policy = new RetryPolicy({ random: () => 0 });
    let calls = 0;
    await assert.rejects(
      policy.execute(async () => {
        calls++;
        throw new TypeError('bug');
      }),
      /bug/,
    );
    assert.equal(calls, 1);
    calls = 0;
    const value = await policy.execute(
      async () => {
        if (++calls === 1) throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
        return 'recovered';
      },
      { classify: (thrown) => ((thrown as { code?: string }).code === 'ECONNRESET' ? error('network') : undefined) },
    );
    assert.equal(value, 'recovered');
    assert.equal(calls, 2);
  });

  test('an abort during the backoff sleep rejects with the abort reason and leaves no timer', async () => {
    const clock = new FakeClock();
    const policy = new RetryPolicy({ clock, random: () => 0.99 });
    const controller = new AbortController();
    let calls = 0;
    const running = policy.execute(
      async () => {
        calls++;
        throw error('server', { status: 500 });
      },
      { signal: controller.signal },
    );
    await clock.advance(100);
    assert.equal(clock.pendingTimers(), 1, 'the backoff timer is running');
    const reason = new Error('caller gave up');
    controller.abort(reason);
    await assert.rejects(running, (thrown) => thrown === reason);
    assert.equal(calls, 1);
    assert.equal(clock.pendingTimers(), 0);
  });

  test('an attempt rejected because the caller aborted is not retried', async () => {
    const controller = new AbortController();
    const policy = new RetryPolicy();
    let calls = 0;
    await assert.rejects(
      policy.execute(
        async () => {
          calls++;
          controller.abort(new Error('stop'));
          throw error('network');
        },
        { signal: controller.signal },
      ),
      /stop/,
    );
    assert.equal(calls, 1);
  });

  test('real time: with a deadline, gives up with a timeout error instead of starting a retry it cannot finish', async () => {
    const policy = new RetryPolicy({ maxAttempts: 10, random: () => 0.99, baseDelayMs: 100 });
    const started = Date.now();
    const failure = policy.execute(
      async () => {
        await new Promise((resolve) => setTimeout(resolve, 20));
        throw error('overloaded', { status: 503 });
      },
      { deadlineAt: started + 300 },
    );
    await assert.rejects(failure, (thrown: TogetherError) => thrown.category === 'timeout' && /deadline/.test(thrown.message));
    assert.ok(Date.now() - started <= 300, 'it stopped before the deadline');
  });
});
