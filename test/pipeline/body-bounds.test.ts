// Issue 15 (the class behind failure 2): every list a client sends is bounded before the schema walks it or a
// tokenizer counts it. 500,000 stop strings held the emulator 3.6 s and the gateway 1.6 s; 300,000 messages 50 s.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isTogetherError } from '../../src/errors/index.js';
import { BODY_BOUNDS, findOutOfBounds } from '../../src/pipeline/body-bounds.js';
import { checkBody } from '../../src/pipeline/check-body.js';

const MODEL = 'meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo';
const user = { role: 'user', content: 'Hello' };
const chat = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({ model: MODEL, messages: [user], ...extra });
const strings = (count: number, length = 2): string[] => Array.from({ length: count }, (_, i) => String(i).padStart(length, 'x'));

/** Endpoint, body, the field the error names, and the message it carries. */
const OUT_OF_BOUNDS: Array<[endpoint: 'chat' | 'completions' | 'embeddings', body: unknown, param: string, message: RegExp]> = [
  ['chat', chat({ stop: strings(500_000) }), 'stop', /`stop` holds 500000 stop sequences; at most 16 are accepted/],
  ['chat', chat({ stop: strings(BODY_BOUNDS.maxStopSequences + 1) }), 'stop', /holds 17 stop sequences/],
  ['chat', chat({ stop: ['ok', 'y'.repeat(5_000_000)] }), 'stop[1]', /`stop\[1\]` is longer than 1000 characters/],
  ['chat', chat({ stop: 'y'.repeat(1001) }), 'stop', /`stop` is longer than 1000 characters/],
  ['completions', { model: MODEL, prompt: 'x', stop: strings(100) }, 'stop', /holds 100 stop sequences/],
  ['chat', { model: MODEL, messages: Array.from({ length: 300_000 }, () => user) }, 'messages', /holds 300000 messages; at most 10000/],
  ['chat', { model: MODEL, messages: [user, { role: 'user', content: Array.from({ length: 100_000 }, () => ({ type: 'text', text: 'a' })) }] }, 'messages[1].content', /holds 100000 content parts; at most 1000/],
  ['chat', chat({ tools: Array.from({ length: 50_000 }, (_, i) => ({ type: 'function', function: { name: `f${i}` } })) }), 'tools', /holds 50000 tool definitions; at most 128/],
  ['chat', chat({ logit_bias: Object.fromEntries(strings(300_000).map((id) => [id, 1])) }), 'logit_bias', /more than 1024 token ids/],
  ['embeddings', { model: 'BAAI/bge-base-en-v1.5', input: strings(100_000) }, 'input', /holds 100000 inputs; at most 2048/],
  ['completions', { model: MODEL, prompt: strings(5000) }, 'prompt', /holds 5000 prompts; at most 2048/],
];

describe('request body bounds (pipeline check-body stage)', () => {
  for (const [endpoint, body, param, message] of OUT_OF_BOUNDS) {
    test(`${endpoint}: ${param} past its bound is a validation error naming it, decided at once`, () => {
      const started = performance.now();
      const result = checkBody(endpoint, body);
      const ms = performance.now() - started;
      assert.ok(isTogetherError(result), 'the body must be refused');
      assert.equal(result.category, 'validation');
      assert.equal(result.code, 'invalid_request_body');
      assert.equal(result.param, param);
      assert.match(result.message, message);
      assert.ok(result.message.length < 300, 'nothing the client sent is echoed');
      assert.ok(ms < 500, `decided in ${ms.toFixed(0)} ms`);
    });
  }

  test('bodies at every bound pass, through the fast path and the schema', () => {
    const atBounds: Array<['chat' | 'embeddings', unknown]> = [
      ['chat', chat({ stop: strings(BODY_BOUNDS.maxStopSequences, BODY_BOUNDS.maxStopChars) })],
      ['chat', chat({ stop: 'z'.repeat(BODY_BOUNDS.maxStopChars) })],
      ['chat', { model: MODEL, messages: Array.from({ length: BODY_BOUNDS.maxMessages }, () => user) }],
      ['chat', chat({ tools: Array.from({ length: BODY_BOUNDS.maxTools }, (_, i) => ({ type: 'function', function: { name: `f${i}` } })) })],
      ['chat', chat({ logit_bias: Object.fromEntries(strings(BODY_BOUNDS.maxLogitBiasEntries).map((id) => [id, -100])) })],
      ['chat', { model: MODEL, messages: [{ role: 'user', content: Array.from({ length: BODY_BOUNDS.maxContentParts }, () => ({ type: 'text', text: 'a' })) }] }],
      ['embeddings', { model: 'BAAI/bge-base-en-v1.5', input: strings(BODY_BOUNDS.maxInputs) }],
    ];
    for (const [endpoint, body] of atBounds) {
      const result = checkBody(endpoint, body);
      assert.ok(!isTogetherError(result), isTogetherError(result) ? result.message : '');
    }
  });

  test('fields of the wrong type are left to the schema, which names them', () => {
    assert.equal(findOutOfBounds({ stop: 3, messages: 'x', logit_bias: [1], tools: {} }), undefined);
    const result = checkBody('chat', chat({ stop: [1, 2] }));
    assert.ok(isTogetherError(result));
    assert.equal(result.param, 'stop');
  });
});
