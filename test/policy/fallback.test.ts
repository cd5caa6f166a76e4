import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { TogetherError, type ErrorCategory } from '../../src/errors/index.js';
import { FallbackRoute, PolicyEvents, firstModel, nextModel, type CircuitView } from '../../src/policy/index.js';

const ROUTE = ['meta-llama/Llama-3.3-70B-Instruct-Turbo', 'meta-llama/Meta-Llama-3.1-70B-Instruct-Turbo', 'meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo'];

function error(category: ErrorCategory): TogetherError {
  return new TogetherError({ category, message: category, cause: 'c', fix: 'f', retryable: false });
}

function openCircuits(...models: string[]): CircuitView {
  return { isOpen: (model) => models.includes(model) };
}

describe('fallback route', () => {
  test('overload, server errors, timeouts, not-found and context overflow move to the next model', () => {
    for (const category of ['overloaded', 'server', 'timeout', 'not_found', 'context_length'] as const) {
      assert.deepEqual(nextModel(ROUTE, 0, error(category)), { index: 1, model: ROUTE[1], why: category });
    }
    assert.deepEqual(nextModel(ROUTE, 0, 'breaker_open'), { index: 1, model: ROUTE[1], why: 'breaker_open' });
  });

  test('auth, billing, validation (and by default rate limits and network errors) do not', () => {
    for (const category of ['auth', 'billing', 'validation', 'rate_limit', 'network'] as const) {
      assert.equal(nextModel(ROUTE, 0, error(category)), undefined, category);
    }
    assert.equal(nextModel(ROUTE, 0, error('billing'), { fallbackOn: ['billing', 'rate_limit'] }), undefined, 'never, whatever the options');
    assert.equal(nextModel(ROUTE, 0, error('rate_limit'), { fallbackOn: ['rate_limit'] })?.index, 1, 'rate limits only when asked');
  });

  test('skips models whose circuit is open; the end of the route ends the request', () => {
    assert.equal(nextModel(ROUTE, 0, error('overloaded'), { breakers: openCircuits(ROUTE[1]!) })?.index, 2);
    assert.equal(nextModel(ROUTE, 0, error('overloaded'), { breakers: openCircuits(ROUTE[1]!, ROUTE[2]!) }), undefined);
    assert.equal(nextModel(ROUTE, 2, error('overloaded')), undefined);
  });

  test('the first model is the first closed one, or the primary (the probe) when all are open', () => {
    assert.equal(firstModel(ROUTE), 0);
    assert.equal(firstModel(ROUTE, openCircuits(ROUTE[0]!)), 1);
    assert.equal(firstModel(ROUTE, openCircuits(...ROUTE)), 0);
  });

  test('FallbackRoute emits the fallback event it decides', () => {
    const events = new PolicyEvents();
    const seen: unknown[] = [];
    events.on('fallback', ({ from, to, why }) => seen.push({ from, to, why }));
    const route = new FallbackRoute(ROUTE, { events, breakers: openCircuits(ROUTE[1]!) });
    assert.equal(route.first(), 0);
    assert.equal(route.next(0, error('context_length'))?.model, ROUTE[2]);
    assert.equal(route.next(0, error('auth')), undefined);
    assert.deepEqual(seen, [{ from: ROUTE[0], to: ROUTE[2], why: 'context_length' }]);
  });

  test('bad routes are refused with what to fix', () => {
    assert.throws(() => new FallbackRoute([]), /non-empty list of model ids/);
    assert.throws(() => nextModel(['a', 'a'], 0, 'breaker_open'), /lists "a" twice/);
    assert.throws(() => firstModel(['a', ''] as string[]), /entry 1 must be a model id/);
  });
});
