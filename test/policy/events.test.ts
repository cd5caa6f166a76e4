import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { TogetherError } from '../../src/errors/index.js';
import { PolicyEvents, type PolicyEvent } from '../../src/policy/index.js';

describe('PolicyEvents', () => {
  test('delivers typed payloads with their name and time to named and catch-all listeners', () => {
    const events = new PolicyEvents({ now: () => 42 });
    const named: PolicyEvent<'fallback'>[] = [];
    const all: PolicyEvent[] = [];
    events.on('fallback', (event) => named.push(event));
    events.onAny((event) => all.push(event));
    events.emit('fallback', { from: 'a', to: 'b', why: 'overloaded' });
    events.emit('pacing_wait', { key: 'key_1', waitedMs: 5 });
    assert.deepEqual(named, [{ from: 'a', to: 'b', why: 'overloaded', type: 'fallback', at: 42 }]);
    assert.deepEqual(
      all.map((event) => event.type),
      ['fallback', 'pacing_wait'],
    );
  });

  test('a listener that throws or rejects never reaches the emitter, and the others still run', async () => {
    const failures: string[] = [];
    const events = new PolicyEvents({ onListenerError: (error, event) => failures.push(`${event.type}:${(error as Error).message}`) });
    const seen: number[] = [];
    events.on('retry', () => {
      throw new Error('sync boom');
    });
    events.on('retry', async () => {
      throw new Error('async boom');
    });
    events.on('retry', (event) => seen.push(event.delayMs));
    const error = new TogetherError({ category: 'overloaded', message: 'm', cause: 'c', fix: 'f', retryable: true });
    assert.doesNotThrow(() => events.emit('retry', { attempt: 1, delayMs: 250, reason: 'overloaded', serverAsked: false, error }));
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(seen, [250]);
    assert.deepEqual(failures.sort(), ['retry:async boom', 'retry:sync boom']);
  });

  test('a throwing error reporter is contained too', () => {
    const events = new PolicyEvents({
      onListenerError: () => {
        throw new Error('reporter broke');
      },
    });
    events.on('attempt', () => {
      throw new Error('listener broke');
    });
    assert.doesNotThrow(() => events.emit('attempt', { attempt: 1 }));
  });

  test('by default a failing listener becomes one process warning, not an exception', async () => {
    const events = new PolicyEvents();
    const warnings: string[] = [];
    const onWarning = (warning: Error): void => {
      warnings.push(warning.message);
    };
    process.on('warning', onWarning);
    try {
      events.on('outcome', () => {
        throw new Error('metrics down');
      });
      events.emit('outcome', { ok: true, attempts: 1, elapsedMs: 3 });
      events.emit('outcome', { ok: true, attempts: 1, elapsedMs: 3 });
      await new Promise((resolve) => setImmediate(resolve));
      assert.equal(warnings.length, 1);
      assert.match(warnings[0]!, /"outcome" failed and was ignored: metrics down/);
    } finally {
      process.off('warning', onWarning);
    }
  });

  test('unsubscribing stops delivery; non-function listeners are refused', () => {
    const events = new PolicyEvents();
    let count = 0;
    const off = events.on('attempt', () => count++);
    events.emit('attempt', { attempt: 1 });
    off();
    events.emit('attempt', { attempt: 2 });
    assert.equal(count, 1);
    assert.equal(events.listenerCount(), 0);
    assert.throws(() => events.on('attempt', 'nope' as never), /listener must be a function/);
  });
});
