import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseRateLimitHeaders, parseResetMs, rateLimitSnapshot, readHeader, readRateLimitValues } from '../../src/policy/index.js';

describe('rate-limit headers', () => {
  test('reads Together headers from a Headers object: requests per second, tokens per minute by default', () => {
    const headers = new Headers({
      'x-ratelimit-limit': '20',
      'x-ratelimit-remaining': '17',
      'x-ratelimit-reset': '0.4',
      'x-tokenlimit-limit': '120000',
      'x-tokenlimit-remaining': '90000',
    });
    assert.deepEqual(parseRateLimitHeaders(headers), {
      requestsPerSecond: 20,
      tokensPerMinute: 120_000,
      requestsRemaining: 17,
      tokensRemaining: 90_000,
      resetMs: 400,
    });
  });

  test('the smaller of the fixed and -dynamic limits governs; plain records of any case work', () => {
    const snapshot = parseRateLimitHeaders({
      'X-RateLimit-Limit': '100',
      'x-ratelimit-limit-dynamic': '12',
      'x-ratelimit-remaining': '90',
      'x-ratelimit-remaining-dynamic': '3',
      'x-tokenlimit-limit-dynamic': ['5000', '9000'],
    });
    assert.equal(snapshot.requestsPerSecond, 12);
    assert.equal(snapshot.requestsRemaining, 3);
    assert.equal(snapshot.tokensPerMinute, 5_000);
  });

  test("one reading serves every pacer: the key's own headers, a model's dynamic ones, or both", () => {
    const values = readRateLimitValues({
      'content-type': 'application/json',
      'x-request-id': 'req-1',
      'x-ratelimit-limit': '100',
      'x-ratelimit-remaining': '90',
      'x-ratelimit-reset': '2',
      'x-ratelimit-limit-dynamic': '12',
      'x-ratelimit-remaining-dynamic': '3',
      'x-tokenlimit-limit-dynamic': 5000,
    });
    assert.deepEqual(rateLimitSnapshot(values, 'fixed', undefined, 0), { requestsPerSecond: 100, requestsRemaining: 90, resetMs: 2000 });
    assert.deepEqual(rateLimitSnapshot(values, 'dynamic', undefined, 0), { requestsPerSecond: 12, tokensPerMinute: 5000, requestsRemaining: 3 });
    assert.deepEqual(rateLimitSnapshot(values, 'all', undefined, 0), { requestsPerSecond: 12, tokensPerMinute: 5000, requestsRemaining: 3, resetMs: 2000 });
  });

  test('the lower-case name wins over another spelling of the same header, whatever their order', () => {
    for (const headers of [
      { 'X-RATELIMIT-LIMIT': '7', 'x-ratelimit-limit': '40' },
      { 'x-ratelimit-limit': '40', 'X-RATELIMIT-LIMIT': '7' },
    ]) {
      assert.equal(parseRateLimitHeaders(headers).requestsPerSecond, 40);
      assert.equal(parseRateLimitHeaders(headers).requestsPerSecond, Number(readHeader(headers, 'x-ratelimit-limit')));
    }
    assert.equal(parseRateLimitHeaders({ 'X-Ratelimit-Limit': '7', 'X-RATELIMIT-LIMIT': '9' }).requestsPerSecond, 7, 'else the first spelling met');
  });

  test('units are configurable (e.g. requests per minute)', () => {
    const snapshot = parseRateLimitHeaders({ 'x-ratelimit-limit': '600', 'x-tokenlimit-limit': '1000' }, { requests: 'minute', tokens: 'second' });
    assert.equal(snapshot.requestsPerSecond, 10);
    assert.equal(snapshot.tokensPerMinute, 60_000);
  });

  test('junk values are ignored, not guessed at', () => {
    assert.deepEqual(parseRateLimitHeaders({ 'x-ratelimit-limit': 'lots', 'x-ratelimit-remaining': '-1', 'x-tokenlimit-limit': '0' }), {});
    assert.equal(readHeader({}, 'x-ratelimit-limit'), undefined);
  });

  test('x-ratelimit-reset: seconds, durations, or a Unix time', () => {
    assert.equal(parseResetMs('2'), 2_000);
    assert.equal(parseResetMs('0.25'), 250);
    assert.equal(parseResetMs('1m30s'), 90_000);
    assert.equal(parseResetMs('250ms'), 250);
    assert.equal(parseResetMs('1700000010', 1_700_000_000_000), 10_000);
    assert.equal(parseResetMs('soon'), undefined);
    assert.equal(parseResetMs(undefined), undefined);
  });
});
