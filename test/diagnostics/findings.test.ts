// The pure pieces behind the doctor's judgements: rate limits in words, clock skew, proxy choice, key shape,
// the model picked for the one-token completion.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { CatalogModel } from '../../src/catalog/index.js';
import {
  cheapestChatModel,
  estimateSkew,
  judgeSkew,
  keyEnding,
  keyPasteProblem,
  keyShape,
  median,
  proxyFor,
  proxySettingsFromEnv,
  readRateLimits,
  shouldProxy,
  withoutCredentials,
} from '../../src/diagnostics/index.js';

describe('rate limits in words', () => {
  test('requests per second and per minute, what is left, the reset, tokens per minute', () => {
    const reading = readRateLimits({
      'x-ratelimit-limit': '10',
      'x-ratelimit-remaining': '9',
      'x-ratelimit-reset': '1',
      'x-tokenlimit-limit': '200000',
      'x-tokenlimit-remaining': '199988',
      'content-type': 'application/json',
    });
    assert.equal(reading.words, '10 requests/s (600/min), 9 left, resets in 1 s; 200,000 tokens/min, 199,988 left');
    assert.deepEqual(Object.keys(reading.raw), ['x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset', 'x-tokenlimit-limit', 'x-tokenlimit-remaining']);
    assert.equal(reading.exhausted, false);
  });

  test('dynamic limits govern when smaller and are named; an empty budget is flagged; no headers, no words', () => {
    const reading = readRateLimits({ 'x-ratelimit-limit': '10', 'x-ratelimit-limit-dynamic': '2', 'x-ratelimit-remaining-dynamic': '0' });
    assert.equal(reading.words, '2 requests/s (120/min), 0 left (dynamic limits)');
    assert.equal(reading.exhausted, true);
    assert.equal(readRateLimits({ 'content-type': 'text/plain' }).words, undefined);
  });
});

describe('clock skew', () => {
  const at = Date.parse('2026-05-01T12:00:00Z');
  test('the estimate allows for the Date header rounding and the round trip', () => {
    const inSync = estimateSkew([{ sentAt: at + 100, receivedAt: at + 300, date: new Date(at).toUTCString() }]);
    assert.ok(inSync);
    assert.equal(inSync.skewMs, 300);
    assert.equal(inSync.uncertaintyMs, 600);
    assert.equal(judgeSkew(inSync), 'pass');
  });

  test('the shortest round trip wins; a missing or bad Date gives no estimate', () => {
    const estimate = estimateSkew([
      { sentAt: at, receivedAt: at + 4000, date: new Date(at - 60_000).toUTCString() },
      { sentAt: at, receivedAt: at + 20, date: new Date(at - 30_000).toUTCString() },
    ]);
    assert.equal(estimate?.uncertaintyMs, 510);
    assert.equal(estimateSkew([{ sentAt: at, receivedAt: at }, { sentAt: at, receivedAt: at, date: 'yesterday' }]), undefined);
  });

  test('pass within 5 s beyond the uncertainty, warn beyond, fail beyond 5 minutes', () => {
    assert.equal(judgeSkew({ skewMs: 5400, uncertaintyMs: 500 }), 'pass');
    assert.equal(judgeSkew({ skewMs: -30_000, uncertaintyMs: 500 }), 'warn');
    assert.equal(judgeSkew({ skewMs: 10 * 60_000, uncertaintyMs: 500 }), 'fail');
  });
});

describe('proxy variables', () => {
  test('lower-case wins, HTTPS falls back to HTTP_PROXY, NO_PROXY matches hosts, subdomains and ports like undici', () => {
    const settings = proxySettingsFromEnv({ HTTP_PROXY: 'http://upper:3128', http_proxy: 'http://lower:3128', NO_PROXY: '.internal.example, localhost:8787' });
    assert.equal(settings.httpProxy, 'http://lower:3128');
    assert.equal(settings.sources.httpProxy, 'http_proxy');
    assert.equal(proxyFor(settings, new URL('https://api.together.xyz/v1')).proxy, 'http://lower:3128');
    assert.match(proxyFor(settings, new URL('https://api.internal.example/v1')).reason, /matches NO_PROXY/);
    assert.equal(proxyFor(settings, new URL('http://localhost:8787/v1')).proxy, undefined);
    assert.equal(proxyFor(settings, new URL('http://localhost:9999/v1')).proxy, 'http://lower:3128');
    assert.equal(shouldProxy('anything', 443, '*'), false);
    assert.equal(shouldProxy('internal.example', 443, '.internal.example'), false);
    assert.equal(shouldProxy('notinternal.example', 443, 'internal.example'), true);
    assert.match(proxyFor(proxySettingsFromEnv({}), new URL('https://api.together.xyz')).reason, /no HTTPS_PROXY or HTTP_PROXY set/);
  });

  test('credentials in a proxy URL are never shown', () => {
    assert.equal(withoutCredentials('http://alice:s3cret-pass@proxy:3128'), 'http://***:***@proxy:3128/');
    assert.equal(withoutCredentials('http://proxy:3128'), 'http://proxy:3128');
  });
});

describe('keys and models', () => {
  test('key shapes, endings and paste problems, never echoing the key', () => {
    assert.equal(keyShape('tgp_v1_abcdefghijklmnop'), 'together_v1');
    assert.equal(keyShape('a'.repeat(64)), 'legacy_hex');
    assert.equal(keyShape('sk-something'), 'other');
    assert.equal(keyEnding('tgp_v1_abcdefghijklmnop'), 'ending …mnop');
    assert.equal(keyEnding('short-key'), '9 characters long');
    const key = 'tgp_v1_abcdefghijklmnop';
    for (const pasted of [`'${key}'`, `Bearer ${key}`, `${key.slice(0, 10)} ${key.slice(10)}`, `${key}\u2019`]) {
      const problem = keyPasteProblem(pasted);
      assert.ok(problem, pasted);
      assert.ok(!problem.problem.includes(key) && !problem.fix.includes(key));
    }
    assert.equal(keyPasteProblem(`  ${key}\n`), undefined, 'surrounding whitespace is trimmed, not a problem');
  });

  test('the one-token completion uses the cheapest serverless chat model that is not free, deprecated or gated', () => {
    const model = (id: string, fields: Partial<CatalogModel>): CatalogModel =>
      ({ id, type: 'chat', serverless: true, pricing: { input: 1, output: 1 }, deprecated: undefined, minTier: undefined, ...fields }) as CatalogModel;
    const list = [
      model('org/pricey', { pricing: { input: 3, output: 3 } }),
      model('org/cheap-Free', { pricing: { input: 0, output: 0 } }),
      model('org/embed', { type: 'embedding', pricing: { input: 0.01, output: 0 } }),
      model('org/gated', { minTier: 3, pricing: { input: 0.01, output: 0.01 } }),
      model('org/dedicated', { serverless: false, pricing: { input: 0.01, output: 0.01 } }),
      model('org/cheapest', { pricing: { input: 0.1, output: 0.1 } }),
    ];
    assert.equal(cheapestChatModel(list), 'org/cheapest');
    assert.equal(cheapestChatModel([model('org/unknown', { serverless: undefined })]), 'org/unknown');
    assert.equal(cheapestChatModel([]), undefined);
    assert.equal(median([30, 10, 20]), 20);
    assert.equal(median([4, 1, 3, 2]), 2.5);
  });
});
