import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { createTransport, parseSSE, formatSSE, SSE_DONE, SSEStreamError, type Transport } from '../../src/api/index.js';
import { isTogetherError } from '../../src/errors/index.js';
import { startServer, type LocalServer } from './local-server.js';

describe('SSE through the transport', () => {
  let server: LocalServer;
  let transport: Transport;
  let endlessClosed = false;

  before(async () => {
    server = await startServer(async (req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream;charset=utf-8' });
      if (req.url === '/v1/endless') {
        res.on('close', () => (endlessClosed = true));
        for (let i = 0; !res.destroyed && i < 1000; i += 1) {
          res.write(formatSSE({ i }));
          await delay(10);
        }
        return;
      }
      for (let i = 0; i < 3; i += 1) {
        res.write(formatSSE({ i }));
        await delay(5);
      }
      if (req.url === '/v1/complete') res.end(SSE_DONE);
      else if (req.url === '/v1/reset') res.socket?.destroy();
      else res.end();
    });
    transport = createTransport({ baseUrl: `${server.url}/v1`, apiKey: 'tgp_v1_sse_transport_key_000' });
  });
  after(async () => {
    await transport.close();
    await server.stop();
  });

  async function stream(path: string): Promise<{ seen: unknown[]; error?: unknown }> {
    const res = await transport.send({ method: 'POST', path, body: { stream: true }, stream: true });
    const seen: unknown[] = [];
    try {
      for await (const chunk of parseSSE(res.body)) seen.push(chunk);
      return { seen };
    } catch (error) {
      return { seen, error };
    }
  }

  test('a complete stream ends cleanly at [DONE]', async () => {
    assert.deepEqual(await stream('/complete'), { seen: [{ i: 0 }, { i: 1 }, { i: 2 }] });
  });

  test('a clean close without [DONE] is a cut', async () => {
    const { seen, error } = await stream('/no-done');
    assert.equal(seen.length, 3);
    assert.ok(error instanceof SSEStreamError && error.kind === 'cut' && error.chunksReceived === 3);
  });

  test('streams read to [DONE] leave the connection for the next request', async () => {
    await stream('/complete');
    const before = server.connections();
    for (let i = 0; i < 3; i += 1) assert.equal((await stream('/complete')).seen.length, 3);
    assert.equal(server.connections(), before, 'every stream went over the same kept-alive connection');
  });

  test('a reader that stops early stops the body: the server sees the request closed', async () => {
    const res = await transport.send({ method: 'POST', path: '/endless', body: { stream: true }, stream: true });
    for await (const chunk of parseSSE(res.body)) {
      assert.deepEqual(chunk, { i: 0 });
      break;
    }
    const started = Date.now();
    while (!endlessClosed && Date.now() - started < 3_000) await delay(10);
    assert.ok(endlessClosed, 'the upstream request was closed');
  });

  test('a reset connection is a cut whose cause is the classified network error', async () => {
    const { error } = await stream('/reset');
    assert.ok(error instanceof SSEStreamError && error.kind === 'cut');
    assert.ok(isTogetherError(error.cause) && error.cause.category === 'network');
  });
});
