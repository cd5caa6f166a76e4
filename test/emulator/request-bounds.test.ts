// Issue 15's class behind failure 11 (100,000 embedding inputs stalled the emulator): every list an inference body
// carries is bounded before the schema or a tokenizer walks it. Before: 500,000 stop strings took 3.6 s and were
// answered 200; 50,000 tool definitions 32 s; 300,000 messages 22 s.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { RunningEmulator } from '../../src/emulator/index.js';
import { REQUEST_BOUNDS } from '../../src/emulator/request-bounds.js';
import { call, CHAT_MODEL, start } from './helpers.js';

const user = { role: 'user', content: 'Hello' };
const strings = (count: number): string[] => Array.from({ length: count }, (_, i) => `s${i}`);

const CASES: Array<[name: string, path: string, body: Record<string, unknown>, param: string, message: RegExp]> = [
  ['500,000 stop strings', '/v1/chat/completions', { model: CHAT_MODEL, messages: [user], stop: strings(500_000) }, 'stop', /`stop` holds 500000 stop sequences; at most 16/],
  ['a 1 MB stop string', '/v1/completions', { model: CHAT_MODEL, prompt: 'x', stop: ['ok', 'y'.repeat(1_000_000)] }, 'stop[1]', /`stop\[1\]` is longer than 1000 characters/],
  ['300,000 messages', '/v1/chat/completions', { model: CHAT_MODEL, messages: Array.from({ length: 300_000 }, () => user) }, 'messages', /holds 300000 messages; at most 10000/],
  ['100,000 content parts', '/v1/chat/completions', { model: CHAT_MODEL, messages: [{ role: 'user', content: Array.from({ length: 100_000 }, () => ({ type: 'text', text: 'a' })) }] }, 'messages[0].content', /100000 content parts; at most 1000/],
  ['50,000 tools', '/v1/chat/completions', { model: CHAT_MODEL, messages: [user], tools: Array.from({ length: 50_000 }, (_, i) => ({ type: 'function', function: { name: `f${i}`, parameters: { type: 'object' } } })) }, 'tools', /50000 tool definitions; at most 128/],
  ['300,000 logit_bias ids', '/v1/chat/completions', { model: CHAT_MODEL, messages: [user], logit_bias: Object.fromEntries(strings(300_000).map((id) => [id, 1])) }, 'logit_bias', /more than 1024 token ids/],
];

describe('emulator request bounds', () => {
  let emu: RunningEmulator;
  before(async () => {
    emu = await start();
  });
  after(() => emu.close());

  for (const [name, path, body, param, message] of CASES) {
    test(`${name}: a 400 in Together's envelope naming the field, answered at once`, async () => {
      const started = performance.now();
      const reply = await call(emu, path, { body });
      const ms = performance.now() - started;
      assert.equal(reply.status, 400, reply.text.slice(0, 300));
      assert.equal(reply.json.error.type, 'invalid_request_error');
      assert.equal(reply.json.error.param, param);
      assert.match(reply.json.error.message, message);
      assert.ok(reply.text.length < 600, 'nothing the client sent is echoed');
      assert.ok(ms < 3000, `answered in ${ms.toFixed(0)} ms`);
    });
  }

  test('a body at every bound is served', async () => {
    const reply = await call(emu, '/v1/chat/completions', {
      body: {
        model: CHAT_MODEL,
        messages: [user],
        max_tokens: 4,
        stop: Array.from({ length: REQUEST_BOUNDS.maxStopSequences }, (_, i) => `${i}`.padEnd(REQUEST_BOUNDS.maxStopChars, '~')),
        logit_bias: Object.fromEntries(Array.from({ length: REQUEST_BOUNDS.maxLogitBiasEntries }, (_, i) => [String(i), 0])),
        tools: Array.from({ length: REQUEST_BOUNDS.maxTools }, (_, i) => ({ type: 'function', function: { name: `f${i}`, parameters: { type: 'object' } } })),
        tool_choice: 'none',
      },
    });
    assert.equal(reply.status, 200, reply.text.slice(0, 300));
  });
});
