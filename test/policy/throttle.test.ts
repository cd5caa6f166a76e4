// Adaptive throttling: the SRE book's probability, local shedding when a model refuses with 503s, recovery when it
// accepts again; a 429 is not the model's overload and sheds nothing.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { TogetherError, behaviourOf } from '../../src/errors/index.js';
import { AdaptiveThrottle, AttemptHooks, rejectionProbability, throttleLayer } from '../../src/policy/index.js';
import type { AttemptCall } from '../../src/policy/index.js';
import { FakeClock } from './fake-clock.js';

const MODEL = 'Qwen/Qwen2.5-7B-Instruct-Turbo';
const error = (status: number, category: 'overloaded' | 'rate_limit') =>
  new TogetherError({ status, category, message: String(status), cause: 'c', fix: 'f', retryable: true, model: MODEL });

function call(): AttemptCall & { hooks: AttemptHooks } {
  const hooks = new AttemptHooks();
  return {
    model: MODEL,
    apiKey: 'k',
    budgetTokens: 0,
    signal: new AbortController().signal,
    attempt: 1,
    requestId: undefined,
    headers: {},
    slots: new Map(),
    hooks,
    onEnd(cb) {
      hooks.onEnd(cb, this);
    },
    onHeaders(cb) {
      hooks.onHeaders(cb, this);
    },
  };
}

/** Sends `count` attempts through the layer to an upstream answering `answer`; returns how many were sent. */
async function drive(send: (c: AttemptCall & { hooks: AttemptHooks }) => Promise<string>, count: number): Promise<number> {
  let sent = 0;
  for (let i = 0; i < count; i++) {
    const c = call();
    try {
      await send(c);
      c.hooks.end({ kind: 'success' });
      sent++;
    } catch (thrown) {
      const e = thrown as TogetherError;
      if (e.code === 'throttled_locally') continue;
      sent++;
      c.hooks.end({ kind: 'failure', error: e });
    }
  }
  return sent;
}

describe('adaptive throttle', () => {
  test('the SRE book’s probability', () => {
    assert.equal(rejectionProbability(0, 0, 2), 0);
    assert.equal(rejectionProbability(100, 50, 2), 0);
    assert.equal(rejectionProbability(100, 0, 2), 100 / 101);
    assert.equal(rejectionProbability(99, 25, 2), 49 / 100);
  });

  test('sheds most attempts while the model answers 503, and recovers once it accepts again', async () => {
    const clock = new FakeClock();
    let seed = 1;
    const random = (): number => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    const throttle = new AdaptiveThrottle({ k: 2, windowMs: 10_000 }, { clock, random });
    let upstream: 'down' | 'up' = 'down';
    const layered = throttleLayer<AttemptCall & { hooks: AttemptHooks }, string>(throttle)(async () => {
      if (upstream === 'down') throw error(503, 'overloaded');
      return 'ok';
    });
    const sentWhileDown = await drive(layered, 1000);
    // Nearly everything is refused here once the window has seen only 503s (without the throttle: all 1000 sent).
    assert.ok(sentWhileDown < 100, `sent ${sentWhileDown} of 1000 to a model answering 503 to everything`);
    const refusal = await layered(call()).catch((e: unknown) => e);
    if (refusal instanceof TogetherError && refusal.code === 'throttled_locally') {
      assert.equal(refusal.status, 503);
      assert.equal(behaviourOf(refusal).backoff, 'none');
      assert.equal(behaviourOf(refusal).fallback, 'yes');
    }
    // The model recovers; the old 503s age out of the window and every attempt is sent again.
    upstream = 'up';
    await clock.advance(10_001);
    assert.equal(await drive(layered, 200), 200);
    assert.equal(throttle.probability(MODEL), 0);
  });

  test('429s feed the pacer, not the throttle: nothing is shed', async () => {
    const throttle = new AdaptiveThrottle({}, { clock: new FakeClock() });
    const layered = throttleLayer<AttemptCall & { hooks: AttemptHooks }, string>(throttle)(() => Promise.reject(error(429, 'rate_limit')));
    assert.equal(await drive(layered, 200), 200);
    assert.equal(throttle.probability(MODEL), 0);
  });

  test('bad options are refused with the option named', () => {
    assert.throws(() => new AdaptiveThrottle({ k: 0.5 }), /throttle\.k must be a number >= 1 \(got 0\.5\)/);
  });
});
