import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { countChatTokens, countTextTokens } from '../../src/tokens/index.js';
import { loadSnapshot } from '../../src/catalog/index.js';
import { startEmulator } from '../../src/emulator/index.js';
import type { RunningEmulator } from '../../src/emulator/index.js';
import { CHAT_MODEL, call, chat, parseSse, start } from './helpers.js';

let emu: RunningEmulator;
before(async () => {
  emu = await start({ seed: 5 });
});
after(() => emu.close());

describe('GET /v1/models', () => {
  test('is a bare array of ModelInfo with numeric pricing', async () => {
    const reply = await call(emu, '/v1/models');
    assert.equal(reply.status, 200);
    assert.match(reply.headers.get('content-type') ?? '', /^application\/json/);
    assert.ok(Array.isArray(reply.json), 'the body is an array, not {data: [...]}');
    for (const m of reply.json) {
      assert.equal(typeof m.id, 'string');
      assert.equal(m.object, 'model');
      assert.ok(Number.isInteger(m.created));
      for (const field of ['type', 'display_name', 'organization', 'link', 'license']) assert.equal(typeof m[field], 'string', `${m.id} ${field}`);
      for (const field of ['hourly', 'input', 'output', 'base', 'finetune']) assert.equal(typeof m.pricing[field], 'number', `${m.id} pricing.${field}`);
    }
    const chatModel = reply.json.find((m: { id: string }) => m.id === CHAT_MODEL);
    assert.equal(chatModel.context_length, 131072);
    assert.equal(chatModel.pricing.input, 0.18);
  });

  test('lists non-serverless ids and dedicated-capable deprecated ids, but not retired ones', async () => {
    const ids = new Set((await call(emu, '/v1/models')).json.map((m: { id: string }) => m.id));
    const snapshot = loadSnapshot();
    for (const m of snapshot.models) assert.ok(ids.has(m.id), m.id);
    for (const d of snapshot.deprecated) assert.equal(ids.has(d.id), d.dedicated_available || snapshot.models.some((m) => m.id === d.id), d.id);
  });

  test('config adds and removes models', async () => {
    const custom = await start({ models: { extra: [{ id: 'acme/tiny-chat', context_length: 2048 }], exclude: [CHAT_MODEL] } });
    try {
      const ids = (await call(custom, '/v1/models')).json.map((m: { id: string }) => m.id);
      assert.ok(ids.includes('acme/tiny-chat'));
      assert.ok(!ids.includes(CHAT_MODEL));
      assert.equal((await call(custom, '/v1/chat/completions', { body: chat() })).status, 404);
      const extra = await call(custom, '/v1/chat/completions', { body: chat({ model: 'acme/tiny-chat' }) });
      assert.equal(extra.status, 200, extra.text);
    } finally {
      await custom.close();
    }
  });
});

describe('POST /v1/chat/completions', () => {
  test('answers Together-shaped JSON with usage from the real tokenizer', async () => {
    const messages = [{ role: 'user', content: 'Tell me about rate limits.' }];
    const reply = await call(emu, '/v1/chat/completions', { body: chat({ max_tokens: 500 }) });
    assert.equal(reply.status, 200, reply.text);
    const body = reply.json;
    assert.equal(body.object, 'chat.completion');
    assert.equal(body.model, CHAT_MODEL);
    assert.equal(body.id, reply.headers.get('x-request-id'));
    assert.match(body.id, /^[A-Za-z0-9]{7}-[A-Za-z0-9]{6}-[0-9a-f]{16}$/);
    assert.ok(Number.isInteger(body.created));
    assert.deepEqual(body.prompt, []);
    const [choice] = body.choices;
    assert.equal(choice.index, 0);
    assert.equal(choice.finish_reason, 'stop');
    assert.equal(choice.message.role, 'assistant');
    assert.ok(choice.message.content.length > 0);
    assert.ok(Number.isInteger(choice.seed));
    const expectedPrompt = (await countChatTokens(CHAT_MODEL, messages)).tokens;
    const expectedCompletion = (await countTextTokens(CHAT_MODEL, choice.message.content)).tokens;
    assert.equal(body.usage.prompt_tokens, expectedPrompt);
    assert.equal(body.usage.completion_tokens, expectedCompletion);
    assert.equal(body.usage.total_tokens, expectedPrompt + expectedCompletion);
  });

  test('stops at exactly max_tokens with finish_reason length, mid-word where the budget ends there', async () => {
    for (const max of [1, 3, 7]) {
      const reply = await call(emu, '/v1/chat/completions', { body: chat({ max_tokens: max }) });
      const [choice] = reply.json.choices;
      assert.equal(choice.finish_reason, 'length');
      assert.equal(reply.json.usage.completion_tokens, max, JSON.stringify(choice.message.content));
      assert.equal(reply.json.usage.completion_tokens, (await countTextTokens(CHAT_MODEL, choice.message.content)).tokens);
    }
  });

  test('cuts at a stop sequence, and gives n different choices', async () => {
    const full = (await call(emu, '/v1/chat/completions', { body: chat({ max_tokens: 500 }) })).json.choices[0].message.content as string;
    const word = full.split(' ')[2] as string;
    const stopped = (await call(emu, '/v1/chat/completions', { body: chat({ max_tokens: 500, stop: [word] }) })).json.choices[0];
    assert.equal(stopped.message.content, full.slice(0, full.indexOf(word)));
    assert.equal(stopped.finish_reason, 'stop');
    const two = (await call(emu, '/v1/chat/completions', { body: chat({ n: 2, max_tokens: 500 }) })).json;
    assert.equal(two.choices.length, 2);
    assert.deepEqual(two.choices.map((c: { index: number }) => c.index), [0, 1]);
    assert.notEqual(two.choices[0].message.content, two.choices[1].message.content);
  });

  test('json response_format returns parsable JSON', async () => {
    const reply = await call(emu, '/v1/chat/completions', { body: chat({ max_tokens: 500, response_format: { type: 'json_object' } }) });
    assert.equal(typeof JSON.parse(reply.json.choices[0].message.content).answer, 'string');
  });

  test('streams SSE: one id, usage null until the last content chunk, then [DONE]', async () => {
    const body = chat({ max_tokens: 8 });
    const reply = await call(emu, '/v1/chat/completions', { body: { ...body, stream: true } });
    assert.equal(reply.status, 200);
    assert.equal(reply.headers.get('content-type'), 'text/event-stream;charset=utf-8');
    assert.ok(reply.headers.get('x-ratelimit-remaining'));
    const sse = parseSse(reply.text);
    assert.deepEqual(sse.stray, []);
    assert.ok(sse.done, 'ends with data: [DONE]');
    assert.ok(sse.events.length >= 2);
    const ids = new Set(sse.events.map((e) => e.id));
    assert.equal(ids.size, 1);
    assert.equal([...ids][0], reply.headers.get('x-request-id'));
    const last = sse.events.at(-1);
    for (const event of sse.events) {
      assert.equal(event.object, 'chat.completion.chunk');
      assert.equal(event.model, CHAT_MODEL);
      const [choice] = event.choices;
      assert.equal(choice.index, 0);
      assert.equal(choice.delta.role, 'assistant');
      assert.equal(choice.text, choice.delta.content);
      assert.ok(Number.isInteger(choice.delta.token_id));
      assert.equal(choice.logprobs, null);
      if (event === last) continue;
      assert.equal(event.usage, null);
      assert.equal(choice.finish_reason, null);
      assert.equal(choice.seed, null);
    }
    assert.equal(last.choices[0].finish_reason, 'length');
    assert.ok(Number.isInteger(last.choices[0].seed));
    const plain = (await call(emu, '/v1/chat/completions', { body })).json;
    assert.deepEqual(last.usage, plain.usage);
    assert.equal(sse.events.map((e) => e.choices[0].delta.content).join(''), plain.choices[0].message.content);
  });
});

describe('POST /v1/completions and /v1/embeddings', () => {
  test('completions answer text.completion JSON and SSE', async () => {
    const body = { model: 'mistralai/Mixtral-8x7B-v0.1', prompt: 'Once upon a time', max_tokens: 6 };
    const reply = await call(emu, '/v1/completions', { body });
    assert.equal(reply.status, 200, reply.text);
    assert.equal(reply.json.object, 'text.completion');
    assert.deepEqual(reply.json.prompt, []);
    assert.equal(typeof reply.json.choices[0].text, 'string');
    assert.equal(reply.json.usage.prompt_tokens, (await countTextTokens(body.model, body.prompt)).tokens);
    const sse = parseSse((await call(emu, '/v1/completions', { body: { ...body, stream: true } })).text);
    assert.ok(sse.done);
    for (const event of sse.events) {
      assert.equal(event.object, 'completion.chunk');
      for (const field of ['id', 'token', 'choices', 'finish_reason']) assert.ok(field in event, field);
      assert.ok('usage' in event);
    }
    assert.equal(sse.events.map((e) => e.choices[0].text).join(''), reply.json.choices[0].text);
    assert.deepEqual(sse.events.at(-1).usage, reply.json.usage);
  });

  test('embeddings return unit vectors of the model dimension, for a string or a list', async () => {
    const one = await call(emu, '/v1/embeddings', { body: { model: 'BAAI/bge-large-en-v1.5', input: 'hello' } });
    assert.equal(one.status, 200, one.text);
    assert.equal(one.json.object, 'list');
    assert.equal(one.json.data.length, 1);
    assert.equal(one.json.data[0].object, 'embedding');
    assert.equal(one.json.data[0].embedding.length, 1024);
    const many = await call(emu, '/v1/embeddings', { body: { model: 'BAAI/bge-base-en-v1.5', input: ['a', 'b', 'a'] } });
    const vectors = many.json.data.map((d: { embedding: number[] }) => d.embedding);
    assert.deepEqual(many.json.data.map((d: { index: number }) => d.index), [0, 1, 2]);
    assert.equal(vectors[0].length, 768);
    for (const v of vectors) assert.ok(Math.abs(Math.hypot(...v) - 1) < 1e-9);
    assert.deepEqual(vectors[0], vectors[2]);
    assert.notDeepEqual(vectors[0], vectors[1]);
    assert.ok(many.json.usage.prompt_tokens > 0);
    assert.equal(many.json.usage.total_tokens, many.json.usage.prompt_tokens);
  });
});

test('the Host header does not matter (api.together.xyz and api.together.ai clients)', async () => {
  for (const host of ['api.together.xyz', 'api.together.ai']) {
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${emu.url}/v1/models`, { headers: { host, authorization: 'Bearer test-key' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    assert.equal(status, 200, host);
  }
});

test('one seed gives the same text, ids and vectors; another seed differs', async () => {
  const a = await start({ seed: 99 });
  const b = await start({ seed: 99 });
  const c = await start({ seed: 100 });
  try {
    const body = chat({ max_tokens: 400 });
    const [ra, rb, rc] = await Promise.all([a, b, c].map((e) => call(e, '/v1/chat/completions', { body })));
    assert.equal(ra?.json.choices[0].message.content, rb?.json.choices[0].message.content);
    assert.equal(ra?.json.id, rb?.json.id);
    assert.notEqual(ra?.json.choices[0].message.content, rc?.json.choices[0].message.content);
    const withSeed = await call(a, '/v1/chat/completions', { body: { ...body, seed: 7 } });
    assert.notEqual(withSeed.json.choices[0].message.content, ra?.json.choices[0].message.content);
    assert.equal(withSeed.json.choices[0].seed, 7);
    const embed = { model: 'BAAI/bge-base-en-v1.5', input: 'same text' };
    const [ea, eb] = await Promise.all([a, b].map((e) => call(e, '/v1/embeddings', { body: embed })));
    assert.deepEqual(ea?.json.data, eb?.json.data);
  } finally {
    await Promise.all([a.close(), b.close(), c.close()]);
  }
});

test('stats count requests by path, model, key and status, and inference calls', async () => {
  const fresh = await start();
  try {
    await call(fresh, '/v1/models');
    await call(fresh, '/v1/chat/completions', { body: chat() });
    await call(fresh, '/v1/chat/completions', { body: chat(), key: 'nope' });
    await call(fresh, '/v1/chat/completions', { body: chat({ model: 'acme/none' }) });
    const stats = fresh.stats();
    assert.equal(stats.requests, 4);
    assert.deepEqual(stats.byPath, { '/v1/models': 1, '/v1/chat/completions': 3 });
    assert.deepEqual(stats.byModel, { [CHAT_MODEL]: 1, 'acme/none': 1 });
    assert.deepEqual(stats.byKey, { main: 3, '(none)': 1 });
    assert.deepEqual(stats.byStatus, { 200: 2, 401: 1, 404: 1 });
    assert.equal(stats.inferenceCalls, 1);
    assert.ok(!JSON.stringify(stats).includes('test-key'), 'stats name keys, never show them');
    fresh.resetStats();
    assert.equal(fresh.stats().requests, 0);
    assert.deepEqual(fresh.stats().byPath, {});
  } finally {
    await fresh.close();
  }
});

describe('reproducible mode', () => {
  test('the same request gets the same response bytes; a different request a different id', async () => {
    const emu = await startEmulator({ port: 0, reproducible: true, keys: [{ key: 'rk', requestsPerSecond: 100 }] });
    try {
      const call = async (content: string): Promise<string> => {
        const res = await fetch(`${emu.baseUrl}/chat/completions`, {
          method: 'POST',
          headers: { authorization: 'Bearer rk', 'content-type': 'application/json' },
          body: JSON.stringify({ model: 'meta-llama/Llama-3.3-70B-Instruct-Turbo', messages: [{ role: 'user', content }], max_tokens: 8 }),
        });
        assert.equal(res.status, 200);
        return res.text();
      };
      const first = await call('same');
      const second = await call('same');
      const other = await call('different');
      assert.equal(first, second);
      assert.notEqual(JSON.parse(first).id, JSON.parse(other).id);
      assert.match(JSON.parse(first).id, /^[A-Za-z0-9]{7}-[A-Za-z0-9]{6}-[0-9a-f]{16}$/);
    } finally {
      await emu.close();
    }
  });
});
