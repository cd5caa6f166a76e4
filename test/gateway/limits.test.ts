// Node-level protections: body size, slow clients (header and whole-request timeouts), idle keep-alive
// connections, broken HTTP — every answer in the envelope, never a stack trace.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { call, chatBody, startTestGateway } from './helpers.js';
import type { TestGateway } from './helpers.js';

/** Opens a raw connection, writes `text`, and resolves with everything received until the server closes it. */
function rawExchange(port: number, text: string, timeoutMs = 5000): Promise<{ received: string; closedAfterMs: number }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const socket: Socket = connect(port, '127.0.0.1', () => socket.write(text));
    let received = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`the server kept the connection open for ${timeoutMs} ms; received: ${received}`));
    }, timeoutMs);
    socket.on('data', (data) => (received += data.toString()));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ received, closedAfterMs: performance.now() - started });
    });
  });
}

function bodyOf(raw: string): Record<string, any> { // eslint-disable-line @typescript-eslint/no-explicit-any
  return JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4));
}

describe('gateway limits', () => {
  let t: TestGateway;
  before(async () => {
    t = await startTestGateway({ limits: { maxBodyBytes: 2048, headersTimeoutMs: 300, requestTimeoutMs: 600, keepAliveTimeoutMs: 200 } });
  });
  after(() => t.gateway.close());

  test('a body over the limit (declared length) is 413, and the pipeline never sees it', async () => {
    const reply = await call(t.gateway, '/v1/chat/completions', { body: chatBody({ padding: 'x'.repeat(5000) }) });
    assert.equal(reply.status, 413);
    assert.equal(reply.json.error.code, 'request_too_large');
    assert.match(reply.json.error.message, /2048 bytes/);
    assert.equal(t.factory.built[0]!.requests.length, 0);
  });

  test('a chunked body that grows over the limit is 413 too', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: t.gateway.port, method: 'POST', path: '/v1/chat/completions', headers: { 'transfer-encoding': 'chunked' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.write('{"model":"x","pad":"');
      req.write('y'.repeat(3000));
      req.end('"}');
    });
    assert.equal(status, 413);
  });

  test('a client that never finishes its headers gets 408 in the envelope and is disconnected', async () => {
    const { received, closedAfterMs } = await rawExchange(t.gateway.port, 'POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n');
    assert.match(received, /^HTTP\/1.1 408 /);
    assert.equal(bodyOf(received).error.code, 'request_timeout');
    assert.ok(closedAfterMs >= 250 && closedAfterMs < 2000, `closed after ${closedAfterMs.toFixed(0)} ms`);
  });

  test('a client that sends its body too slowly is cut off after the request timeout', async () => {
    const { received, closedAfterMs } = await rawExchange(
      t.gateway.port,
      'POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"mod',
    );
    assert.ok(closedAfterMs >= 500 && closedAfterMs < 2500, `closed after ${closedAfterMs.toFixed(0)} ms`);
    if (received !== '') assert.match(received, /^HTTP\/1.1 408 /);
    assert.equal(t.factory.built[0]!.requests.length, 0);
  });

  test('an idle keep-alive connection is closed after keepAliveTimeoutMs', async () => {
    const { received, closedAfterMs } = await rawExchange(t.gateway.port, 'GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n');
    assert.match(received, /^HTTP\/1.1 200 /);
    assert.ok(closedAfterMs >= 150 && closedAfterMs < 2000, `closed after ${closedAfterMs.toFixed(0)} ms`);
  });

  test('garbage instead of HTTP is a 400 envelope', async () => {
    const { received } = await rawExchange(t.gateway.port, 'NOT HTTP AT ALL\r\n\r\n');
    assert.match(received, /^HTTP\/1.1 400 /);
    assert.equal(bodyOf(received).error.code, 'bad_http_request');
  });
});
