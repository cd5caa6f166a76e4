// The dashboard's arithmetic: quantiles from histogram buckets, rates between samples, the sample ring buffer,
// and the session cookie.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { History, seriesOf, windowRates } from '../../src/gateway/ui/history.js';
import type { Sample } from '../../src/gateway/ui/history.js';
import { bucketDelta, quantile, readMetrics } from '../../src/gateway/ui/readings.js';
import type { MetricFamily } from '../../src/gateway/ui/readings.js';
import { parseCookies, UiSessions, UI_COOKIE } from '../../src/gateway/ui/auth.js';

const BOUNDS = [0.1, 0.5, 1, Infinity];

describe('quantile', () => {
  test('interpolates inside the bucket the rank falls in, like histogram_quantile', () => {
    // 10 observations: 4 under 0.1 s, 4 in (0.1, 0.5], 2 in (0.5, 1].
    const buckets = { bounds: BOUNDS, counts: [4, 8, 10, 10] };
    assert.equal(quantile(buckets, 0.2), 0.05);
    assert.equal(quantile(buckets, 0.6), 0.1 + 0.4 * (2 / 4));
    assert.equal(quantile(buckets, 0.9), 0.5 + 0.5 * (1 / 2));
  });

  test('an empty histogram has no quantile; one in +Inf answers the largest finite bound', () => {
    assert.equal(quantile({ bounds: BOUNDS, counts: [0, 0, 0, 0] }, 0.5), undefined);
    assert.equal(quantile({ bounds: BOUNDS, counts: [0, 0, 0, 3] }, 0.99), 1);
  });

  test('bucketDelta subtracts an earlier reading bucket by bucket', () => {
    assert.deepEqual(bucketDelta({ bounds: BOUNDS, counts: [5, 9, 12, 13] }, { bounds: BOUNDS, counts: [4, 8, 10, 10] }).counts, [1, 1, 2, 3]);
  });
});

function sample(t: number, requests: number, errors: number, counts: number[]): Sample {
  return { t, requests, errors, latency: { bounds: BOUNDS, counts } };
}

describe('rates between samples', () => {
  const samples = [sample(0, 0, 0, [0, 0, 0, 0]), sample(1000, 10, 1, [10, 10, 10, 10]), sample(2000, 10, 1, [10, 10, 10, 10]), sample(4000, 30, 11, [10, 30, 30, 30])];

  test('each point covers the interval before it; an interval without requests has no error rate or latency', () => {
    const series = seriesOf(samples);
    assert.equal(series.length, 3);
    assert.deepEqual(series[0], { t: 1000, rps: 10, errorRate: 0.1, p50: 0.05, p95: 0.095, p99: 0.099 });
    assert.deepEqual(series[1], { t: 2000, rps: 0, errorRate: null, p50: null, p95: null, p99: null });
    assert.equal(series[2]?.rps, 10);
    assert.equal(series[2]?.errorRate, 0.5);
    assert.ok(Math.abs((series[2]?.p50 ?? 0) - 0.3) < 1e-12);
  });

  test('the window starts at the oldest sample inside it', () => {
    const rates = windowRates(samples, 3000);
    assert.equal(rates?.seconds, 3);
    assert.equal(rates?.rps, 20 / 3);
    assert.equal(windowRates(samples.slice(0, 1), 3000), undefined, 'one sample is no rate');
  });

  test('History keeps one sample per spacing and drops what is older than it keeps', () => {
    const history = new History(900, 5000);
    history.record(sample(0, 0, 0, [0, 0, 0, 0]));
    assert.equal(history.record(sample(500, 1, 0, [1, 1, 1, 1])).length, 1, 'too soon after the last one');
    history.record(sample(1000, 2, 0, [2, 2, 2, 2]));
    const kept = history.record(sample(7000, 3, 0, [3, 3, 3, 3]));
    assert.deepEqual(
      kept.map((s) => s.t),
      [7000],
    );
  });
});

describe('readMetrics', () => {
  const metrics: MetricFamily[] = [
    {
      name: 'tether_gateway_requests_total',
      values: [
        { value: 7, labels: { route: '/v1/chat/completions', status: 200, category: 'none' } },
        { value: 2, labels: { route: '/v1/chat/completions', status: 429, category: 'rate_limit' } },
        { value: 1, labels: { route: '/v1/embeddings', status: 404, category: 'not_found' } },
        { value: 40, labels: { route: '/ui/data.json', status: 200, category: 'none' } },
        { value: 3, labels: { route: '/ui/data.json', status: 401, category: 'auth' } },
      ],
    },
    {
      name: 'tether_gateway_request_duration_seconds',
      values: [
        { value: 5, labels: { route: '/v1/chat/completions', stream: 'false', le: 0.1 }, metricName: 'tether_gateway_request_duration_seconds_bucket' },
        { value: 9, labels: { route: '/v1/chat/completions', stream: 'false', le: '+Inf' }, metricName: 'tether_gateway_request_duration_seconds_bucket' },
        { value: 1, labels: { route: '/v1/embeddings', stream: 'false', le: 0.1 }, metricName: 'tether_gateway_request_duration_seconds_bucket' },
        { value: 1, labels: { route: '/v1/embeddings', stream: 'false', le: '+Inf' }, metricName: 'tether_gateway_request_duration_seconds_bucket' },
        { value: 40, labels: { route: '/ui/data.json', stream: 'false', le: '+Inf' }, metricName: 'tether_gateway_request_duration_seconds_bucket' },
        { value: 1.5, labels: { route: '/v1/embeddings', stream: 'false' }, metricName: 'tether_gateway_request_duration_seconds_sum' },
      ],
    },
    { name: 'tether_upstream_fallbacks_total', values: [{ value: 4, labels: { from: 'a/x', to: 'a/y', why: 'overloaded' } }] },
    { name: 'tether_breaker_state', values: [{ value: 1, labels: { model: 'a/x', state: 'open' } }, { value: 0, labels: { model: 'a/x', state: 'closed' } }] },
  ];

  test('headline counts are the API routes; the route table has every route', () => {
    const r = readMetrics(metrics);
    assert.equal(r.requests, 10);
    assert.equal(r.ok, 7);
    assert.equal(r.errors, 3);
    assert.deepEqual(r.byCategory, [
      { category: 'rate_limit', count: 2 },
      { category: 'not_found', count: 1 },
    ]);
    assert.deepEqual(r.byRoute[0], { route: '/ui/data.json', requests: 43, errors: 3 });
    assert.deepEqual(r.latency, { bounds: [0.1, Infinity], counts: [6, 10] });
    assert.equal(r.fallbacksTotal, 4);
    assert.deepEqual(r.breakerGauge, { 'a/x': 'open' });
  });
});

describe('dashboard sessions', () => {
  const clients = [{ name: 'ops', token: 'ops-token-123456' }];

  test('a cookie names the client, is valid until it expires, and never holds the token', () => {
    let now = 1_000_000;
    const sessions = new UiSessions(Buffer.alloc(32, 1), 60_000, () => now);
    const cookie = sessions.cookieFor(clients[0]!);
    assert.match(cookie, /^tether_ui=[^;]+; Path=\/ui; HttpOnly; SameSite=Strict; Max-Age=60$/);
    assert.doesNotMatch(cookie, /ops-token-123456/);
    const value = parseCookies(cookie.split(';')[0]).get(UI_COOKIE)!;
    assert.deepEqual(sessions.check({ cookie: `other=1; ${UI_COOKIE}=${value}` }, clients), { ok: true, client: 'ops', via: 'cookie' });
    now += 61_000;
    assert.deepEqual(sessions.check({ cookie: `${UI_COOKIE}=${value}` }, clients), { ok: false, reason: 'expired_session' });
  });

  test('a cookie stops working when its client token changes, and a forged one never works', () => {
    const sessions = new UiSessions();
    const value = sessions.issue(clients[0]!);
    assert.equal(sessions.check({ cookie: `${UI_COOKIE}=${value}` }, [{ name: 'ops', token: 'rotated-token-999' }]).ok, false);
    const [name, expires] = value.split('.');
    assert.equal(sessions.check({ cookie: `${UI_COOKIE}=${name}.${expires}.AAAA` }, clients).ok, false);
    assert.equal(new UiSessions().check({ cookie: `${UI_COOKIE}=${value}` }, clients).ok, false, 'another gateway (or a restart) has another secret');
  });

  test('Bearer works for scripts; no clients configured is open', () => {
    const sessions = new UiSessions();
    assert.deepEqual(sessions.check({ authorization: 'Bearer ops-token-123456' }, clients), { ok: true, client: 'ops', via: 'bearer' });
    assert.deepEqual(sessions.check({ authorization: 'Bearer nope-nope-nope' }, clients), { ok: false, reason: 'unknown_token' });
    assert.deepEqual(sessions.check({}, clients), { ok: false, reason: 'no_credentials' });
    assert.deepEqual(sessions.check({}, []), { ok: true, client: undefined, via: 'open' });
  });
});
