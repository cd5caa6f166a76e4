// Dynamic limits are per key × model: the `-dynamic` headers of one model's answers pace that model only; a burst
// far above its rate is not queued past maxQueueMs but refused at once for the fallback (dynamic_limit_saturated);
// the key-wide pacer ignores them.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { TogetherError, behaviourOf } from '../../src/errors/index.js';
import { AttemptHooks, DynamicPacing, Pacer, dynamicLimitSaturatedError, dynamicPacingLayer, fallbackReason } from '../../src/policy/index.js';
import type { AttemptCall } from '../../src/policy/index.js';

const SLOW = 'meta-llama/Llama-3.3-70B-Instruct-Turbo';
const OTHER = 'meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo';
const HEADERS = { 'x-ratelimit-limit': '1000', 'x-ratelimit-limit-dynamic': '2', 'x-ratelimit-remaining-dynamic': '2' };

type Call = AttemptCall & { hooks: AttemptHooks; spillOver?: () => boolean };

function call(model: string, spillOver = true): Call {
  const hooks = new AttemptHooks();
  return { spillOver: () => spillOver, model, apiKey: 'k', budgetTokens: 0, signal: new AbortController().signal, attempt: 1, requestId: undefined, headers: {}, slots: new Map(), hooks, onEnd(cb) {
      hooks.onEnd(cb, this);
    }, onHeaders(cb) {
      hooks.onHeaders(cb, this);
    } };
}

describe('dynamic pacing per key × model', () => {
  test("one model's dynamic rate paces it alone; a burst beyond maxQueueMs goes to the fallback at once", async () => {
    const dynamic = new DynamicPacing({ maxQueueMs: 1000 });
    const send = dynamicPacingLayer<Call, string>(dynamic)(async (c) => {
      (c as AttemptCall & { hooks: AttemptHooks }).hooks.headers(HEADERS);
      return 'ok';
    });
    try {
      // The first answer teaches the model's rate: 2/s (×0.95).
      await send(call(SLOW));
      const started = performance.now();
      const results = await Promise.all(Array.from({ length: 8 }, () => send(call(SLOW)).catch((e: unknown) => e)));
      const refused = results.filter((r): r is TogetherError => r instanceof TogetherError && r.code === 'dynamic_limit_saturated');
      const sent = results.filter((r) => r === 'ok');
      assert.ok(refused.length >= 5, `refused ${refused.length} of 8 (a 1 s queue at ~2/s holds about 2)`);
      assert.ok(sent.length >= 1 && sent.length <= 3, `sent ${sent.length}`);
      assert.equal(behaviourOf(refused[0]!).fallback, 'yes');
      assert.equal(behaviourOf(refused[0]!).backoff, 'none');
      assert.ok(refused[0]!.retryAfterMs! > 0);
      // Another model on the same key is not held by this one's rate.
      const t0 = performance.now();
      assert.equal(await send(call(OTHER)), 'ok');
      assert.ok(performance.now() - t0 < 200, 'another model goes at once');
      assert.ok(performance.now() - started < 3000);
      // With nowhere to spill to, a request waits its turn instead.
      assert.equal(await send(call(SLOW, false)), 'ok');
    } finally {
      await dynamic.close();
    }
  });

  test("the key-wide pacer learns the key's own limits, not a model's dynamic one", async () => {
    const pacer = new Pacer({ limitHeaders: 'fixed' });
    try {
      pacer.observe('k', HEADERS);
      assert.equal(pacer.limits('k').requestsPerSecond, 1000 * 0.95);
      const folded = new Pacer();
      folded.observe('k', HEADERS);
      assert.equal(folded.limits('k').requestsPerSecond, 2 * 0.95, 'without the view, the dynamic limit would hold the whole key');
      await folded.close();
    } finally {
      await pacer.close();
    }
  });

  test('a saturated model moves to the fallback; a plain 429 still moves only if asked', () => {
    assert.equal(fallbackReason(dynamicLimitSaturatedError(SLOW, 2, 10)), 'rate_limit');
    const plain = new TogetherError({ status: 429, category: 'rate_limit', message: '429', cause: 'c', fix: 'f', retryable: true });
    assert.equal(fallbackReason(plain), undefined);
  });
});
