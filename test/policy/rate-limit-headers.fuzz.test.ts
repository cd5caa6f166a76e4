// Property tests for the rate-limit header parser and the pacer that acts on it (issue 15, failure 7): whatever
// x-ratelimit-* / x-tokenlimit-* headers an upstream sends, every wait read from them is finite, >= 0 and within a
// timer's range, every rate is finite and positive, and the pacer either lets the next request go or fails it, and never arms
// a timer longer than its cap (or than Node can keep) on the way.
// Every input that ever failed stays in test/fixtures/fuzz/rate-limit-headers-corpus.json and is replayed on its own.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { isTogetherError } from '../../src/errors/index.js';
import { MAX_RESET_MS, Pacer, parseRateLimitHeaders, systemClock } from '../../src/policy/index.js';
import type { Clock } from '../../src/policy/index.js';

const SEED = 20261207;
const KEY = 'tgp_v1_fuzz-pacing-key';
const CAP_MS = 40;

interface Case {
  note?: string;
  headers: Record<string, string>;
}

function checkSnapshot(headers: Record<string, string>): void {
  const snapshot = parseRateLimitHeaders(headers);
  if (snapshot.resetMs !== undefined) {
    assert.ok(Number.isFinite(snapshot.resetMs) && snapshot.resetMs >= 0 && snapshot.resetMs <= MAX_RESET_MS, `resetMs ${snapshot.resetMs}`);
  }
  for (const rate of [snapshot.requestsPerSecond, snapshot.tokensPerMinute]) {
    if (rate !== undefined) assert.ok(Number.isFinite(rate) && rate > 0, `rate ${rate}`);
  }
  for (const left of [snapshot.requestsRemaining, snapshot.tokensRemaining]) {
    if (left !== undefined) assert.ok(Number.isFinite(left) && left >= 0, `remaining ${left}`);
  }
}

/**
 * After one answer with `headers` (and perhaps a 429's wait), the next request is released or refused, and no timer
 * the pacer armed on the way was longer than the cap or than Node can keep. Delays are read from the clock the pacer
 * was given, not from the wall clock: on a loaded machine a 40 ms timer may fire after 150 ms.
 */
async function checkPacer(headers: Record<string, string>, tokens: number, retryAfterMs: number | undefined): Promise<void> {
  const armed: number[] = [];
  const clock: Clock = {
    now: () => systemClock.now(),
    setTimeout: (callback, ms) => {
      armed.push(ms);
      return systemClock.setTimeout(callback, ms);
    },
    clearTimeout: (handle) => systemClock.clearTimeout(handle),
  };
  const pacer = new Pacer({ initialRequestsPerSecond: 1000, maxWaitMs: CAP_MS, clock });
  const warnings: string[] = [];
  const onWarning = (warning: Error): void => void warnings.push(warning.name);
  process.on('warning', onWarning);
  try {
    await pacer.acquire(KEY);
    pacer.observe(KEY, headers);
    if (retryAfterMs !== undefined) pacer.penalize(KEY, retryAfterMs);
    try {
      await pacer.acquire(KEY, { tokens });
    } catch (error) {
      assert.ok(isTogetherError(error), String(error));
      assert.equal(error.category, 'rate_limit');
      assert.ok(['rate_limit_wait_above_cap', 'token_budget_too_small'].includes(error.code ?? ''), error.code);
    }
    // Nothing here leaves the token budget spent, so no wait is a token window's: every one is within the cap.
    for (const ms of armed) assert.ok(Number.isFinite(ms) && ms >= 0 && ms <= CAP_MS + 1, `a timer of ${ms} ms was armed`);
  } finally {
    await pacer.close();
    process.off('warning', onWarning);
  }
  assert.deepEqual(warnings, []);
}

const number = fc.oneof(
  fc.nat().map(String),
  fc.double({ min: 0, max: 1e12, noNaN: true }).map(String),
  fc.constantFrom('0', '1', '0.0001', '99999999', '9'.repeat(400), '1e400', '-1', 'NaN', 'Infinity', '0x10', ' 5 ', '1m30s', '250ms', '1000000h', '3600', '4102444800', '4102444800000', ''),
  fc.string({ maxLength: 12 }),
);
const headerName = fc.constantFrom(
  'x-ratelimit-limit',
  'x-ratelimit-limit-dynamic',
  'x-ratelimit-remaining',
  'x-ratelimit-remaining-dynamic',
  'x-ratelimit-reset',
  'x-tokenlimit-limit',
  'x-tokenlimit-remaining',
  'X-RateLimit-Reset',
);
const headers = fc.dictionary(headerName, number, { maxKeys: 6 });

describe('rate-limit headers under fuzzing', () => {
  const corpus = JSON.parse(readFileSync(new URL('../fixtures/fuzz/rate-limit-headers-corpus.json', import.meta.url), 'utf8')) as Case[];
  for (const c of corpus) {
    test(`corpus: ${c.note ?? JSON.stringify(c.headers).slice(0, 60)}`, async () => {
      checkSnapshot(c.headers);
      await checkPacer(c.headers, 100, undefined);
    });
  }

  test('the parser: finite, non-negative waits within a timer, finite positive rates', () => {
    fc.assert(fc.property(headers, (h) => checkSnapshot(h)), { numRuns: 300, seed: SEED, interruptAfterTimeLimit: 4000 });
  });

  test('the pacer: the next request goes or is refused; no timer beyond the cap, none overflows', async () => {
    await fc.assert(
      fc.asyncProperty(headers, fc.nat({ max: 5000 }), fc.option(fc.oneof(fc.nat({ max: 50 }), fc.double({ min: 0, max: 1e20, noNaN: true })), { nil: undefined }), (h, tokens, wait) =>
        checkPacer(h, tokens, wait),
      ),
      { numRuns: 120, seed: SEED, interruptAfterTimeLimit: 6000 },
    );
  });
});
