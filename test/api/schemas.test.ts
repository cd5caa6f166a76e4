import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { checkRequestBody, chatCompletionRequestSchema, completionRequestSchema, embeddingsRequestSchema } from '../../src/api/index.js';

const ok = { model: 'meta-llama/Llama-3.3-70B-Instruct-Turbo', messages: [{ role: 'user', content: 'hi' }] };

function issuesOf(schema: Parameters<typeof checkRequestBody>[0], body: unknown): Array<[string, string]> {
  const result = checkRequestBody(schema, body);
  assert.equal(result.ok, false, 'expected the body to be rejected');
  return result.ok ? [] : result.issues.map((i) => [i.path, i.message]);
}

describe('chat completion request schema', () => {
  test('accepts Together bodies and OpenAI-style variants, keeping unknown fields', () => {
    const body = {
      ...ok,
      max_tokens: 100,
      stop: '###',
      temperature: 0.7,
      stream: true,
      stream_options: { include_usage: true },
      logprobs: true,
      vendor_extension: { x: 1 },
      messages: [
        { role: 'system', content: 'be brief' },
        { role: 'user', content: [{ type: 'text', text: 'hi' }, { type: 'image_url', image_url: { url: 'https://x/y.png' } }] },
        { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '{}' } }] },
        { role: 'tool', content: '42', tool_call_id: 'c1' },
      ],
    };
    const result = checkRequestBody(chatCompletionRequestSchema, body);
    assert.ok(result.ok, result.ok ? '' : result.message);
    assert.deepEqual(result.value, body);
  });

  test('each problem names its field', () => {
    assert.deepEqual(issuesOf(chatCompletionRequestSchema, {}).map(([p]) => p), ['model', 'messages']);
    assert.deepEqual(issuesOf(chatCompletionRequestSchema, { ...ok, messages: [] }), [['messages', 'must contain at least one message']]);
    assert.deepEqual(issuesOf(chatCompletionRequestSchema, { ...ok, messages: [{ role: 'bot', content: 'x' }] }).map(([p]) => p), ['messages[0].role']);
    assert.match(issuesOf(chatCompletionRequestSchema, { ...ok, messages: [{ content: 'x' }] })[0]?.[1] ?? '', /^is required/);
    assert.deepEqual(issuesOf(chatCompletionRequestSchema, { ...ok, messages: [{ role: 'user' }] }), [['messages[0].content', 'is required for a "user" message']]);
    assert.deepEqual(issuesOf(chatCompletionRequestSchema, { ...ok, messages: [ok.messages[0], { role: 'tool', content: 'x' }] }), [
      ['messages[1].tool_call_id', 'is required for a "tool" message'],
    ]);
    assert.deepEqual(
      issuesOf(chatCompletionRequestSchema, { ...ok, max_tokens: 0, temperature: 'hot', n: 500, logprobs: 21 }),
      [
        ['max_tokens', 'must be at least 1'],
        ['temperature', 'must be a number'],
        ['n', 'must be between 1 and 128'],
        ['logprobs', 'must be an integer between 0 and 20'],
      ],
    );
    assert.deepEqual(issuesOf(chatCompletionRequestSchema, { ...ok, context_length_exceeded_behavior: 'drop' }), [
      ['context_length_exceeded_behavior', 'must be "truncate" or "error"'],
    ]);
  });

  test('the summary message lists every issue; a non-object body is refused as a whole', () => {
    const result = checkRequestBody(chatCompletionRequestSchema, { model: '', messages: 'hi' });
    assert.equal(result.ok, false);
    if (!result.ok) assert.match(result.message, /^Invalid request body: model must not be empty.*; messages is required/);
    for (const bad of [null, 'text', [ok]]) {
      const r = checkRequestBody(chatCompletionRequestSchema, bad);
      assert.equal(r.ok, false);
      if (!r.ok) assert.deepEqual(r.issues, [{ path: '(body)', message: 'must be a JSON object' }]);
    }
  });
});

describe('completion and embeddings request schemas', () => {
  test('completions need model and prompt', () => {
    assert.ok(checkRequestBody(completionRequestSchema, { model: 'm', prompt: 'Once upon', max_tokens: 5 }).ok);
    assert.deepEqual(issuesOf(completionRequestSchema, { model: 'm' }).map(([p]) => p), ['prompt']);
  });

  test('embeddings need a non-empty input', () => {
    assert.ok(checkRequestBody(embeddingsRequestSchema, { model: 'BAAI/bge-base-en-v1.5', input: ['a', 'b'] }).ok);
    assert.deepEqual(issuesOf(embeddingsRequestSchema, { model: 'm', input: [] }), [['input', 'must contain at least one string']]);
    assert.deepEqual(issuesOf(embeddingsRequestSchema, { model: 'm', input: 3 }).map(([p]) => p), ['input']);
  });
});
