import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { countChatTokens } from '../../src/tokens/index.js';
import type { RunningEmulator } from '../../src/emulator/index.js';
import { CHAT_MODEL, KEY, call, chat, start } from './helpers.js';
import type { Reply } from './helpers.js';

let emu: RunningEmulator;
before(async () => {
  emu = await start({
    keys: [
      { key: KEY, name: 'main', requestsPerSecond: 1000, tokensPerMinute: 10_000_000, creditsUsd: 100 },
      { key: 'free-tier-key', name: 'free', tier: 0, requestsPerSecond: 1000 },
      { key: 'broke-key', name: 'broke', creditsUsd: 0, requestsPerSecond: 1000 },
    ],
    maxBodyBytes: 4096,
  });
});
after(() => emu.close());

const RATE_HEADERS = ['x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset', 'x-tokenlimit-limit', 'x-tokenlimit-remaining'];

/** Together's envelope: top-level id (= x-request-id) and error.{message, type, param, code}. */
function assertEnvelope(reply: Reply, status: number, type: string, code: string | null): string {
  assert.equal(reply.status, status, reply.text);
  assert.match(reply.headers.get('content-type') ?? '', /^application\/json/);
  assert.equal(reply.json.id, reply.headers.get('x-request-id'));
  assert.deepEqual(Object.keys(reply.json.error).sort(), ['code', 'message', 'param', 'type']);
  assert.equal(reply.json.error.type, type);
  assert.equal(reply.json.error.code, code);
  assert.ok(!reply.text.includes(KEY));
  return reply.json.error.message as string;
}

function assertRateHeaders(reply: Reply): void {
  for (const name of RATE_HEADERS) assert.ok(reply.headers.get(name) !== null, `${name} missing on ${reply.status}`);
}

describe('Together error rows', () => {
  test('401 invalid_api_key for a missing or unknown key', async () => {
    for (const key of [null, 'not-a-key']) {
      const reply = await call(emu, '/v1/chat/completions', { key, body: chat() });
      const message = assertEnvelope(reply, 401, 'invalid_request_error', 'invalid_api_key');
      assert.equal(message, 'Invalid API key provided. You can find your API key at https://api.together.xyz/settings/api-keys.');
    }
    assert.equal((await call(emu, '/v1/models', { key: null })).status, 401);
  });

  test('404 model_not_found for unknown and retired ids', async () => {
    for (const model of ['acme/no-such-model', 'perplexity-ai/r1-1776']) {
      const reply = await call(emu, '/v1/chat/completions', { body: chat({ model }) });
      const message = assertEnvelope(reply, 404, 'invalid_request_error', 'model_not_found');
      assert.equal(
        message,
        `Unable to access model ${model}. Please visit https://api.together.xyz to see the list of supported models or contact the owner to request access.`,
      );
      assertRateHeaders(reply);
    }
  });

  test('400 model_not_available for non-serverless and dedicated-only deprecated ids', async () => {
    for (const model of ['meta-llama/Meta-Llama-3.1-8B-Instruct-Reference', 'Qwen/Qwen2-VL-72B-Instruct']) {
      const reply = await call(emu, '/v1/chat/completions', { body: chat({ model }) });
      const message = assertEnvelope(reply, 400, 'invalid_request_error', 'model_not_available');
      assert.equal(
        message,
        `Unable to access non-serverless model ${model}. Please visit https://api.together.ai/models/${model} to create and start a new dedicated endpoint for the model.`,
      );
    }
  });

  test('403 for a tier-gated model below its tier', async () => {
    const reply = await call(emu, '/v1/chat/completions', { key: 'free-tier-key', body: chat({ model: 'openai/gpt-oss-20b' }) });
    const message = assertEnvelope(reply, 403, 'invalid_request_error', null);
    assert.match(message, /^Access to this model is allowed for build tier 1 and above\./);
    assert.equal((await call(emu, '/v1/chat/completions', { key: 'free-tier-key', body: chat() })).status, 200);
  });

  test('400 context overflow with Together\'s exact text, and truncate lowers max_tokens', async () => {
    const model = 'meta-llama/Meta-Llama-3-8B-Instruct-Lite';
    const body = chat({ model, max_tokens: 9000 });
    const reply = await call(emu, '/v1/chat/completions', { body });
    const promptTokens = (await countChatTokens(model, body.messages as [])).tokens;
    const message = assertEnvelope(reply, 400, 'invalid_request_error', null);
    assert.equal(
      message,
      `Input validation error: \`inputs\` tokens + \`max_new_tokens\` must be <= 8192. Given: ${promptTokens} \`inputs\` tokens and 9000 \`max_new_tokens\``,
    );
    assertRateHeaders(reply);
    const truncated = await call(emu, '/v1/chat/completions', { body: { ...body, context_length_exceeded_behavior: 'truncate' } });
    assert.equal(truncated.status, 200, truncated.text);
  });

  test('402 credit_limit when the key has no credit', async () => {
    const reply = await call(emu, '/v1/chat/completions', { key: 'broke-key', body: chat() });
    const message = assertEnvelope(reply, 402, 'credit_limit', null);
    assert.equal(message, 'Credit limit exceeded. Please navigate to https://api.together.xyz/settings/billing to add credit or upgrade your plan.');
    assertRateHeaders(reply);
  });

  test('400 for a model that does not serve the endpoint', async () => {
    const embedOnChat = await call(emu, '/v1/embeddings', { body: { model: CHAT_MODEL, input: 'x' } });
    assert.match(assertEnvelope(embedOnChat, 400, 'invalid_request_error', null), /not support embeddings/);
    const chatOnEmbed = await call(emu, '/v1/chat/completions', { body: chat({ model: 'BAAI/bge-base-en-v1.5' }) });
    assert.match(assertEnvelope(chatOnEmbed, 400, 'invalid_request_error', null), /Use \/v1\/embeddings/);
  });
});

describe('bad input never crashes it', () => {
  test('malformed JSON, non-object bodies and empty bodies are 400s that say what to send', async () => {
    const cases: [string, RegExp][] = [
      ['{"model": ', /not valid JSON/],
      ['[1, 2]', /must be a JSON object \(got an array\)/],
      ['"text"', /must be a JSON object/],
      ['', /body is empty/],
    ];
    for (const [rawBody, pattern] of cases) {
      const reply = await call(emu, '/v1/chat/completions', { rawBody });
      assert.match(assertEnvelope(reply, 400, 'invalid_request_error', null), pattern);
      assertRateHeaders(reply);
    }
  });

  test('wrong types and missing fields name the field and the fix', async () => {
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ model: CHAT_MODEL }, 'messages', /^`messages` is required\. Send `messages` as a non-empty array/],
      [chat({ max_tokens: 'ten' }), 'max_tokens', /^`max_tokens` is invalid: expected number.*\(got the string "ten"\)\. Send `max_tokens` as a positive integer/],
      [chat({ max_tokens: 1.5 }), 'max_tokens', /^`max_tokens` is invalid.*1\.5/],
      [chat({ messages: [{ role: 'robot', content: 'hi' }] }), 'messages[0].role', /must be one of "system", "user"/],
      [chat({ temperature: 'hot' }), 'temperature', /Send `temperature` as a number from 0 to 2/],
      [chat({ n: 0 }), 'n', /`n` is invalid.*Send `n` as an integer from 1 to 128/],
      [chat({ stop: 5 }), 'stop', /Send `stop` as a string or an array of strings/],
      [{ messages: [{ role: 'user', content: 'x' }] }, 'model', /^`model` is required/],
    ];
    for (const [body, param, pattern] of cases) {
      const reply = await call(emu, '/v1/chat/completions', { body });
      assert.match(assertEnvelope(reply, 400, 'invalid_request_error', null), pattern);
      assert.equal(reply.json.error.param, param);
    }
    const embed = await call(emu, '/v1/embeddings', { body: { model: 'BAAI/bge-base-en-v1.5', input: [1] } });
    assert.equal(embed.json.error.param, 'input');
    const completion = await call(emu, '/v1/completions', { body: { model: 'mistralai/Mixtral-8x7B-v0.1' } });
    assert.match(completion.json.error.message, /^`prompt` is required/);
  });

  test('accepts unknown fields, nulls and OpenAI-style extras', async () => {
    const reply = await call(emu, '/v1/chat/completions', {
      body: chat({ user: 'u1', stream_options: { include_usage: true }, temperature: null, logprobs: false, stop: 'zzz', top_p: 0.9 }),
    });
    assert.equal(reply.status, 200, reply.text);
  });

  test('a body over the limit is a 413 in the same envelope', async () => {
    const reply = await call(emu, '/v1/chat/completions', { body: chat({ filler: 'x'.repeat(10_000) }) });
    assert.match(assertEnvelope(reply, 413, 'invalid_request_error', 'request_too_large'), /larger than 4096 bytes/);
    assert.equal((await call(emu, '/v1/chat/completions', { body: chat() })).status, 200);
  });

  test('unknown paths are 404 and wrong methods 405, Together-shaped', async () => {
    const unknown = await call(emu, '/v1/no/such/thing', { body: {} });
    assert.match(assertEnvelope(unknown, 404, 'invalid_request_error', 'not_found'), /Unknown endpoint POST \/v1\/no\/such\/thing/);
    const root = await call(emu, '/');
    assert.equal(root.status, 404);
    const wrong = await call(emu, '/v1/chat/completions', { method: 'GET' });
    assert.match(assertEnvelope(wrong, 405, 'invalid_request_error', 'method_not_allowed'), /Use POST/);
    assert.equal(wrong.headers.get('allow'), 'POST');
  });

  test('a client that disconnects mid-request or sends garbage HTTP leaves the server working', async () => {
    const { port } = emu;
    await new Promise<void>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.write(`POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${KEY}\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{"model": "`);
        setTimeout(() => socket.destroy(), 20);
      });
      socket.on('close', () => resolve());
    });
    await new Promise<void>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => socket.write('NOT HTTP AT ALL\r\n\r\n'));
      socket.on('data', () => undefined);
      socket.on('close', () => resolve());
      socket.on('error', () => resolve());
    });
    assert.equal((await call(emu, '/v1/chat/completions', { body: chat() })).status, 200);
  });
});
