// GET /ui and /ui/data.json on a gateway with a fake pipeline: the data endpoint's numbers equal what /metrics
// reports after known traffic, `tether run` status files show up, and the gateway's client tokens guard both
// (token → cookie → page; Bearer for scripts; nothing secret in the page or its data).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGateway } from '../../src/gateway/index.js';
import type { RunningGateway } from '../../src/gateway/index.js';
import { runsDir, writeRunStatus } from '../../src/batch/index.js';
import { fakeFactory, okJson, togetherError } from './fake-pipeline.js';
import type { FakePipeline } from './fake-pipeline.js';
import { call, chatBody, memoryLogger, UPSTREAM_KEY } from './helpers.js';

const TOKEN = 'ui-client-token-0001';
const OTHER_TOKEN = 'ui-client-token-0002';

/** `name{labels} value` lines of the Prometheus text format, summed over the lines `match` accepts. */
function promSum(text: string, name: string, match: (labels: Record<string, string>) => boolean = () => true): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    const m = /^([a-z_]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const labels: Record<string, string> = {};
    for (const pair of (m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)) labels[pair[1] as string] = pair[2] as string;
    if (match(labels)) sum += Number(m[3]);
  }
  return sum;
}

const api = (l: Record<string, string>): boolean => (l.route ?? '').startsWith('/v1/');

describe('the dashboard data endpoint', () => {
  let gateway: RunningGateway;
  let home: string;
  let pipeline: FakePipeline;

  before(async () => {
    home = mkdtempSync(join(tmpdir(), 'tether-ui-test-'));
    const factory = fakeFactory((request, p) => {
      const model = String((request.body as { model?: unknown }).model);
      if (model === 'busy/model') throw togetherError('rate_limit', { status: 429 });
      if (model === 'gone/model') throw togetherError('not_found', { status: 404 });
      if (model === 'fallback/model') p.events.emit('fallback', { from: 'primary/model', to: 'fallback/model', why: 'overloaded' });
      return okJson(request, { costUsd: 0.0025 });
    });
    gateway = await createGateway(
      { port: 0, upstream: { apiKey: UPSTREAM_KEY, baseUrl: 'http://127.0.0.1:9/v1' }, clients: [{ name: 'ops', token: TOKEN }, { name: 'app', token: OTHER_TOKEN }] },
      { pipelineFactory: factory, logger: memoryLogger().logger, env: { TETHER_HOME: home } },
    );
    pipeline = factory.built[0]!;
  });

  after(async () => {
    await gateway?.close();
    rmSync(home, { recursive: true, force: true });
  });

  test('after known traffic, every number equals what /metrics reports', async () => {
    for (let i = 0; i < 5; i++) assert.equal((await call(gateway, '/v1/chat/completions', { token: TOKEN, body: chatBody() })).status, 200);
    for (let i = 0; i < 2; i++) assert.equal((await call(gateway, '/v1/chat/completions', { token: TOKEN, body: chatBody({ model: 'fallback/model' }) })).status, 200);
    for (let i = 0; i < 3; i++) assert.equal((await call(gateway, '/v1/chat/completions', { token: TOKEN, body: chatBody({ model: 'busy/model' }) })).status, 429);
    assert.equal((await call(gateway, '/v1/embeddings', { token: TOKEN, body: { model: 'gone/model', input: 'x' } })).status, 404);
    assert.equal((await call(gateway, '/v1/chat/completions', { token: TOKEN, rawBody: '{not json' })).status, 400);
    assert.equal((await call(gateway, '/v1/chat/completions', { token: 'not-a-client-token', body: chatBody() })).status, 401);
    pipeline.events.emit('pacing_wait', { key: 'fp-abc123', waitedMs: 250 });
    pipeline.events.emit('breaker', { model: 'busy/model', from: 'closed', to: 'open' });

    const data = await call(gateway, '/ui/data.json', { token: TOKEN });
    assert.equal(data.status, 200);
    assert.equal(data.headers.get('cache-control'), 'no-store');
    const metrics = (await call(gateway, '/metrics')).text;
    const d = data.json;

    assert.equal(d.totals.requests, 13);
    assert.equal(d.totals.requests, promSum(metrics, 'tether_gateway_requests_total', api));
    assert.equal(d.totals.ok, promSum(metrics, 'tether_gateway_requests_total', (l) => api(l) && l.category === 'none'));
    assert.equal(d.totals.errors, 6);
    for (const category of ['rate_limit', 'not_found', 'validation', 'auth']) {
      const row = d.totals.byCategory.find((c: { category: string }) => c.category === category);
      assert.equal(row?.count, promSum(metrics, 'tether_gateway_requests_total', (l) => api(l) && l.category === category), category);
    }
    assert.deepEqual(
      d.totals.byCategory.map((c: { category: string; count: number }) => [c.category, c.count]),
      [['rate_limit', 3], ['not_found', 1], ['validation', 1], ['auth', 1]],
    );
    // The route table counts every route, this dashboard's own requests included, like /metrics does.
    for (const route of d.totals.byRoute as Array<{ route: string; requests: number }>) {
      assert.equal(route.requests, promSum(metrics, 'tether_gateway_requests_total', (l) => l.route === route.route), route.route);
    }
    assert.equal(d.totals.fallbacksTotal, 2);
    assert.equal(d.totals.fallbacksTotal, promSum(metrics, 'tether_upstream_fallbacks_total'));
    assert.deepEqual(d.totals.fallbacks, [{ from: 'primary/model', to: 'fallback/model', why: 'overloaded', count: 2 }]);
    assert.equal(d.totals.promptTokens, promSum(metrics, 'tether_tokens_total', (l) => l.kind === 'prompt'));
    assert.equal(d.totals.completionTokens, promSum(metrics, 'tether_tokens_total', (l) => l.kind === 'completion'));
    assert.equal(d.totals.promptTokens, 7 * 11);
    assert.ok(Math.abs(d.totals.costUsd - promSum(metrics, 'tether_estimated_cost_usd_total')) < 1e-12);
    assert.ok(Math.abs(d.totals.costUsd - 7 * 0.0025) < 1e-12);
    assert.equal(d.latencySinceStart.count, promSum(metrics, 'tether_gateway_request_duration_seconds_count', api));
    // Pacing waits come from /metrics; breakers and pacing headroom from pipeline.state().
    const waits = d.pacing.find((p: { key: string }) => p.key === 'fp-abc123');
    assert.equal(waits?.waits, promSum(metrics, 'tether_pacing_waits_total', (l) => l.key === 'fp-abc123'));
    assert.equal(waits?.waitSeconds, 0.25);
    assert.deepEqual(d.breakers, pipeline.state().breakers);
    assert.equal(d.config, 1);
  });

  test('the series fills as the page polls', async () => {
    const first = await call(gateway, '/ui/data.json', { token: TOKEN });
    await new Promise((resolve) => setTimeout(resolve, 950));
    await call(gateway, '/v1/chat/completions', { token: TOKEN, body: chatBody() });
    const second = await call(gateway, '/ui/data.json', { token: TOKEN });
    assert.ok(second.json.series.length > first.json.series.length, 'a new point after a second');
    const point = second.json.series.at(-1);
    assert.ok(point.rps > 0, 'the request made between the two polls is in the last point');
    assert.equal(point.errorRate, 0);
    assert.ok(second.json.now.rps > 0);
  });

  test('tether run jobs come from the status files under $TETHER_HOME/runs', async () => {
    const updatedAt = new Date().toISOString();
    await writeRunStatus(
      { jobId: 'job-a', input: 'in.jsonl', output: 'out.jsonl', done: 40, left: 60, failed: 2, ratePerSec: 4, etaSec: 15, spendUsd: 0.12, state: 'running', updatedAt },
      runsDir({ TETHER_HOME: home }),
    );
    const d = (await call(gateway, '/ui/data.json', { token: TOKEN })).json;
    assert.deepEqual(d.runs, [{ jobId: 'job-a', input: 'in.jsonl', output: 'out.jsonl', done: 40, left: 60, failed: 2, ratePerSec: 4, etaSec: 15, spendUsd: 0.12, state: 'running', updatedAt, stale: false }]);
  });

  test('the page and its data never carry the upstream key or a client token', async () => {
    const page = await call(gateway, '/ui', { token: TOKEN });
    const data = await call(gateway, '/ui/data.json', { token: TOKEN });
    for (const text of [page.text, data.text]) {
      for (const secret of [UPSTREAM_KEY, TOKEN, OTHER_TOKEN]) assert.ok(!text.includes(secret), 'a secret leaked into the dashboard');
    }
  });
});

describe('dashboard auth', () => {
  let gateway: RunningGateway;

  before(async () => {
    gateway = await createGateway(
      { port: 0, upstream: { apiKey: UPSTREAM_KEY, baseUrl: 'http://127.0.0.1:9/v1' }, clients: [{ name: 'ops', token: TOKEN }] },
      { pipelineFactory: fakeFactory(), logger: memoryLogger().logger, env: {} },
    );
  });
  after(() => gateway?.close());

  test('without credentials: a sign-in page for /ui, the 401 envelope for the data', async () => {
    const page = await call(gateway, '/ui');
    assert.equal(page.status, 401);
    assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(page.text, /\/ui\?token=YOUR_CLIENT_TOKEN/);
    const data = await call(gateway, '/ui/data.json');
    assert.equal(data.status, 401);
    assert.equal(data.json.error.code, 'invalid_client_token');
  });

  test('?token= trades a good token for an HttpOnly SameSite=Strict cookie and a redirect without the token', async () => {
    const redirect = await fetch(`${gateway.url}/ui?token=${TOKEN}`, { redirect: 'manual' });
    assert.equal(redirect.status, 303);
    assert.equal(redirect.headers.get('location'), '/ui');
    const setCookie = redirect.headers.get('set-cookie') ?? '';
    assert.match(setCookie, /^tether_ui=[^;]+; Path=\/ui; HttpOnly; SameSite=Strict; Max-Age=\d+$/);
    assert.ok(!setCookie.includes(TOKEN), 'the cookie is not the token');
    const cookie = setCookie.split(';')[0]!;

    const page = await call(gateway, '/ui', { headers: { cookie } });
    assert.equal(page.status, 200);
    assert.match(page.text, /<title>tether gateway<\/title>/);
    const csp = page.headers.get('content-security-policy') ?? '';
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'sha256-[A-Za-z0-9+/=]+'/);
    assert.equal(page.headers.get('x-frame-options'), 'DENY');
    assert.ok(Buffer.byteLength(page.text) < 60_000, `the page stays light (${Buffer.byteLength(page.text)} bytes)`);
    assert.ok(!/https?:\/\/(?!www\.w3\.org\/2000\/svg)/.test(page.text), 'the page loads nothing from elsewhere');

    const data = await call(gateway, '/ui/data.json', { headers: { cookie } });
    assert.equal(data.status, 200);
    assert.equal(typeof data.json.totals.requests, 'number');
  });

  test('a wrong ?token= gets the sign-in page and no cookie', async () => {
    const response = await fetch(`${gateway.url}/ui?token=wrong-token-xyz`, { redirect: 'manual' });
    assert.equal(response.status, 401);
    assert.equal(response.headers.get('set-cookie'), null);
    const text = await response.text();
    assert.match(text, /not one of this gateway/);
    assert.ok(!text.includes('wrong-token-xyz'), 'the page does not echo the token');
  });

  test('a cookie stops working once a reload removes its client', async () => {
    const redirect = await fetch(`${gateway.url}/ui?token=${TOKEN}`, { redirect: 'manual' });
    const cookie = (redirect.headers.get('set-cookie') ?? '').split(';')[0]!;
    assert.equal((await call(gateway, '/ui/data.json', { headers: { cookie } })).status, 200);
    await gateway.reload({ port: 0, upstream: { apiKey: UPSTREAM_KEY, baseUrl: 'http://127.0.0.1:9/v1' }, clients: [{ name: 'ops', token: 'a-new-token-for-ops' }] });
    assert.equal((await call(gateway, '/ui/data.json', { headers: { cookie } })).status, 401);
    assert.equal((await call(gateway, '/ui', { headers: { cookie } })).status, 401);
    assert.equal((await call(gateway, '/ui/data.json', { token: 'a-new-token-for-ops' })).status, 200);
  });

  test('without client tokens (loopback only) the dashboard is open', async () => {
    const open = await createGateway({ port: 0, upstream: { apiKey: UPSTREAM_KEY, baseUrl: 'http://127.0.0.1:9/v1' } }, { pipelineFactory: fakeFactory(), logger: memoryLogger().logger, env: {} });
    try {
      assert.equal((await call(open, '/ui')).status, 200);
      assert.equal((await call(open, '/ui/data.json')).status, 200);
    } finally {
      await open.close();
    }
  });
});
