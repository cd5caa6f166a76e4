// Pass-through of unmodelled /v1 paths, against a recording upstream: what goes up (method, path, query, headers
// minus hop-by-hop and the client's auth, the upstream key instead, the gateway's request id) and what comes back
// (status, headers, body; keys scrubbed from JSON answers; Together's request id kept aside).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { upstreamPath } from '../../src/gateway/passthrough.js';
import { UPSTREAM_KEY, startTestGateway } from './helpers.js';
import type { TestGateway } from './helpers.js';

interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

describe('pass-through', () => {
  let upstream: Server;
  let t: TestGateway;
  const seen: Seen[] = [];

  before(async () => {
    upstream = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString() });
        if (req.url?.startsWith('/v1/echo-key')) {
          res.writeHead(200, { 'content-type': 'application/json', 'x-request-id': 'together-id-1', 'x-ratelimit-remaining': '7' });
          res.end(JSON.stringify({ echoed: req.headers.authorization }));
          return;
        }
        if (req.url?.startsWith('/v1/text-key')) {
          // A file's text content that repeats the key, the key cut across two writes.
          const key = String(req.headers.authorization).slice('Bearer '.length);
          res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
          res.write(`line one\n${'a'.repeat(10_000)}\nkey=${key.slice(0, 9)}`);
          setTimeout(() => res.end(`${key.slice(9)}\nlast line\n`), 20);
          return;
        }
        if (req.url?.startsWith('/v1/html-error')) {
          res.writeHead(502, { 'content-type': 'text/html' });
          res.end(`<html><body>upstream said ${req.headers.authorization}</body></html>`);
          return;
        }
        if (req.url?.startsWith('/v1/bytes')) {
          res.writeHead(200, { 'content-type': 'application/octet-stream', 'x-request-id': 'together-id-2' });
          res.end(Buffer.from([0, 1, 2, 255]));
          return;
        }
        res.writeHead(409, { 'content-type': 'application/json', 'x-request-id': 'together-id-3' });
        res.end('{"id":"together-id-3","error":{"message":"Conflict","type":"invalid_request_error","param":null,"code":null}}');
      });
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    const port = (upstream.address() as AddressInfo).port;
    t = await startTestGateway({
      upstream: { apiKey: UPSTREAM_KEY, baseUrl: `http://127.0.0.1:${port}/v1` },
      clients: [{ token: 'client-token-app' }],
    });
  });
  after(async () => {
    await t.gateway.close();
    await new Promise((resolve) => upstream.close(resolve));
  });

  test('upstreamPath keeps everything after /v1, query included', () => {
    assert.equal(upstreamPath('/v1/fine-tunes?limit=2&after=x'), '/fine-tunes?limit=2&after=x');
    assert.equal(upstreamPath('/v1/files/file-1/content'), '/files/file-1/content');
    assert.equal(upstreamPath('/v1/a/v1/b'), '/a/v1/b');
  });

  test('method, path, query and body go up; the client token, hop-by-hop headers and compression do not', async () => {
    const response = await fetch(`${t.gateway.url}/v1/something/deep?x=1&y=%2F`, {
      method: 'PATCH',
      headers: {
        authorization: 'Bearer client-token-app',
        'content-type': 'application/json',
        'x-custom': 'kept',
        'accept-encoding': 'gzip',
        'x-request-id': 'caller-id-1',
      },
      body: '{"a":1}',
    });
    assert.equal(response.status, 409);
    const last = seen.at(-1)!;
    assert.equal(last.method, 'PATCH');
    assert.equal(last.url, '/v1/something/deep?x=1&y=%2F');
    assert.equal(last.body, '{"a":1}');
    assert.equal(last.headers.authorization, `Bearer ${UPSTREAM_KEY}`);
    assert.equal(last.headers['x-custom'], 'kept');
    assert.equal(last.headers['content-type'], 'application/json');
    assert.notEqual(last.headers['accept-encoding'], 'gzip');
    assert.equal(last.headers['x-request-id'], 'caller-id-1', 'the gateway request id (the caller\'s own, when plain)');
    // Together's error body unchanged, tether's reading in headers.
    assert.equal(await response.text(), '{"id":"together-id-3","error":{"message":"Conflict","type":"invalid_request_error","param":null,"code":null}}');
    assert.equal(response.headers.get('x-request-id'), 'caller-id-1');
    assert.equal(response.headers.get('x-together-request-id'), 'together-id-3');
    assert.ok(response.headers.get('x-tether-category'));
  });

  test('a JSON answer that repeats the upstream key is scrubbed; rate-limit headers are kept', async () => {
    const response = await fetch(`${t.gateway.url}/v1/echo-key`, { headers: { authorization: 'Bearer client-token-app' } });
    const text = await response.text();
    assert.equal(response.status, 200);
    assert.ok(!text.includes(UPSTREAM_KEY), text);
    assert.equal(response.headers.get('x-ratelimit-remaining'), '7');
    assert.equal(response.headers.get('content-length'), String(Buffer.byteLength(text)));
  });

  test('a text answer streams through with the key scrubbed, even cut across chunks; so does a non-JSON error', async () => {
    const text = await (await fetch(`${t.gateway.url}/v1/text-key`, { headers: { authorization: 'Bearer client-token-app' } })).text();
    assert.ok(!text.includes(UPSTREAM_KEY.slice(0, 12)), 'the key went out');
    assert.ok(text.startsWith(`line one\n${'a'.repeat(10_000)}\nkey=[redacted]`), text.slice(10_000));
    assert.ok(text.endsWith('\nlast line\n'));
    const error = await fetch(`${t.gateway.url}/v1/html-error`, { headers: { authorization: 'Bearer client-token-app' } });
    const body = await error.text();
    assert.equal(error.status, 502);
    assert.ok(!body.includes(UPSTREAM_KEY), body);
    assert.ok(error.headers.get('x-tether-category'));
  });

  test('a binary answer streams through byte for byte', async () => {
    const response = await fetch(`${t.gateway.url}/v1/bytes`, { headers: { authorization: 'Bearer client-token-app' } });
    assert.deepEqual([...new Uint8Array(await response.arrayBuffer())], [0, 1, 2, 255]);
    assert.equal(response.headers.get('content-type'), 'application/octet-stream');
  });

  test('an unreachable upstream is a 502 in Together\'s envelope, with an id', async () => {
    const down = await startTestGateway({ upstream: { apiKey: UPSTREAM_KEY, baseUrl: 'http://127.0.0.1:9/v1' } });
    try {
      const response = await fetch(`${down.gateway.url}/v1/fine-tunes`);
      const body = (await response.json()) as { id: string; error: { type: string } };
      assert.equal(response.status, 502);
      assert.equal(body.id, response.headers.get('x-request-id'));
      assert.equal(response.headers.get('x-tether-category'), 'network');
    } finally {
      await down.gateway.close();
    }
  });

  test('a pass-through is one metrics route, whatever its path', async () => {
    const text = await (await fetch(`${t.gateway.url}/metrics`)).text();
    assert.match(text, /tether_gateway_requests_total\{route="\/v1\/\*",status="200",category="none"\} [1-9]/);
    assert.ok(!text.includes('/v1/echo-key'));
  });
});
