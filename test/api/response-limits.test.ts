// Issue 15, failures 4 and 5 at the transport and SSE level: an answer read whole stops at maxResponseBytes while it
// arrives (not after buffering it), with a clear `server` TogetherError and its connection closed; a streamed event
// stops at maxEventBytes. Streams read chunk by chunk are not held, so not limited by size.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_MAX_STREAM_EVENT_BYTES, createTransport, isSSEStreamError, parseSSE } from '../../src/api/index.js';
import { isTogetherError } from '../../src/errors/index.js';
import { startServer } from './local-server.js';
import type { LocalServer } from './local-server.js';

const MiB = 1024 * 1024;
const PIECE = Buffer.alloc(64 * 1024, 'a');

/** Writes `a`s until the client goes away (or `total` bytes), counting what went out. */
async function pour(res: ServerResponse, total: number, sent: { bytes: number; closed: boolean }): Promise<void> {
  res.on('close', () => (sent.closed = true));
  while (sent.bytes < total && !res.destroyed) {
    sent.bytes += PIECE.length;
    if (!res.write(PIECE)) await new Promise((resolve) => (res.once('drain', resolve), res.once('close', resolve)));
  }
  if (!res.destroyed) res.end();
}

let server: LocalServer;
const sent = { bytes: 0, closed: false };

before(async () => {
  server = await startServer(async (req, res) => {
    sent.bytes = 0;
    sent.closed = false;
    if (req.url?.endsWith('/ok')) {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"fine":true}');
      return;
    }
    const status = req.url?.endsWith('/error') ? 500 : 200;
    res.writeHead(status, { 'content-type': req.url?.endsWith('/sse') ? 'text/event-stream' : 'application/json' });
    await pour(res, req.url?.endsWith('/4m') ? 4 * MiB : Infinity, sent);
  });
});
after(async () => {
  await server?.stop();
});

/** Waits (up to 3 s: the machine may be loaded) until the server saw its connection close. */
async function closed(): Promise<boolean> {
  for (let waited = 0; !sent.closed && waited < 3000; waited += 20) await new Promise((resolve) => setTimeout(resolve, 20));
  return sent.closed;
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  assert.fail('expected a rejection');
}

describe('maxResponseBytes', () => {
  test('defaults: 64 MiB for an answer, 1 MiB for one streamed event', () => {
    assert.equal(DEFAULT_MAX_RESPONSE_BYTES, 64 * MiB);
    assert.equal(DEFAULT_MAX_STREAM_EVENT_BYTES, MiB);
  });

  for (const path of ['/endless', '/error']) {
    test(`sendText (${path}): an endless answer is cut at the limit with a server error and its connection closed`, async () => {
      const transport = createTransport({ baseUrl: `${server.url}/v1`, apiKey: 'tgp_v1_limits-test-key', maxResponseBytes: MiB });
      try {
        const error = await rejection(transport.sendText!({ method: 'POST', path, body: {} }));
        assert.ok(isTogetherError(error), String(error));
        assert.equal(error.category, 'server');
        assert.equal(error.code, 'response_too_large');
        assert.match(error.message, /larger than 1 MiB \(maxResponseBytes \(gateway: upstream\.maxResponseBytes\)\)/);
        assert.equal(await closed(), true, 'the connection was closed');
        assert.ok(sent.bytes < 16 * MiB, `the server wrote ${sent.bytes} bytes`);
      } finally {
        await transport.close();
      }
    });
  }

  test('body.text() and body.json() stop at the limit too; a per-request limit wins', async () => {
    const transport = createTransport({ baseUrl: `${server.url}/v1`, apiKey: 'tgp_v1_limits-test-key' });
    try {
      for (const read of ['text', 'json'] as const) {
        const response = await transport.send({ method: 'POST', path: '/endless', body: {}, maxResponseBytes: 2 * MiB });
        const error = await rejection(response.body[read]());
        assert.ok(isTogetherError(error), String(error));
        assert.equal(error.code, 'response_too_large');
        assert.match(error.message, /2 MiB/);
        assert.equal(await closed(), true);
      }
      // Within the limit, an answer reads as before.
      const ok = await transport.send({ method: 'POST', path: '/ok', body: {} });
      assert.deepEqual(await ok.body.json(), { fine: true });
    } finally {
      await transport.close();
    }
  });

  test('a body read as a stream is not limited by size (it is not held)', async () => {
    const transport = createTransport({ baseUrl: `${server.url}/v1`, maxResponseBytes: MiB });
    try {
      const response = await transport.send({ method: 'POST', path: '/4m', body: {} });
      let bytes = 0;
      for await (const chunk of response.body) bytes += chunk.byteLength;
      assert.equal(bytes, 4 * MiB);
    } finally {
      await transport.close();
    }
  });

  test('a limit that is not a positive number is refused at construction', () => {
    assert.throws(() => createTransport({ baseUrl: server.url, maxResponseBytes: 0 }), /maxResponseBytes must be a positive number/);
  });
});

describe('maxEventBytes', () => {
  test('an SSE line that never ends is stopped (too_large) and the body closed', async () => {
    const transport = createTransport({ baseUrl: `${server.url}/v1` });
    try {
      const response = await transport.send({ method: 'POST', path: '/sse', body: {}, stream: true });
      const error = await rejection(
        (async () => {
          for await (const _ of parseSSE(response.body, { maxEventBytes: 256 * 1024 })) void _;
        })(),
      );
      assert.ok(isSSEStreamError(error), String(error));
      assert.equal(error.kind, 'too_large');
      assert.equal(error.limit, 256 * 1024);
      assert.equal(await closed(), true, 'the upstream body was destroyed');
      assert.ok(sent.bytes < 4 * MiB, `the server wrote ${sent.bytes} bytes`);
    } finally {
      await transport.close();
    }
  });

  test('an event larger than the limit that arrives whole in one chunk is stopped too; smaller ones pass', async () => {
    async function* one(text: string): AsyncGenerator<string> {
      yield text;
    }
    const big = `data: {"x":"${'y'.repeat(2000)}"}\n\ndata: [DONE]\n\n`;
    const error = await rejection(
      (async () => {
        for await (const _ of parseSSE(one(big), { maxEventBytes: 1000 })) void _;
      })(),
    );
    assert.ok(isSSEStreamError(error) && error.kind === 'too_large');
    const values: unknown[] = [];
    for await (const value of parseSSE(one(big), { maxEventBytes: 4000 })) values.push(value);
    assert.equal(values.length, 1);
  });
});
