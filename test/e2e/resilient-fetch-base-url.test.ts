// resilientFetch sends each call where the SDK asked (its baseURL), not to Together's default: the issue's
// `new OpenAI({ baseURL: 'http://127.0.0.1:PORT/v1', fetch: resilientFetch({ apiKey }) })` sent every call to
// api.together.xyz. Its own `baseUrl` is only where the pipeline fetches the model list on its own behalf.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { startEmulator } from '../../src/emulator/index.js';
import type { RunningEmulator } from '../../src/emulator/index.js';
import { resilientFetch } from '../../src/index.js';
import { apiBase } from '../../src/pipeline/resilient-fetch.js';

const KEY = 'tk-base-url';
const MODEL = 'meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo';
// Where the pipeline would go by default if it ignored the SDK: a port nothing listens on (fails at once).
const NOWHERE = { TOGETHER_BASE_URL: 'http://127.0.0.1:9/v1' };

let sdkSide: RunningEmulator;
let listSide: RunningEmulator;

before(async () => {
  const keys = [{ key: KEY, requestsPerSecond: 1000, tokensPerMinute: 10_000_000, creditsUsd: 100 }];
  [sdkSide, listSide] = await Promise.all([startEmulator({ port: 0, seed: 1, keys }), startEmulator({ port: 0, seed: 2, keys })]);
});

after(async () => {
  await Promise.all([sdkSide.close(), listSide.close()]);
});

describe('resilientFetch goes where the SDK sends it', () => {
  test('apiBase: origin and path up to /v1', () => {
    assert.equal(apiBase(new URL('http://127.0.0.1:4010/v1/chat/completions')), 'http://127.0.0.1:4010/v1');
    assert.equal(apiBase(new URL('https://proxy.example/together/v1/models?limit=1')), 'https://proxy.example/together/v1');
    assert.equal(apiBase(new URL('https://upload.example/bucket/object')), undefined);
  });

  test('inference and pass-through calls reach the SDK baseURL; the model list defaults to it too', async () => {
    const fetch = resilientFetch({ apiKey: KEY, env: NOWHERE });
    try {
      const sdk = new OpenAI({ apiKey: 'ignored', baseURL: sdkSide.baseUrl, maxRetries: 0, fetch });
      sdkSide.resetStats();
      for (let i = 0; i < 3; i++) {
        const answer = await sdk.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: `hi ${i}` }], max_tokens: 5 });
        assert.equal(answer.object, 'chat.completion');
      }
      // Together answers GET /models with a bare array (the openai SDK's models.list() expects a page).
      const models = await sdk.get<Array<{ id: string }>>('/models');
      assert.ok(models.some((model) => model.id === MODEL));
      const stats = sdkSide.stats();
      assert.equal(stats.byPath['/v1/chat/completions'], 3);
      assert.ok((stats.byPath['/v1/models'] ?? 0) >= 1, 'the pipeline loaded its model list from the SDK base URL');
    } finally {
      await fetch.close();
    }
  });

  test('a streamed answer comes from the SDK baseURL as well', async () => {
    const fetch = resilientFetch({ apiKey: KEY, env: NOWHERE });
    try {
      const sdk = new OpenAI({ apiKey: 'ignored', baseURL: sdkSide.baseUrl, maxRetries: 0, fetch });
      const stream = await sdk.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'stream' }], max_tokens: 5, stream: true });
      let chunks = 0;
      for await (const chunk of stream) if (chunk.object === 'chat.completion.chunk') chunks++;
      assert.ok(chunks > 0);
    } finally {
      await fetch.close();
    }
  });

  test("an SDK left on OpenAI's default base URL is refused before anything (the key included) is sent there", async () => {
    let sent = 0;
    const fetch = resilientFetch({ apiKey: KEY, env: NOWHERE });
    const original = globalThis.fetch;
    globalThis.fetch = (async () => {
      sent++;
      throw new Error('nothing may be sent');
    }) as typeof globalThis.fetch;
    try {
      const sdk = new OpenAI({ apiKey: 'ignored', maxRetries: 0, fetch });
      const error = await sdk.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'hi' }] }).then(
        () => assert.fail('answered'),
        (caught: unknown) => caught as { status?: number; error?: { code?: string; tether?: { fix?: string } } },
      );
      assert.equal(error.status, 400);
      assert.equal(error.error?.code, 'base_url_is_openai');
      assert.match(error.error?.tether?.fix ?? '', /baseURL: 'https:\/\/api\.together\.ai\/v1'/);
      await assert.rejects(sdk.get('/models'), (caught: { status?: number }) => caught.status === 400);
      assert.equal(sent, 0);
    } finally {
      globalThis.fetch = original;
      await fetch.close();
    }
  });

  test('baseUrl set: the model list comes from it, inference still goes to the SDK baseURL', async () => {
    const fetch = resilientFetch({ apiKey: KEY, baseUrl: listSide.baseUrl, env: NOWHERE });
    try {
      const sdk = new OpenAI({ apiKey: 'ignored', baseURL: sdkSide.baseUrl, maxRetries: 0, fetch });
      sdkSide.resetStats();
      listSide.resetStats();
      await sdk.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'hi' }], max_tokens: 5 });
      assert.equal(sdkSide.stats().byPath['/v1/chat/completions'], 1);
      assert.equal(sdkSide.stats().byPath['/v1/models'], undefined);
      assert.equal(listSide.stats().byPath['/v1/chat/completions'], undefined);
      assert.equal(listSide.stats().byPath['/v1/models'], 1);
    } finally {
      await fetch.close();
    }
  });
});
