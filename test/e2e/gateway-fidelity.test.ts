// The gateway keeps Together's wire: the same request sent to the emulator directly and through the gateway gets
// the same rate-limit headers, the same error bodies (Together's fields as Together wrote them, `code: null`
// included), and every `/v1/*` path the gateway does not model passes through unchanged, with the gateway's own
// auth and request ids. A stream cut after its first chunk ends with the error event and a cut connection.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import Together from 'together-ai';
import { createGateway } from '../../src/gateway/index.js';
import type { RunningGateway } from '../../src/gateway/index.js';
import { readToEnd } from '../gateway/helpers.js';
import { KEYS, MODELS, chatBody, startTestEmulator } from './helpers/emulator.js';
import type { Emulator } from './helpers/emulator.js';

const TOKEN = 'gw-fidelity-main';
const BROKE_TOKEN = 'gw-fidelity-broke';
/** Small enough to test the pass-through body limit with a modest upload. */
const MAX_BODY_BYTES = 256 * 1024;

interface Answer {
  status: number;
  headers: Headers;
  text: string;
  json: Record<string, unknown> | undefined;
}

async function send(url: string, token: string, init: { method?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<Answer> {
  const headers: Record<string, string> = { authorization: `Bearer ${token}`, ...init.headers };
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(url, { method: init.method ?? (init.body === undefined ? 'GET' : 'POST'), headers, body: init.body === undefined ? undefined : JSON.stringify(init.body) });
  const text = await response.text();
  let json: Record<string, unknown> | undefined;
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}

const rateLimitNames = (headers: Headers): string[] => [...headers.keys()].filter((name) => /^x-(ratelimit|tokenlimit)-/.test(name)).sort();

describe('the gateway keeps Together\'s wire', () => {
  let emu: Emulator;
  let gateway: RunningGateway;
  const direct = (path: string): string => `${emu.baseUrl}${path}`;
  const through = (path: string): string => `${gateway.baseUrl}${path}`;

  before(async () => {
    emu = await startTestEmulator();
    gateway = await createGateway(
      {
        port: 0,
        logLevel: 'silent',
        upstream: { baseUrl: emu.baseUrl, apiKey: KEYS.main, keys: [{ name: 'broke', apiKey: KEYS.broke }] },
        clients: [
          { name: 'main', token: TOKEN },
          { name: 'broke', token: BROKE_TOKEN, upstreamKey: 'broke' },
        ],
        limits: { maxBodyBytes: MAX_BODY_BYTES },
        policies: { retries: { baseDelayMs: 5, maxDelayMs: 20 } },
      },
      { env: {} },
    );
  });
  after(async () => {
    await gateway?.close();
    await emu?.close();
  });

  test('a success keeps Together\'s x-ratelimit-* and x-tokenlimit-* headers, JSON and streamed', async () => {
    const plain = await send(direct('/chat/completions'), KEYS.main, { body: chatBody(MODELS.chat) });
    const json = await send(through('/chat/completions'), TOKEN, { body: chatBody(MODELS.chat) });
    const stream = await send(through('/chat/completions'), TOKEN, { body: chatBody(MODELS.chat, { stream: true }) });
    const embeddings = await send(through('/embeddings'), TOKEN, { body: { model: MODELS.embedding, input: 'hello' } });
    const expected = rateLimitNames(plain.headers);
    assert.ok(expected.includes('x-ratelimit-remaining') && expected.includes('x-tokenlimit-remaining'), expected.join(', '));
    for (const answer of [json, stream, embeddings]) {
      assert.equal(answer.status, 200, answer.text);
      assert.deepEqual(rateLimitNames(answer.headers), expected);
      assert.match(answer.headers.get('x-ratelimit-remaining') ?? '', /^\d+$/);
    }
  });

  test('a 402 keeps Together\'s body: top-level id, code null; tether\'s reading is in headers only', async () => {
    const plain = await send(direct('/chat/completions'), KEYS.broke, { body: chatBody(MODELS.chat) });
    const gw = await send(through('/chat/completions'), BROKE_TOKEN, { body: chatBody(MODELS.chat) });
    assert.equal(plain.status, 402);
    assert.equal(gw.status, 402);
    const { id: plainId, ...plainRest } = plain.json!;
    const { id: gwId, ...gwRest } = gw.json!;
    assert.equal(typeof plainId, 'string');
    assert.equal(typeof gwId, 'string');
    assert.deepEqual(gwRest, plainRest);
    assert.equal((gw.json!.error as { code: unknown }).code, null);
    assert.deepEqual(Object.keys(gw.json!), Object.keys(plain.json!), 'the same fields in the same order');
    assert.equal(gw.headers.get('x-tether-category'), 'billing');
    assert.ok(gw.headers.get('x-tether-fix'));
    assert.equal(gw.headers.get('x-together-request-id'), gwId, 'Together\'s id is the one in its body');
    // The key is stopped now: the next request is answered at once with the same body of Together's.
    const again = await send(through('/chat/completions'), BROKE_TOKEN, { body: chatBody(MODELS.chat) });
    assert.equal(again.status, 402);
    assert.deepEqual(again.json, gw.json);
  });

  test('the gateway\'s own errors are Together\'s envelope too, with a top-level id', async () => {
    const unknownToken = await send(through('/chat/completions'), 'not-a-gateway-token', { body: chatBody(MODELS.chat) });
    assert.equal(unknownToken.status, 401);
    assert.equal(unknownToken.json!.id, unknownToken.headers.get('x-request-id'));
    assert.deepEqual(Object.keys(unknownToken.json!), ['id', 'error']);
    assert.deepEqual(Object.keys(unknownToken.json!.error as object), ['message', 'type', 'param', 'code']);
  });

  describe('pass-through of the paths the gateway does not model', () => {
    test('the together-ai SDK\'s fineTuning.list() (GET /v1/fine-tunes) gets Together\'s answer', async () => {
      const viaGateway = new Together({ apiKey: TOKEN, baseURL: gateway.baseUrl, maxRetries: 0 });
      const viaDirect = new Together({ apiKey: KEYS.main, baseURL: emu.baseUrl, maxRetries: 0 });
      const [gw, plain] = await Promise.all([viaGateway.fineTuning.list(), viaDirect.fineTuning.list()]);
      assert.deepEqual(gw, plain);
    });

    test('an unknown /v1 path is Together\'s 404, query and all, not the gateway\'s', async () => {
      const plain = await send(direct('/no-such-endpoint?limit=3'), KEYS.main);
      const gw = await send(through('/no-such-endpoint?limit=3'), TOKEN);
      assert.equal(gw.status, plain.status);
      assert.equal(gw.status, 404);
      const { id: _a, ...plainRest } = plain.json!;
      const { id: _b, ...gwRest } = gw.json!;
      assert.deepEqual(gwRest, plainRest);
      assert.equal(gw.headers.get('x-tether-category'), 'not_found');
      assert.match(gw.headers.get('x-request-id') ?? '', /^gw-/);
      assert.equal(gw.headers.get('x-together-request-id'), gw.json!.id);
    });

    test('a file upload, list and content go through unchanged; the gateway token never reaches Together', async () => {
      const lines = `${JSON.stringify({ messages: [{ role: 'user', content: 'hi' }, { role: 'assistant', content: 'hello' }] })}\n`.repeat(20);
      const form = new FormData();
      form.set('purpose', 'fine-tune');
      form.set('file_name', 'gateway-pass.jsonl');
      form.set('file', new Blob([lines], { type: 'application/jsonl' }), 'gateway-pass.jsonl');
      const upload = await fetch(through('/files/upload'), { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` }, body: form });
      const uploaded = (await upload.json()) as { id: string; filename: string };
      assert.equal(upload.status, 200, JSON.stringify(uploaded));
      assert.equal(uploaded.filename, 'gateway-pass.jsonl');
      const listed = await send(through('/files'), TOKEN);
      assert.ok(JSON.stringify(listed.json).includes(uploaded.id));
      const content = await send(through(`/files/${uploaded.id}/content`), TOKEN);
      const plainContent = await send(direct(`/files/${uploaded.id}/content`), KEYS.main);
      assert.equal(content.status, 200);
      assert.equal(content.text, plainContent.text);
      assert.ok(!content.text.includes(KEYS.main) && !listed.text.includes(KEYS.main), 'an upstream key in an answer');
    });

    test('no token, no pass-through: 401 from the gateway before anything goes upstream', async () => {
      const answer = await fetch(through('/fine-tunes'));
      assert.equal(answer.status, 401);
      assert.equal(((await answer.json()) as { error: { code: string } }).error.code, 'invalid_client_token');
    });

    test('a body over limits.maxBodyBytes is a 413, declared or streamed', async () => {
      const big = new Uint8Array(MAX_BODY_BYTES + 1024).fill(97);
      const declared = await fetch(through('/files/upload'), { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/octet-stream' }, body: big });
      assert.equal(declared.status, 413);
      assert.equal(((await declared.json()) as { error: { code: string } }).error.code, 'request_too_large');
      const chunks = [big.subarray(0, 100_000), big.subarray(100_000, 200_000), big.subarray(200_000)];
      const streamed = await fetch(through('/files/upload'), {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/octet-stream' },
        body: new ReadableStream({
          pull(controller) {
            const next = chunks.shift();
            if (next === undefined) controller.close();
            else controller.enqueue(next);
          },
        }),
        duplex: 'half',
      } as RequestInit);
      assert.equal(streamed.status, 413);
    });
  });

  test('a stream cut after its first chunk: the error event, then a cut connection (no clean end)', async () => {
    emu.setFaults([{ kind: 'stream_cut', afterChunks: 2, model: MODELS.chat }]);
    try {
      const response = await fetch(through('/chat/completions'), {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify(chatBody(MODELS.chat, { stream: true, max_tokens: 30 })),
      });
      assert.equal(response.status, 200);
      const { text, error } = await readToEnd(response);
      assert.ok(error !== undefined, 'the body ended cleanly');
      const frames = text.split('\n\n').filter((f) => f.startsWith('data: ')).map((f) => f.slice(6));
      assert.ok(!frames.includes('[DONE]'));
      const last = JSON.parse(frames.at(-1)!) as { id?: string; error?: { code: string } };
      assert.equal(last.error?.code, 'stream_cut');
      assert.equal(typeof last.id, 'string');
    } finally {
      emu.setFaults([]);
    }
  });
});
