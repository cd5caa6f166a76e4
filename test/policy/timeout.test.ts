import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { TogetherError } from '../../src/errors/index.js';
import { LightAbortController, createAttemptScope, createDeadline, sleep } from '../../src/policy/index.js';
import { FakeClock } from './fake-clock.js';

function reasonOf(signal: AbortSignal): TogetherError {
  assert.ok(signal.aborted, 'the signal aborted');
  assert.ok(signal.reason instanceof TogetherError);
  return signal.reason;
}

describe('attempt scope', () => {
  test('the per-attempt timeout covers a streamed body until done() is called', async () => {
    const clock = new FakeClock();
    const scope = createAttemptScope({ attemptTimeoutMs: 1_000, idleTimeoutMs: 400, clock, model: 'm/x' });
    // Headers after 300 ms, then a chunk every 300 ms: never idle, but the whole body takes too long.
    for (let elapsed = 300; elapsed < 1_000; elapsed += 300) {
      await clock.advance(300);
      scope.touch();
      assert.equal(scope.signal.aborted, false, `still open at ${elapsed} ms`);
    }
    await clock.advance(100);
    const reason = reasonOf(scope.signal);
    assert.equal(reason.category, 'timeout');
    assert.equal(reason.retryable, true);
    assert.equal(reason.model, 'm/x');
    assert.match(reason.message, /1 s per-attempt timeout/);
    assert.equal(clock.pendingTimers(), 0, 'the idle timer went with it');
  });

  test('the idle timeout fires after a silence between chunks, and touch() keeps pushing it back', async () => {
    const clock = new FakeClock();
    const scope = createAttemptScope({ idleTimeoutMs: 500, clock });
    await clock.advance(5_000);
    assert.equal(scope.signal.aborted, false, 'idle is armed by the first touch (the headers), not before');
    scope.touch();
    for (let i = 0; i < 10; i++) {
      await clock.advance(450);
      scope.touch();
    }
    assert.equal(scope.signal.aborted, false);
    await clock.advance(499);
    assert.equal(scope.signal.aborted, false);
    await clock.advance(1);
    assert.match(reasonOf(scope.signal).message, /silent for 500 ms/);
    assert.equal(clock.pendingTimers(), 0);
  });

  test('done() clears every timer; a parent abort passes its reason through and clears them too', async () => {
    const clock = new FakeClock();
    const scope = createAttemptScope({ attemptTimeoutMs: 1_000, idleTimeoutMs: 100, clock });
    scope.touch();
    assert.equal(clock.pendingTimers(), 2);
    scope.done();
    assert.equal(clock.pendingTimers(), 0);
    await clock.advance(5_000);
    assert.equal(scope.signal.aborted, false);

    const parent = new AbortController();
    const child = createAttemptScope({ signal: parent.signal, attemptTimeoutMs: 1_000, idleTimeoutMs: 100, clock });
    child.touch();
    const reason = new Error('user cancelled');
    parent.abort(reason);
    assert.equal(child.signal.reason, reason);
    assert.equal(clock.pendingTimers(), 0);
  });

  test('an already-aborted parent aborts the scope at once without starting timers', () => {
    const clock = new FakeClock();
    const scope = createAttemptScope({ signal: AbortSignal.abort(new Error('before')), attemptTimeoutMs: 10, clock });
    assert.equal(scope.signal.aborted, true);
    assert.equal(clock.pendingTimers(), 0);
  });

  test("the scope's signal calls each abort listener once, and skips removed ones", async () => {
    const clock = new FakeClock();
    const scope = createAttemptScope({ attemptTimeoutMs: 100, clock, model: 'm/x' });
    const calls: string[] = [];
    const first = (event: Event): void => {
      calls.push(`first:${event.type}`);
    };
    const removed = (): void => {
      calls.push('removed');
    };
    scope.signal.addEventListener('abort', first, { once: true });
    scope.signal.addEventListener('abort', first); // the same listener twice is one listener, as on an EventTarget
    scope.signal.addEventListener('abort', removed);
    scope.signal.removeEventListener('abort', removed);
    scope.signal.addEventListener('abort', { handleEvent: () => calls.push('object') });
    assert.doesNotThrow(() => scope.signal.throwIfAborted());
    await clock.advance(100);
    assert.deepEqual(calls, ['first:abort', 'object']);
    assert.match(reasonOf(scope.signal).message, /per-attempt timeout/);
    assert.throws(() => scope.signal.throwIfAborted(), TogetherError);
    scope.signal.addEventListener('abort', removed);
    assert.deepEqual(calls, ['first:abort', 'object'], 'a listener added after the abort is never called');
  });

  test('bad timeouts are refused with the option named', () => {
    assert.throws(() => createAttemptScope({ attemptTimeoutMs: 0 }), /attemptTimeoutMs must be a positive number of milliseconds \(got 0\)/);
    assert.throws(() => createAttemptScope({ idleTimeoutMs: -5 }), /idleTimeoutMs/);
    assert.throws(() => createDeadline({ timeoutMs: Number.POSITIVE_INFINITY }), /deadline timeoutMs/);
  });
});

describe('light abort controller', () => {
  test('its signal works where the pipeline takes one: sleep, a deadline, an attempt scope', async () => {
    const controller = new LightAbortController();
    const reason = new Error('client left');
    const slept = sleep(60_000, controller.signal);
    const deadline = createDeadline({ timeoutMs: 60_000, signal: controller.signal });
    const scope = createAttemptScope({ signal: controller.signal, attemptTimeoutMs: 60_000 });
    controller.abort(reason);
    await assert.rejects(slept, (error) => error === reason);
    assert.equal(deadline.signal.reason, reason);
    assert.equal(scope.signal.reason, reason);
    deadline.dispose();
    const plain = new LightAbortController();
    plain.abort();
    assert.equal((plain.signal.reason as Error).name, 'AbortError', 'no reason given: an AbortError, as AbortController gives');
  });
});

describe('deadline', () => {
  test('aborts with a non-retryable timeout when the total time is spent', async () => {
    const clock = new FakeClock();
    const deadline = createDeadline({ timeoutMs: 2_000, clock });
    assert.equal(deadline.at, clock.now() + 2_000);
    await clock.advance(1_500);
    assert.equal(deadline.remainingMs(), 500);
    await clock.advance(500);
    const reason = reasonOf(deadline.signal);
    assert.equal(reason.retryable, false);
    assert.match(reason.message, /within its 2 s deadline/);
  });

  test('dispose() clears the timer and detaches from the parent', async () => {
    const clock = new FakeClock();
    const parent = new AbortController();
    const deadline = createDeadline({ timeoutMs: 2_000, signal: parent.signal, clock });
    deadline.dispose();
    assert.equal(clock.pendingTimers(), 0);
    parent.abort();
    assert.equal(deadline.signal.aborted, false, 'detached');
  });

  test("the caller's abort ends the deadline: its timer is cleared without a dispose()", () => {
    const clock = new FakeClock();
    const parent = new LightAbortController();
    const deadline = createDeadline({ timeoutMs: 2_000, signal: parent.signal, clock });
    assert.equal(clock.pendingTimers(), 1);
    parent.abort(new Error('client left'));
    assert.equal(clock.pendingTimers(), 0);
    assert.equal((deadline.signal.reason as Error).message, 'client left');
  });

  test('real time: an attempt scope under a deadline; the sleep it cancels leaves no timer', async () => {
    const deadline = createDeadline({ timeoutMs: 80 });
    const scope = createAttemptScope({ signal: deadline.signal, attemptTimeoutMs: 1_000 });
    const started = Date.now();
    await assert.rejects(sleep(5_000, scope.signal), (thrown: TogetherError) => thrown.category === 'timeout' && thrown.retryable === false);
    const took = Date.now() - started;
    assert.ok(took >= 70 && took < 1_000, `aborted by the deadline after ${took} ms`);
    scope.done();
    deadline.dispose();
    // If any timer were left (the 5 s sleep, the 1 s attempt timer), this test file would not exit promptly.
  });
});
