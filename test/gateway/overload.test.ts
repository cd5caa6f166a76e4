// Overload protection: past an event-loop delay, heap or in-flight threshold, new requests get a 503 with
// retry-after before their body is read; /healthz says why; the metrics count what was shed. The event loop is
// saturated on purpose here (bounded busy loops of a few hundred ms).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { resolveGatewayConfig } from '../../src/gateway/index.js';
import { DEFAULT_OVERLOAD, OverloadMonitor } from '../../src/gateway/overload.js';
import { okJson } from './fake-pipeline.js';
import type { Responder } from './fake-pipeline.js';
import { call, chatBody, sleep, startTestGateway, until } from './helpers.js';
import type { TestGateway } from './helpers.js';

/** Keeps the event loop busy for `ms` (the saturation under test). */
function busy(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // spin
  }
}

function shedCount(metricsText: string, reason: string): number {
  const match = new RegExp(`tether_gateway_shed_requests_total\\{reason="${reason}"\\} (\\d+)`).exec(metricsText);
  return match ? Number(match[1]) : NaN;
}

/** A request whose body never finishes: what comes back, and whether the server closed the connection. */
function unfinishedRequest(port: number, timeoutMs = 3000): Promise<{ received: string; closed: boolean }> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () =>
      socket.write('POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"model":'),
    );
    let received = '';
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ received, closed: false });
    }, timeoutMs);
    socket.on('data', (data) => (received += data.toString()));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ received, closed: true });
    });
  });
}

/** Whether requests are served again within 1.5 s (on a loaded machine a late sample can linger a moment). */
async function servedAgain(t: TestGateway): Promise<boolean> {
  const end = performance.now() + 1500;
  while (performance.now() < end) {
    await sleep(100);
    if ((await call(t.gateway, '/v1/chat/completions', { body: chatBody() })).status === 200) return true;
  }
  return false;
}

describe('overload protection', () => {
  test('documented defaults, and `overload: false` turns shedding off', () => {
    assert.deepEqual(resolveGatewayConfig({ upstream: { apiKey: 'k' } }, {}).overload, { ...DEFAULT_OVERLOAD });
    assert.equal(resolveGatewayConfig({ upstream: { apiKey: 'k' }, overload: false }, {}).overload, false);
    assert.equal((resolveGatewayConfig({ upstream: { apiKey: 'k' }, overload: { maxInFlight: 5 } }, {}).overload as { maxInFlight: number }).maxInFlight, 5);
    assert.throws(() => resolveGatewayConfig({ upstream: { apiKey: 'k' }, overload: { maxHeapUsedRatio: 2 } }, {}), /`overload\.maxHeapUsedRatio`/);
  });

  test('in flight over the threshold: 503 + retry-after before the body is read; /healthz and metrics say why', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const responder: Responder = async (request) => {
      await held;
      return okJson(request);
    };
    const t = await startTestGateway({ overload: { maxInFlight: 2, retryAfterMs: 2000 } }, responder);
    try {
      const first = call(t.gateway, '/v1/chat/completions', { body: chatBody() });
      const second = call(t.gateway, '/v1/chat/completions', { body: chatBody() });
      assert.ok(await until(() => t.factory.built[0]!.requests.length === 2));

      const shed = await call(t.gateway, '/v1/chat/completions', { body: chatBody() });
      assert.equal(shed.status, 503);
      assert.equal(shed.json.error.code, 'gateway_overloaded');
      assert.equal(shed.json.error.type, 'server_error');
      assert.match(shed.json.error.message, /handling as many requests as it allows/);
      assert.equal(shed.headers.get('retry-after'), '2');
      assert.equal(shed.headers.get('x-tether-category'), 'overloaded');

      // Refused before the body: an unfinished body gets its answer and the connection closes.
      const raw = await unfinishedRequest(t.gateway.port);
      assert.match(raw.received, /^HTTP\/1.1 503 /);
      assert.match(raw.received, /\r\nconnection: close\r\n/i);
      assert.equal(raw.closed, true);
      assert.equal(t.factory.built[0]!.requests.length, 2, 'a shed request never reached the pipeline');

      const health = await call(t.gateway, '/healthz');
      assert.equal(health.status, 503);
      assert.equal(health.json.status, 'overloaded');
      assert.deepEqual(health.json.overload.reasons, ['in_flight']);
      assert.equal(health.json.overload.thresholds.maxInFlight, 2);
      assert.equal(shedCount((await call(t.gateway, '/metrics')).text, 'in_flight'), 2);

      release();
      assert.equal((await first).status, 200);
      assert.equal((await second).status, 200);
      assert.equal((await call(t.gateway, '/v1/chat/completions', { body: chatBody() })).status, 200);
      const after = await call(t.gateway, '/healthz');
      assert.equal(after.status, 200);
      assert.equal(after.json.status, 'ok');
      assert.equal(after.json.overload.overloaded, false);
    } finally {
      release();
      await t.gateway.close();
    }
  });

  test('a saturated event loop: requests arriving behind a stall are shed, then served once it passes', async () => {
    const t = await startTestGateway({ overload: { maxEventLoopDelayMs: 150, sampleIntervalMs: 20 } });
    try {
      assert.equal((await call(t.gateway, '/v1/chat/completions', { body: chatBody() })).status, 200);
      busy(450); // the stall: every timer and socket waits behind it
      const shed = await call(t.gateway, '/v1/chat/completions', { body: chatBody() });
      assert.equal(shed.status, 503);
      assert.match(shed.json.error.message, /event loop is running late/);
      const health = await call(t.gateway, '/healthz');
      assert.equal(health.status, 503);
      assert.ok(health.json.overload.reasons.includes('event_loop_delay'));
      assert.ok(health.json.overload.eventLoopDelayMs >= 150, `delay ${health.json.overload.eventLoopDelayMs}`);
      const scraped = (await call(t.gateway, '/metrics')).text;
      assert.ok(shedCount(scraped, 'event_loop_delay') >= 1);
      const delay = Number(/^tether_gateway_event_loop_delay_seconds (\S+)$/m.exec(scraped)?.[1]);
      assert.ok(Number.isFinite(delay) && delay >= 0, `delay gauge ${delay}`); // by now the stall may have left the window
      assert.ok(Number(/^tether_gateway_heap_used_ratio (\S+)$/m.exec(scraped)?.[1]) > 0);

      // Once the stall has left the window of recent samples (5 × 20 ms), requests are served again.
      assert.ok(await servedAgain(t), 'still shedding 1.5 s after the stall');
      assert.equal((await call(t.gateway, '/healthz')).status, 200);
    } finally {
      await t.gateway.close();
    }
  });

  test('sustained saturation (~1 s of 120 ms stalls every 150 ms): most requests are shed, none is left hanging', async () => {
    const t = await startTestGateway({ overload: { maxEventLoopDelayMs: 60, sampleIntervalMs: 20 } });
    const stalls = setInterval(() => busy(120), 150);
    busy(120); // saturated from the start
    try {
      const statuses: number[] = [];
      const end = performance.now() + 1000;
      while (performance.now() < end) statuses.push((await call(t.gateway, '/v1/chat/completions', { body: chatBody() })).status);
      clearInterval(stalls);
      assert.ok(statuses.every((s) => s === 200 || s === 503), String(statuses));
      const shed = statuses.filter((s) => s === 503).length;
      assert.ok(shed >= statuses.length / 2, `${shed} of ${statuses.length} shed`);
      assert.equal(shedCount((await call(t.gateway, '/metrics')).text, 'event_loop_delay'), shed);
      assert.ok(await servedAgain(t), 'still shedding 1.5 s after the stalls');
    } finally {
      clearInterval(stalls);
      await t.gateway.close();
    }
  });

  test('heap over the threshold sheds; /healthz, /metrics and /v1/models vs. inference', async () => {
    const t = await startTestGateway({ overload: { maxHeapUsedRatio: 0.0001 } });
    try {
      assert.equal((await call(t.gateway, '/v1/chat/completions', { body: chatBody() })).status, 503);
      assert.equal((await call(t.gateway, '/v1/models')).status, 503);
      const health = await call(t.gateway, '/healthz');
      assert.deepEqual(health.json.overload.reasons, ['heap']);
      assert.equal((await call(t.gateway, '/metrics')).status, 200, '/metrics stays up');
      assert.equal(shedCount((await call(t.gateway, '/metrics')).text, 'heap'), 2);
      // A reload that turns shedding off applies at once.
      await t.gateway.reload({ port: 0, upstream: { apiKey: 'k', baseUrl: 'http://127.0.0.1:9/v1' }, overload: false });
      assert.equal((await call(t.gateway, '/v1/chat/completions', { body: chatBody() })).status, 200);
      assert.equal((await call(t.gateway, '/healthz')).json.overload, null);
    } finally {
      await t.gateway.close();
    }
  });

  test('the monitor alone: an overdue sampler counts as delay before any sample says so', () => {
    const monitor = new OverloadMonitor({ ...DEFAULT_OVERLOAD, maxEventLoopDelayMs: 50, sampleIntervalMs: 20 }, () => 0.1);
    monitor.start();
    try {
      const now = performance.now();
      assert.equal(monitor.shedReason(0, now), undefined);
      assert.equal(monitor.shedReason(0, now + 500), 'event_loop_delay');
      assert.equal(monitor.shedReason(DEFAULT_OVERLOAD.maxInFlight, now), 'in_flight');
      assert.deepEqual(monitor.status(0, now + 500).reasons, ['event_loop_delay']);
    } finally {
      monitor.stop();
    }
  });
});
