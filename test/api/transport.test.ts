import { describe, test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { createTransport, type Transport } from '../../src/api/index.js';
import { isTogetherError } from '../../src/errors/index.js';
import { startServer, sendJson, type LocalServer } from './local-server.js';

const KEY = 'tgp_v1_TESTKEY_abcdefghijklmnopqrstuvwxyz0123';

async function collect(iterable: AsyncIterable<Uint8Array>): Promise<string[]> {
  const parts: string[] = [];
  for await (const chunk of iterable) parts.push(Buffer.from(chunk).toString('utf8'));
  return parts;
}

/** Everything a caller could print or log about an error. */
function everythingAbout(error: unknown): string {
  const e = error as Error & { toJSON?: () => unknown };
  return [String(e), e.message, e.stack ?? '', JSON.stringify(e.toJSON?.() ?? {})].join('\n');
}

describe('transport against a local server', () => {
  let server: LocalServer;
  let transport: Transport;

  before(async () => {
    server = await startServer(async (req, res, body) => {
      if (req.url?.startsWith('/v1/echo')) {
        sendJson(res, 200, { method: req.method, url: req.url, headers: req.headers, body }, { 'x-request-id': 'req-1', 'X-Ratelimit-Remaining': '9' });
      } else if (req.url === '/v1/error') {
        sendJson(res, 429, { error: { message: 'slow down', type: 'rate_limit' } }, { 'retry-after': '2' });
      } else if (req.url === '/v1/chunks') {
        res.writeHead(200, { 'content-type': 'text/plain' });
        for (const part of ['one,', 'two,', 'three']) {
          res.write(part);
          await delay(15);
        }
        res.end();
      } else if (req.url === '/v1/slow-headers') {
        // Never answers: the client's abort closes the connection.
        await new Promise((resolve) => res.on('close', resolve));
      } else if (req.url === '/v1/hang-body') {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.write('first');
        // never ends: the client must abort
      } else if (req.url === '/v1/reset-body') {
        res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '100' });
        res.write('partial');
        setTimeout(() => res.socket?.destroy(), 10);
      } else if (req.url === '/v1/reset-error') {
        res.writeHead(503, { 'content-type': 'application/json', 'content-length': '100' });
        res.write('{"error":');
        setTimeout(() => res.socket?.destroy(), 10);
      } else if (req.url === '/v1/not-json') {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end('<html>proxy says hi</html>');
      } else {
        sendJson(res, 404, { error: { message: 'no route', type: 'not_found' } });
      }
    });
    transport = createTransport({ baseUrl: `${server.url}/v1`, apiKey: KEY, headers: { 'X-Custom': 'yes' } });
  });

  after(async () => {
    await transport.close();
    await server.stop();
  });

  test('sends Bearer auth, user agent, custom headers and a JSON body; returns status, headers and body', async () => {
    const res = await transport.send({ method: 'POST', path: '/echo', body: { model: 'm', n: 1 } });
    assert.equal(res.status, 200);
    assert.equal(res.headers['x-request-id'], 'req-1');
    assert.equal(res.headers['x-ratelimit-remaining'], '9', 'header names are lower-cased');
    assert.equal(res.url, `${server.url}/v1/echo`);
    const echo = (await res.body.json()) as { method: string; headers: Record<string, string>; body: string };
    assert.equal(echo.method, 'POST');
    assert.equal(echo.headers['authorization'], `Bearer ${KEY}`);
    assert.equal(echo.headers['content-type'], 'application/json');
    assert.equal(echo.headers['accept'], 'application/json');
    assert.equal(echo.headers['x-custom'], 'yes');
    assert.match(echo.headers['user-agent'] ?? '', /^tether\//);
    assert.deepEqual(JSON.parse(echo.body), { model: 'm', n: 1 });
  });

  test('joins paths with or without slashes, adds a query, passes raw string bodies through, asks for SSE on stream', async () => {
    const slashy = createTransport({ baseUrl: `${server.url}/v1/`, apiKey: KEY });
    try {
      const res = await slashy.send({
        method: 'POST',
        path: 'echo',
        query: { dedicated: false, skip: undefined, q: 'a b' },
        body: 'raw text',
        headers: { 'Content-Type': 'text/plain' },
        stream: true,
      });
      const echo = (await res.body.json()) as { url: string; headers: Record<string, string>; body: string };
      assert.equal(echo.url, '/v1/echo?dedicated=false&q=a+b');
      assert.equal(echo.body, 'raw text');
      assert.equal(echo.headers['content-type'], 'text/plain');
      assert.equal(echo.headers['accept'], 'text/event-stream');
    } finally {
      await slashy.close();
    }
  });

  test('JSON text is labelled JSON; the reused header sets never leak between keys, streams or requests', async () => {
    const send = async (request: Parameters<typeof transport.send>[0]): Promise<{ headers: Record<string, string>; body: string }> =>
      (await (await transport.send(request)).body.json()) as { headers: Record<string, string>; body: string };
    const text = await send({ method: 'POST', path: '/echo', body: '{"a":1}', jsonText: true });
    assert.equal(text.headers['content-type'], 'application/json');
    assert.equal(text.body, '{"a":1}');
    const plain = await send({ method: 'POST', path: '/echo', body: 'x' });
    assert.equal(plain.headers['content-type'], undefined, 'a raw body without jsonText gets no JSON label');
    const own = await send({ method: 'POST', path: '/echo', body: { a: 1 }, headers: { 'X-Once': '1', Authorization: 'Bearer spoofed' } });
    assert.equal(own.headers['x-once'], '1');
    assert.equal(own.headers['authorization'], `Bearer ${KEY}`, 'the key always wins over a header');
    const after = await send({ method: 'POST', path: '/echo', body: { a: 1 } });
    assert.equal(after.headers['x-once'], undefined, "one request's headers stay out of the next");
    const otherKey = await send({ method: 'POST', path: '/echo', body: { a: 1 }, apiKey: 'second-key-7890', stream: true });
    assert.equal(otherKey.headers['authorization'], 'Bearer second-key-7890');
    assert.equal(otherKey.headers['accept'], 'text/event-stream');
    const back = await send({ method: 'POST', path: '/echo', body: { a: 1 } });
    assert.equal(back.headers['authorization'], `Bearer ${KEY}`);
    assert.equal(back.headers['accept'], 'application/json');
  });

  test('a per-request key overrides the default one; no key sends no Authorization header', async () => {
    const res = await transport.send({ method: 'GET', path: '/echo', apiKey: ' other-key-123456 ' });
    const echo = (await res.body.json()) as { headers: Record<string, string> };
    assert.equal(echo.headers['authorization'], 'Bearer other-key-123456');
    const anonymous = createTransport({ baseUrl: `${server.url}/v1` });
    try {
      const res2 = await anonymous.send({ method: 'GET', path: '/echo' });
      const echo2 = (await res2.body.json()) as { headers: Record<string, string> };
      assert.equal(echo2.headers['authorization'], undefined);
    } finally {
      await anonymous.close();
    }
  });

  test('the base URL falls back to TOGETHER_BASE_URL from the environment', async () => {
    const fromEnv = createTransport({ apiKey: KEY, env: { TOGETHER_BASE_URL: `${server.url}/v1` } });
    try {
      assert.equal(fromEnv.baseUrl, `${server.url}/v1`);
      const res = await fromEnv.send({ method: 'GET', path: '/echo' });
      assert.equal(res.status, 200);
      await res.body.dump();
    } finally {
      await fromEnv.close();
    }
    const fallback = createTransport({ env: {} });
    assert.equal(fallback.baseUrl, 'https://api.together.ai/v1');
    await fallback.close();
  });

  test('an error status is returned, not thrown: the caller classifies it', async () => {
    const res = await transport.send({ method: 'GET', path: '/error' });
    assert.equal(res.status, 429);
    assert.equal(res.headers['retry-after'], '2');
    assert.deepEqual(await res.body.json(), { error: { message: 'slow down', type: 'rate_limit' } });
  });

  test('streams the body chunk by chunk as it arrives', async () => {
    const res = await transport.send({ method: 'GET', path: '/chunks' });
    const parts = await collect(res.body);
    assert.ok(parts.length >= 2, `expected several chunks, got ${parts.length}`);
    assert.equal(parts.join(''), 'one,two,three');
  });

  test('sequential requests reuse keep-alive connections instead of opening one each', async () => {
    const own = await startServer((_req, res) => sendJson(res, 200, { ok: true }));
    const pooled = createTransport({ baseUrl: own.url, apiKey: KEY });
    const single = createTransport({ baseUrl: own.url, apiKey: KEY, connections: 1 });
    try {
      for (let i = 0; i < 10; i += 1) {
        const res = await pooled.send({ method: 'GET', path: '/x' });
        assert.deepEqual(await res.body.json(), { ok: true });
      }
      // undici may open a second socket while the first is finishing its response; never one per request.
      assert.ok(own.connections() <= 2, `10 requests used ${own.connections()} connections`);
      const before = own.connections();
      for (let i = 0; i < 5; i += 1) {
        const res = await single.send({ method: 'GET', path: '/x' });
        await res.body.dump();
      }
      assert.equal(own.connections() - before, 1);
    } finally {
      await pooled.close();
      await single.close();
      await own.stop();
    }
  });

  test('an abort before the headers rejects with the signal reason', async () => {
    const controller = new AbortController();
    const reason = new Error('caller gave up');
    setTimeout(() => controller.abort(reason), 30);
    await assert.rejects(transport.send({ method: 'GET', path: '/slow-headers', signal: controller.signal }), (error) => error === reason);
    const already = AbortSignal.abort(reason);
    await assert.rejects(transport.send({ method: 'GET', path: '/echo', signal: already }), (error) => error === reason);
  });

  test('an abort while reading the body cancels it', async () => {
    const controller = new AbortController();
    const res = await transport.send({ method: 'GET', path: '/hang-body', signal: controller.signal });
    const reason = new Error('stop reading');
    const seen: string[] = [];
    await assert.rejects(
      (async () => {
        for await (const chunk of res.body) {
          seen.push(Buffer.from(chunk).toString());
          controller.abort(reason);
        }
      })(),
      (error) => error === reason,
    );
    assert.deepEqual(seen, ['first']);
  });

  test('a connection cut mid-body is a classified network error', async () => {
    const res = await transport.send({ method: 'GET', path: '/reset-body' });
    await assert.rejects(res.body.text(), (error) => {
      assert.ok(isTogetherError(error), `expected a TogetherError, got ${String(error)}`);
      assert.equal(error.category, 'network');
      assert.ok(!everythingAbout(error).includes(KEY));
      return true;
    });
  });

  test('sendText reads a whole answer without a body stream: status, lower-case headers, text; errors are not thrown', async () => {
    const ok = await transport.sendText!({ method: 'POST', path: '/echo', body: { model: 'm' } });
    assert.equal(ok.status, 200);
    assert.equal(ok.headers['x-ratelimit-remaining'], '9');
    const echo = JSON.parse(ok.text) as { headers: Record<string, string>; body: string };
    assert.equal(echo.headers['authorization'], `Bearer ${KEY}`);
    assert.deepEqual(JSON.parse(echo.body), { model: 'm' });
    const chunks = await transport.sendText!({ method: 'GET', path: '/chunks' });
    assert.equal(chunks.text, 'one,two,three', 'every chunk, in order');
    const limited = await transport.sendText!({ method: 'GET', path: '/error' });
    assert.equal(limited.status, 429);
    assert.equal(limited.headers['retry-after'], '2');
    assert.match(limited.text, /slow down/);
    const cutError = await transport.sendText!({ method: 'GET', path: '/reset-error' });
    assert.equal(cutError.status, 503, 'an error status whose body was cut still answers: the status classifies it');
    assert.equal(cutError.text, '{"error":');
  });

  test('sendText: an abort rejects with the signal reason; a cut body and a refused connection are classified', async () => {
    const controller = new AbortController();
    const reason = new Error('caller gave up');
    setTimeout(() => controller.abort(reason), 30);
    await assert.rejects(transport.sendText!({ method: 'GET', path: '/slow-headers', signal: controller.signal }), (error) => error === reason);
    const mid = new AbortController();
    setTimeout(() => mid.abort(reason), 30);
    await assert.rejects(transport.sendText!({ method: 'GET', path: '/hang-body', signal: mid.signal }), (error) => error === reason);
    await assert.rejects(transport.sendText!({ method: 'GET', path: '/echo', signal: AbortSignal.abort(reason) }), (error) => error === reason);
    await assert.rejects(transport.sendText!({ method: 'GET', path: '/reset-body' }), (error) => {
      assert.ok(isTogetherError(error), `expected a TogetherError, got ${String(error)}`);
      assert.equal(error.category, 'network');
      return true;
    });
    const closed = await startServer((_req, res) => void res.end());
    const port = closed.port;
    await closed.stop();
    const t = createTransport({ baseUrl: `http://127.0.0.1:${port}/v1`, apiKey: KEY });
    try {
      await assert.rejects(t.sendText!({ method: 'POST', path: '/chat/completions', body: { model: 'm' }, model: 'm' }), (error) => {
        assert.ok(isTogetherError(error) && error.category === 'network' && error.model === 'm');
        assert.ok(!everythingAbout(error).includes(KEY));
        return true;
      });
    } finally {
      await t.close();
    }
  });

  test('a refused connection is a classified network error that never shows the key', async () => {
    const closed = await startServer((_req, res) => void res.end());
    const port = closed.port;
    await closed.stop();
    const t = createTransport({ baseUrl: `http://127.0.0.1:${port}/v1`, apiKey: KEY });
    try {
      await assert.rejects(t.send({ method: 'POST', path: '/chat/completions', body: { model: 'm' }, model: 'm' }), (error) => {
        assert.ok(isTogetherError(error));
        assert.equal(error.category, 'network');
        assert.equal(error.model, 'm');
        assert.ok(!everythingAbout(error).includes(KEY));
        return true;
      });
    } finally {
      await t.close();
    }
  });

  test('a key with line breaks or inner spaces is refused without echoing it', () => {
    const bad = 'tgp_v1_secret\nInjected: yes';
    assert.throws(
      () => createTransport({ apiKey: bad }),
      (error: Error) => error instanceof TypeError && !error.message.includes('tgp_v1_secret') && /TOGETHER_API_KEY/.test(error.message),
    );
  });

  test('a body can be read once; json() on a non-JSON body names what came back', async () => {
    const res = await transport.send({ method: 'GET', path: '/not-json' });
    await assert.rejects(res.body.json(), /not JSON: "<html>proxy says hi<\/html>"/);
    await assert.rejects(res.body.text(), /already consumed/);
  });

  test('an invalid base URL is rejected with an example of a good one', () => {
    assert.throws(() => createTransport({ baseUrl: 'api.together.xyz/v1' }), /absolute http\(s\) URL such as https:\/\/api\.together\.ai\/v1/);
    assert.throws(() => createTransport({ baseUrl: 'ftp://x/v1' }), /scheme must be http or https/);
    assert.throws(() => createTransport({ baseUrl: `https://user:${KEY}@host/v1` }), (error: Error) => !error.message.includes(KEY));
  });
});
