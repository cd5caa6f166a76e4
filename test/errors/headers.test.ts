import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Headers as UndiciHeaders } from 'undici';
import { classify, extractRequestId, getHeader, parseRetryAfterMs } from '../../src/errors/index.js';

const NOW = Date.parse('2025-07-01T12:00:00Z');

describe('parseRetryAfterMs', () => {
  test('retry-after-ms: float milliseconds, rounded up', () => {
    assert.equal(parseRetryAfterMs({ 'retry-after-ms': '1500' }, NOW), 1500);
    assert.equal(parseRetryAfterMs({ 'retry-after-ms': '250.2' }, NOW), 251);
    assert.equal(parseRetryAfterMs({ 'retry-after-ms': '0' }, NOW), 0);
  });

  test('retry-after: seconds, fractional seconds, and an HTTP date minus now (clamped at 0)', () => {
    assert.equal(parseRetryAfterMs({ 'retry-after': '2' }, NOW), 2000);
    assert.equal(parseRetryAfterMs({ 'retry-after': '0.5' }, NOW), 500);
    assert.equal(parseRetryAfterMs({ 'retry-after': ' 65 ' }, NOW), 65_000);
    assert.equal(parseRetryAfterMs({ 'retry-after': new Date(NOW + 7000).toUTCString() }, NOW), 7000);
    assert.equal(parseRetryAfterMs({ 'retry-after': 'Tue, 01 Jul 2025 11:59:00 GMT' }, NOW), 0, 'a date in the past means now');
  });

  test('x-ratelimit-reset: seconds, or a unix timestamp when it is that large', () => {
    assert.equal(parseRetryAfterMs({ 'x-ratelimit-reset': '3' }, NOW), 3000);
    assert.equal(parseRetryAfterMs({ 'x-ratelimit-reset': '0.25' }, NOW), 250);
    assert.equal(parseRetryAfterMs({ 'x-ratelimit-reset': String(NOW / 1000 + 12) }, NOW), 12_000);
    assert.equal(parseRetryAfterMs({ 'x-ratelimit-reset': String(NOW / 1000 - 30) }, NOW), 0, 'a past reset time means now');
    assert.equal(parseRetryAfterMs({ 'x-ratelimit-reset': String(NOW + 4000) }, NOW), 4000, 'a millisecond timestamp');
    assert.equal(parseRetryAfterMs({ 'x-ratelimit-reset': '1m30s' }, NOW), 90_000, 'a duration string');
    assert.equal(parseRetryAfterMs({ 'x-ratelimit-reset': '20ms' }, NOW), 20);
  });

  test('precedence: retry-after-ms, then retry-after, then x-ratelimit-reset', () => {
    const all = { 'retry-after-ms': '100', 'retry-after': '2', 'x-ratelimit-reset': '3' };
    assert.equal(parseRetryAfterMs(all, NOW), 100);
    assert.equal(parseRetryAfterMs({ 'retry-after': '2', 'x-ratelimit-reset': '3' }, NOW), 2000);
  });

  test('garbage values are ignored and fall through to the next header', () => {
    for (const bad of ['soon', '', '-5', 'NaN', 'Infinity', '1e3', '1,5', '0x10', 'Mon, 99 Foo 2025']) {
      assert.equal(parseRetryAfterMs({ 'retry-after': bad }, NOW), undefined, `retry-after: ${JSON.stringify(bad)}`);
      assert.equal(parseRetryAfterMs({ 'retry-after-ms': bad }, NOW), undefined, `retry-after-ms: ${JSON.stringify(bad)}`);
      assert.equal(parseRetryAfterMs({ 'x-ratelimit-reset': bad }, NOW), undefined, `x-ratelimit-reset: ${JSON.stringify(bad)}`);
    }
    assert.equal(parseRetryAfterMs({ 'retry-after-ms': 'x', 'retry-after': 'y', 'x-ratelimit-reset': '4' }, NOW), 4000);
    assert.equal(parseRetryAfterMs({}, NOW), undefined);
    assert.equal(parseRetryAfterMs(undefined, NOW), undefined);
  });

  test('defaults to the real clock', () => {
    const ms = parseRetryAfterMs({ 'retry-after': new Date(Date.now() + 60_000).toUTCString() });
    assert.ok(ms !== undefined && ms > 55_000 && ms <= 60_000, String(ms));
  });
});

describe('header shapes', () => {
  const expected = { id: 'req-abc', wait: 1000 };

  test('fetch Headers, undici Headers, node:http records (any case, arrays), Maps and pair arrays', () => {
    const shapes = [
      new Headers({ 'X-Request-Id': 'req-abc', 'Retry-After': '1' }),
      new UndiciHeaders({ 'x-request-id': 'req-abc', 'retry-after': '1' }),
      { 'x-request-id': 'req-abc', 'retry-after': '1' },
      { 'X-Request-ID': ['req-abc', 'req-other'], 'Retry-After': ['1', '9'] },
      { 'x-request-id': 'req-abc', 'retry-after': 1, other: undefined },
      new Map([
        ['X-Request-Id', 'req-abc'],
        ['Retry-After', '1'],
      ]),
      [
        ['x-request-id', 'req-abc'],
        ['retry-after', '1'],
      ] as Array<[string, string]>,
    ];
    for (const headers of shapes) {
      assert.equal(extractRequestId(headers), expected.id);
      assert.equal(parseRetryAfterMs(headers, NOW), expected.wait);
    }
  });

  test('getHeader tolerates nothing and odd objects', () => {
    assert.equal(getHeader(undefined, 'x'), undefined);
    assert.equal(getHeader(null, 'x'), undefined);
    assert.equal(getHeader({}, 'x'), undefined);
    const hostile = {
      get ['retry-after']() {
        throw new Error('boom');
      },
    };
    assert.equal(getHeader(hostile as unknown as Record<string, string>, 'retry-after'), undefined);
  });
});

describe('extractRequestId', () => {
  test('x-request-id, then x-together-traceid, then cf-ray', () => {
    const all = { 'cf-ray': '8f1c2d3e4a5b6c7d-SJC', 'x-together-traceid': 'trace-1', 'x-request-id': 'req-1' };
    assert.equal(extractRequestId(all), 'req-1');
    assert.equal(extractRequestId({ 'cf-ray': '8f1c2d3e4a5b6c7d-SJC', 'x-together-traceid': 'trace-1' }), 'trace-1');
    assert.equal(extractRequestId({ 'cf-ray': '8f1c2d3e4a5b6c7d-SJC' }), '8f1c2d3e4a5b6c7d-SJC');
    assert.equal(extractRequestId({ 'x-request-id': '  ', 'cf-ray': 'ray' }), 'ray', 'a blank value is skipped');
    assert.equal(extractRequestId({}), undefined);
  });

  test('classify prefers the header id to the body id', () => {
    const body = { id: 'body-id', error: { message: 'boom' } };
    assert.equal(classify({ status: 500, body, headers: { 'x-together-traceid': 'trace-9' } }).requestId, 'trace-9');
    assert.equal(classify({ status: 500, body }).requestId, 'body-id');
  });
});
