import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, mock, test } from 'node:test';
import { TogetherError } from '../../src/errors/index.js';
import { COARSE_MIN_MS, COARSE_TICK_MS, pendingCoarseTimers } from '../../src/policy/coarse-timers.js';
import { createAttemptScope, createDeadline } from '../../src/policy/index.js';
import { FakeClock } from './fake-clock.js';

function timeoutKind(signal: AbortSignal): string {
  assert.ok(signal.aborted, 'the signal aborted');
  assert.ok(signal.reason instanceof TogetherError);
  return signal.reason.message;
}

describe('coarse timers (long per-request timers swept by one interval)', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setInterval', 'setTimeout', 'Date'], now: 1_700_000_000_000 }));
  afterEach(() => mock.timers.reset());

  test("the gateway's 15-minute deadline is coarse, fires at most one tick late, and leaves nothing behind", () => {
    const deadline = createDeadline({ timeoutMs: 900_000 });
    assert.equal(pendingCoarseTimers(), 1, 'no Timeout of its own: one link in the swept list');
    mock.timers.tick(900_000 - 1);
    assert.equal(deadline.signal.aborted, false);
    mock.timers.tick(COARSE_TICK_MS + 1);
    assert.match(timeoutKind(deadline.signal), /within its 15 min deadline|deadline/);
    assert.equal(pendingCoarseTimers(), 0);
  });

  test('dispose() unlinks it: it never fires', () => {
    const deadline = createDeadline({ timeoutMs: 60_000 });
    deadline.dispose();
    assert.equal(pendingCoarseTimers(), 0);
    mock.timers.tick(120_000);
    assert.equal(deadline.signal.aborted, false);
  });

  test("a sweep fires only the timers that are due, the attempt scope's ten minutes among them", () => {
    const first = createDeadline({ timeoutMs: COARSE_MIN_MS });
    const scope = createAttemptScope({ attemptTimeoutMs: 600_000, model: 'm/x' });
    const later = createDeadline({ timeoutMs: 2 * COARSE_MIN_MS });
    assert.equal(pendingCoarseTimers(), 3);
    mock.timers.tick(COARSE_MIN_MS + COARSE_TICK_MS);
    assert.equal(first.signal.aborted, true);
    assert.equal(later.signal.aborted, false);
    assert.equal(scope.signal.aborted, false);
    mock.timers.tick(600_000);
    assert.match(timeoutKind(scope.signal), /attempt/);
    assert.equal(later.signal.aborted, true);
    assert.equal(pendingCoarseTimers(), 0);
  });

  test('a scope that is done() unlinks its attempt timer', () => {
    const scope = createAttemptScope({ attemptTimeoutMs: 600_000 });
    scope.done();
    assert.equal(pendingCoarseTimers(), 0);
  });

  test('short timers and injected clocks keep a precise timer of their own', () => {
    const short = createDeadline({ timeoutMs: COARSE_MIN_MS - 1 });
    assert.equal(pendingCoarseTimers(), 0);
    const clock = new FakeClock();
    const onFake = createDeadline({ timeoutMs: 900_000, clock });
    assert.equal(pendingCoarseTimers(), 0);
    assert.equal(clock.pendingTimers(), 1);
    mock.timers.tick(COARSE_MIN_MS - 1);
    assert.equal(short.signal.aborted, true, 'fired on time, not on a sweep');
    onFake.dispose();
  });
});
