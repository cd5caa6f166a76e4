import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { chatCompletionRequestSchema, checkRequestBody } from '../../src/api/index.js';
import { TogetherError } from '../../src/errors/index.js';
import { checkBody } from '../../src/pipeline/check-body.js';

const MODEL = 'meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo';
const user = { role: 'user', content: 'Hello' };

/** Bodies near the fast check's edge: each must get exactly the schema's verdict (and its error message). */
const BODIES: unknown[] = [
  { model: MODEL, messages: [user] },
  { model: MODEL, messages: [user], max_tokens: 16, stream: false, temperature: 0.7, top_p: 1, top_k: 40, seed: 1, stop: ['\n'] },
  { model: MODEL, messages: [{ role: 'system', content: '' }, { role: 'assistant', content: 'x', name: 'bot' }], stop: 'END' },
  { model: MODEL, messages: [user], max_tokens: 0 },
  { model: MODEL, messages: [user], max_tokens: 1.5 },
  { model: MODEL, messages: [user], max_tokens: 2 ** 60 },
  { model: MODEL, messages: [user], temperature: -1 },
  { model: MODEL, messages: [user], top_p: 1.5 },
  { model: MODEL, messages: [user], stream: 'yes' },
  { model: MODEL, messages: [user], stop: [1] },
  { model: MODEL, messages: [user], max_tokens: undefined },
  { model: '', messages: [user] },
  { model: 3, messages: [user] },
  { messages: [user] },
  { model: MODEL, messages: [] },
  { model: MODEL, messages: [{ role: 'user' }] },
  { model: MODEL, messages: [{ role: 'tool', content: 'x' }] },
  { model: MODEL, messages: [{ role: 'wizard', content: 'x' }] },
  { model: MODEL, messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }] },
  { model: MODEL, messages: [{ role: 'assistant', content: null }] },
  { model: MODEL, messages: [user, null] },
  { model: MODEL, messages: [user], unknown_field: { kept: true } },
  { model: MODEL, messages: [user], response_format: { type: 'json_object' } },
];

describe('checkBody (chat)', () => {
  test('the fast path gives the schema verdict on every body, valid or not', () => {
    for (const body of BODIES) {
      const expected = checkRequestBody(chatCompletionRequestSchema, body);
      const actual = checkBody('chat', body);
      const label = JSON.stringify(body);
      if (expected.ok) {
        assert.ok(!(actual instanceof TogetherError), `${label}: refused (${actual instanceof TogetherError ? actual.message : ''})`);
        assert.deepEqual(actual.body, expected.value, label);
        assert.notEqual(actual.body, body, `${label}: the checked body is a copy`);
      } else {
        assert.ok(actual instanceof TogetherError, `${label}: accepted`);
        assert.ok(actual.message.includes(expected.message.replace('Invalid request body: ', '')), `${label}: ${actual.message}`);
      }
    }
  });
});
