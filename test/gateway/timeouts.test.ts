// Issue 15, failure 12: defaults that never hold a request forever. The gateway has a first-byte timeout and a
// deadline by default, and a request refused before its body is read (401, 429, 404) is answered at once with
// `connection: close`, its body never drained.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { DEFAULT_TIMEOUTS, resolveGatewayConfig } from '../../src/gateway/index.js';
import { pipelineOptions } from '../../src/gateway/default-pipeline.js';
import { pipelineSettings } from '../../src/gateway/generation.js';
import { call, chatBody, startTestGateway, until } from './helpers.js';
import type { PipelineRequest } from '../../src/gateway/pipeline.js';

/** Sends `head` and a first slice of a body that is never finished; resolves with what came back and when the socket closed. */
function unfinishedBody(port: number, head: string, timeoutMs = 4000): Promise<{ received: string; closedAfterMs: number }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const socket = connect(port, '127.0.0.1', () => socket.write(head + '{"model":"x","messages":[{"role":"user","content":"'));
    let received = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`the connection was held ${timeoutMs} ms; received: ${received.slice(0, 200)}`));
    }, timeoutMs);
    socket.on('data', (data) => (received += data.toString()));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ received, closedAfterMs: performance.now() - started });
    });
  });
}

describe('production defaults', () => {
  test('a first-byte timeout and a deadline by default', () => {
    const config = resolveGatewayConfig({ upstream: { apiKey: 'k' } }, {});
    assert.equal(config.firstByteTimeoutMs, DEFAULT_TIMEOUTS.firstByteTimeoutMs);
    assert.equal(DEFAULT_TIMEOUTS.firstByteTimeoutMs, 120_000);
    assert.equal(pipelineOptions(pipelineSettings(config)).deadlineMs, DEFAULT_TIMEOUTS.deadlineMs);
    assert.equal(DEFAULT_TIMEOUTS.deadlineMs, 900_000);
    const set = resolveGatewayConfig({ upstream: { apiKey: 'k' }, policies: { timeouts: { firstByteTimeoutMs: 5000, deadlineMs: 60_000 } } }, {});
    assert.equal(set.firstByteTimeoutMs, 5000);
    assert.equal(pipelineOptions(pipelineSettings(set)).deadlineMs, 60_000);
    assert.equal('firstByteTimeoutMs' in pipelineOptions(pipelineSettings(set)), false, 'the gateway enforces it, not the pipeline');
  });

  test('an answer that never starts: 504 after the first-byte timeout, and the upstream call is cancelled', async () => {
    let seen: PipelineRequest | undefined;
    const t = await startTestGateway({ policies: { timeouts: { firstByteTimeoutMs: 200 } } }, (request) => {
      seen = request;
      return new Promise(() => undefined); // an upstream that accepted and never answers
    });
    try {
      const started = performance.now();
      const reply = await call(t.gateway, '/v1/chat/completions', { body: chatBody() });
      const ms = performance.now() - started;
      assert.equal(reply.status, 504);
      assert.equal(reply.json.error.code, 'first_byte_timeout');
      assert.match(reply.json.error.message, /first-byte timeout of 0\.2 s/);
      assert.equal(reply.headers.get('x-tether-category'), 'timeout');
      assert.ok(ms >= 190 && ms < 1500, `answered after ${ms.toFixed(0)} ms`);
      assert.ok(await until(() => seen?.signal?.aborted === true), 'the pipeline request was not cancelled');
      assert.equal((await call(t.gateway, '/healthz')).json.inflight, 0);
    } finally {
      await t.gateway.close();
    }
  });

  test('an unauthenticated request is answered 401 with connection: close, its body never drained', async () => {
    // Default limits: a drained body would hold the connection until the 60 s request timeout.
    const t = await startTestGateway({ clients: [{ token: 'client-token-timeouts' }] });
    try {
      for (const auth of ['', 'Authorization: Bearer wrong-token-value\r\n']) {
        const head = `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n${auth}Content-Type: application/json\r\nContent-Length: 5000000\r\n\r\n`;
        const { received, closedAfterMs } = await unfinishedBody(t.gateway.port, head);
        assert.match(received, /^HTTP\/1.1 401 /);
        assert.match(received, /\r\nconnection: close\r\n/i);
        assert.ok(closedAfterMs < 1000, `connection held ${closedAfterMs.toFixed(0)} ms`);
      }
      assert.equal(t.factory.built[0]!.requests.length, 0);
    } finally {
      await t.gateway.close();
    }
  });

  test('a rate-limited client and an unknown path: answered without reading the body, connection closed', async () => {
    const t = await startTestGateway({ clients: [{ token: 'client-token-limited', requestsPerMinute: 1 }] });
    try {
      assert.equal((await call(t.gateway, '/v1/chat/completions', { token: 'client-token-limited', body: chatBody() })).status, 200);
      for (const [path, status] of [['/v1/chat/completions', 429], ['/nowhere', 404]] as const) {
        const head = `POST ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer client-token-limited\r\nContent-Length: 5000000\r\n\r\n`;
        const { received, closedAfterMs } = await unfinishedBody(t.gateway.port, head);
        assert.match(received, new RegExp(`^HTTP/1.1 ${status} `));
        assert.ok(closedAfterMs < 1000, `${path}: connection held ${closedAfterMs.toFixed(0)} ms`);
      }
    } finally {
      await t.gateway.close();
    }
  });
});
