import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { classify, isContextLengthText, parseContextLengthNumbers, redactSecrets } from '../../src/errors/index.js';

describe('context-length wordings and their numbers', () => {
  const rows: Array<[string, Record<string, number>]> = [
    [
      'Input validation error: `inputs` tokens + `max_new_tokens` must be <= 4096. Given: 3997 `inputs` tokens and 100 `max_new_tokens`',
      { limit: 4096, promptTokens: 3997, maxTokens: 100 },
    ],
    [
      'Input validation error: `inputs` tokens + `max_new_tokens` must be <= 8193. Given: 9000 `inputs` tokens and 512 `max_new_tokens`',
      { limit: 8193, promptTokens: 9000, maxTokens: 512 },
    ],
    ['Input validation error: `inputs` must have less than 4096 tokens. Given: 5000', { limit: 4096, promptTokens: 5000 }],
    ['Input validation error: `max_new_tokens` must be <= 2048. Given: 4096', { limit: 2048, maxTokens: 4096 }],
    [
      "This model's maximum context length is 131,072 tokens. However, you requested 140,000 tokens (139,000 in the messages, 1,000 in the completion).",
      { limit: 131072, promptTokens: 139000, maxTokens: 1000 },
    ],
    [
      "'max_tokens' or 'max_completion_tokens' is too large: 1000. This model's maximum context length is 4096 tokens and your request has 3500 input tokens (1000 > 4096 - 3500).",
      { limit: 4096, promptTokens: 3500, maxTokens: 1000 },
    ],
    ['Request exceeds the maximum context length.', {}],
  ];

  for (const [text, numbers] of rows) {
    test(text.slice(0, 70), () => {
      assert.ok(isContextLengthText(text));
      assert.deepEqual(parseContextLengthNumbers(text), numbers);
      const error = classify({ status: 400, body: { error: { message: text } } });
      assert.equal(error.category, 'context_length');
      assert.equal(error.retryable, false);
    });
  }

  test('the fix says what fits', () => {
    const fix = (message: string): string => classify({ status: 400, body: { message } }).fix;
    assert.match(fix(rows[0]![0]), /at most 99\b.*at least 1 token\b/);
    assert.match(fix(rows[1]![0]), /prompt alone fills the 8193-token context: cut at least 1319 tokens/);
    assert.match(fix(rows[2]![0]), /Cut at least 905 tokens from the prompt/);
    assert.match(fix(rows[3]![0]), /max_tokens to at most 2048/);
    assert.match(fix(rows[6]![0]), /tether tokens/);
  });

  test('ordinary validation messages are not context-length', () => {
    for (const text of ['temperature must be <= 2', 'Invalid JSON', 'messages must not be empty', 'top_k must be <= 100']) {
      assert.equal(isContextLengthText(text), false, text);
      assert.equal(classify({ status: 400, body: { message: text } }).category, 'validation');
    }
  });
});

describe('redactSecrets', () => {
  test('removes key shapes and exact secrets, keeps placeholders and ordinary ids', () => {
    assert.equal(redactSecrets('Authorization: Bearer abc.def-123'), 'Authorization: Bearer [redacted]');
    assert.equal(redactSecrets('curl -H "Authorization: Bearer $TOGETHER_API_KEY"'), 'curl -H "Authorization: Bearer $TOGETHER_API_KEY"');
    assert.equal(redactSecrets('key tgp_v1_abcdefghijklmnop used'), 'key [redacted] used');
    assert.equal(redactSecrets(`old ${'ab12'.repeat(16)} key`), 'old [redacted] key');
    assert.equal(redactSecrets('{"api_key": "hunter2hunter2"}'), '{"api_key": "[redacted]"}');
    assert.equal(redactSecrets('value mysecretvalue here', ['mysecretvalue']), 'value [redacted] here');
    assert.equal(redactSecrets('id okkMWqL-2kFHot-a023f60e9b77ff7e, ray 8f1c2d3e4a5b6c7d-SJC'), 'id okkMWqL-2kFHot-a023f60e9b77ff7e, ray 8f1c2d3e4a5b6c7d-SJC');
  });
});
