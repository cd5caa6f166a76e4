import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ERROR_CATEGORIES, HTTP_RULES, TogetherError, classify } from '../../src/errors/index.js';
import type { ErrorCategory } from '../../src/errors/index.js';
import * as bodies from './together-bodies.js';

function expect(
  error: TogetherError,
  want: { category: ErrorCategory; retryable: boolean; code?: string | undefined; status?: number },
): void {
  assert.ok(error instanceof TogetherError);
  assert.equal(error.category, want.category, `category of ${error.status} "${error.message}"`);
  assert.equal(error.retryable, want.retryable, `retryable of ${error.status} "${error.message}"`);
  if ('code' in want) assert.equal(error.code, want.code);
  if (want.status !== undefined) assert.equal(error.status, want.status);
  // Every classification speaks to a person in sentences, and never hands back the raw JSON body.
  assert.ok(error.cause.length > 20 && error.fix.length > 20, 'cause and fix are sentences');
  assert.doesNotMatch(error.message, /^\s*\{/, 'message is not the JSON blob');
}

describe("DESIGN.md's table, from Together's real bodies", () => {
  test('401 invalid key: auth, never retried, says where the key came from and how to check it', () => {
    const error = classify({ ...bodies.INVALID_API_KEY, keySource: 'env' });
    expect(error, { category: 'auth', retryable: false, code: 'invalid_api_key', status: 401 });
    assert.equal(error.message, bodies.INVALID_API_KEY.body.error.message);
    assert.equal(error.type, 'invalid_request_error');
    assert.match(error.cause, /TOGETHER_API_KEY environment variable/);
    assert.match(error.fix, /curl -H "Authorization: Bearer \$TOGETHER_API_KEY" https:\/\/api\.together\.ai\/v1\/models/);
    assert.match(error.fix, /tether doctor/);

    assert.match(classify({ ...bodies.INVALID_API_KEY, keySource: 'flag' }).cause, /--api-key flag/);
    assert.match(classify({ ...bodies.INVALID_API_KEY, keySource: 'config' }).cause, /config file/);
    const unknownSource = classify({ status: 401, body: '' });
    expect(unknownSource, { category: 'auth', retryable: false });
    assert.match(unknownSource.cause, /TOGETHER_API_KEY, --api-key or the config file/);
  });

  test('400 model not available (not serverless): not_found, names the model and the dedicated endpoint', () => {
    const error = classify(bodies.MODEL_NOT_SERVERLESS);
    expect(error, { category: 'not_found', retryable: false, code: 'model_not_available' });
    assert.equal(error.model, 'togethercomputer/evo-1-8k-base');
    assert.equal(error.requestId, 'okkMWqL-2kFHot-a023f60e9b77ff7e', 'the body id stands in for a missing request-id header');
    assert.match(error.fix, /dedicated endpoint/);
    assert.match(error.fix, /tether models/);
  });

  test('400 dedicated endpoint stopped: not_found, says to start it', () => {
    const error = classify(bodies.ENDPOINT_NOT_RUNNING);
    expect(error, { category: 'not_found', retryable: false, code: 'dedicated_endpoint_not_running' });
    assert.equal(error.model, 'mistralai/Mixtral-8x22B-Instruct-v0.1');
    assert.match(error.fix, /Start the endpoint/);
  });

  test('404 model not found: ids must match exactly, run tether models', () => {
    const error = classify({ ...bodies.MODEL_NOT_FOUND, model: 'togethercomputer/evo-1-131k-base' });
    expect(error, { category: 'not_found', retryable: false, code: 'model_not_found', status: 404 });
    assert.match(error.cause, /"togethercomputer\/evo-1-131k-base"/);
    assert.match(error.fix, /must match exactly/);
    assert.match(error.fix, /tether models/);
    // Without a code, the message alone identifies it.
    const byText = classify({ status: 400, body: { message: bodies.MODEL_NOT_FOUND.body.error.message } });
    expect(byText, { category: 'not_found', retryable: false });
    assert.equal(byText.model, 'togethercomputer/evo-1-131k-base');
  });

  test('400 token limit: context_length with the exact numbers and what would fit', () => {
    for (const fixture of [bodies.CONTEXT_LENGTH_LEGACY, bodies.CONTEXT_LENGTH_ENVELOPE]) {
      const error = classify(fixture);
      expect(error, { category: 'context_length', retryable: false });
      assert.equal(error.message, bodies.CONTEXT_LENGTH_MESSAGE);
      assert.deepEqual(error.details, { limit: 4096, promptTokens: 3997, maxTokens: 100 });
      assert.match(error.cause, /3997 tokens.*100.*4097.*4096/);
      assert.match(error.fix, /max_tokens to at most 99/);
      assert.match(error.fix, /cut at least 1 token from the prompt/);
    }
  });

  test('400 invalid fine-tune dataset: validation, points at tether validate', () => {
    const error = classify(bodies.INVALID_DATASET);
    expect(error, { category: 'validation', retryable: false });
    assert.match(error.fix, /tether validate/);
  });

  test('402 insufficient credits: billing, never retried, add credit and resume', () => {
    const error = classify(bodies.CREDIT_LIMIT_402);
    expect(error, { category: 'billing', retryable: false, code: 'credit_limit', status: 402 });
    assert.equal(error.type, 'credit_limit');
    assert.match(error.fix, /https:\/\/api\.together\.xyz\/settings\/billing/);
    assert.match(error.fix, /resume/);
    assert.equal(error.requestId, 'oAbCdEf-2kFHot-8f1c2d3e4a5b6c7d');
  });

  test('404 fine-tune job not found: not_found, lists the jobs', () => {
    const error = classify(bodies.FINETUNE_JOB_NOT_FOUND);
    expect(error, { category: 'not_found', retryable: false });
    assert.match(error.fix, /tether finetune list/);
  });

  test('429: rate_limit and retryable in every form, the legacy credit_limit type included', () => {
    const headers = { 'retry-after': '3' };
    const legacy = classify({ ...bodies.LEGACY_FREE_TIER_429, headers });
    expect(legacy, { category: 'rate_limit', retryable: true, code: 'credit_limit' });
    assert.equal(legacy.retryAfterMs, 3000);
    assert.match(legacy.fix, /Wait 3 s/);
    assert.match(legacy.cause, /not a billing failure/);

    const perModel = classify(bodies.MODEL_RATE_LIMIT_429);
    expect(perModel, { category: 'rate_limit', retryable: true, code: 'model_rate_limit' });
    assert.equal(perModel.model, 'meta-llama/Llama-Vision-Free');

    const dynamicRequests = classify({ ...bodies.DYNAMIC_REQUEST_429, headers: { 'x-ratelimit-reset': '2' } });
    expect(dynamicRequests, { category: 'rate_limit', retryable: true, code: 'dynamic_request_limited' });
    assert.equal(dynamicRequests.retryAfterMs, 2000);
    assert.match(dynamicRequests.fix, /concurrency/);

    const dynamicTokens = classify(bodies.DYNAMIC_TOKEN_429);
    expect(dynamicTokens, { category: 'rate_limit', retryable: true, code: 'dynamic_token_limited' });
    assert.equal(dynamicTokens.type, 'rate_limit_error');
    assert.match(dynamicTokens.cause, /tokens per minute/);

    const bare = classify({ status: 429 });
    expect(bare, { category: 'rate_limit', retryable: true });
    assert.match(bare.fix, /concurrency/);
    assert.match(bare.fix, /build tier/);
  });

  test('500/502 server, 503/529/524 overloaded, 504/408 timeout: all retryable', () => {
    expect(classify({ status: 500, body: { error: { message: 'Internal server error', type: 'server_error' } } }), {
      category: 'server',
      retryable: true,
    });
    expect(classify({ status: 502 }), { category: 'server', retryable: true });
    for (const status of [503, 529, 524]) {
      const error = classify({ status, model: 'meta-llama/Llama-3.3-70B-Instruct-Turbo' });
      expect(error, { category: 'overloaded', retryable: true });
      assert.match(error.cause, /meta-llama\/Llama-3\.3-70B-Instruct-Turbo is overloaded/);
      assert.match(error.fix, /backoff/);
      assert.match(error.fix, /same family/);
    }
    for (const status of [504, 408]) expect(classify({ status }), { category: 'timeout', retryable: true });
  });

  test('403 tier gate: auth with the tier in the fix; other 4xx: validation', () => {
    const gate = classify(bodies.TIER_GATED_403);
    expect(gate, { category: 'auth', retryable: false });
    assert.deepEqual(gate.details, { requiredTier: 2 });
    assert.match(gate.fix, /build tier 2/);
    for (const status of [400, 409, 413, 415, 422]) {
      expect(classify({ status, body: { error: { message: 'temperature must be between 0 and 2', param: 'temperature' } } }), {
        category: 'validation',
        retryable: false,
      });
    }
    assert.match(classify({ status: 400, body: { error: { message: 'bad', param: 'temperature' } } }).fix, /`temperature`/);
  });

  test('401 and 402 are never retryable, whatever the body says', () => {
    const odd = [
      { error: { message: 'x', type: 'dynamic_request_limited', code: 'rate_limit_exceeded' } },
      { error: { message: 'Service overloaded, please retry', code: 'model_not_found' } },
      '<html><title>Retry later</title></html>',
      undefined,
    ];
    for (const status of [401, 402]) {
      for (const body of odd) assert.equal(classify({ status, body, headers: { 'retry-after': '1' } }).retryable, false);
    }
    assert.equal(classify({ status: 402 }).category, 'billing');
    const keyCode = { error: { message: 'bad key', code: 'invalid_api_key' } };
    assert.equal(classify({ status: 402, body: keyCode }).category, 'billing', 'the status decides between billing and auth');
    expect(classify({ status: 400, body: keyCode }), { category: 'auth', retryable: false, code: 'invalid_api_key' });
  });

  test('context-length wordings other than TGI are context_length, not validation', () => {
    const wordings = [
      "This model's maximum context length is 8192 tokens. However, you requested 9000 tokens (8000 in the messages, 1000 in the completion). Please reduce the length of the messages or completion.",
      'Request exceeds the maximum context window of this model.',
      'too many tokens in prompt',
      'context length exceeded',
    ];
    for (const message of wordings) {
      expect(classify({ status: 400, body: { error: { message } } }), { category: 'context_length', retryable: false });
    }
    const coded = classify({ status: 400, body: { error: { message: 'too long', code: 'context_length_exceeded' } } });
    expect(coded, { category: 'context_length', retryable: false, code: 'context_length_exceeded' });
    const openai = classify({ status: 400, body: { error: { message: wordings[0] } } });
    assert.deepEqual(openai.details, { limit: 8192, promptTokens: 8000, maxTokens: 1000 });
    assert.match(openai.fix, /at most 192/);
  });

  test('every category but network has an HTTP row, and row ids are unique', () => {
    const categories = new Set(HTTP_RULES.map((rule) => rule.category));
    for (const category of ERROR_CATEGORIES) {
      if (category !== 'network') assert.ok(categories.has(category), `a rule produces ${category}`);
    }
    const ids = HTTP_RULES.map((rule) => rule.id);
    assert.equal(new Set(ids).size, ids.length, 'rule ids are unique');
  });
});

describe('bodies that are not Together JSON', () => {
  test("the batch API's {error: string} envelope", () => {
    const error = classify(bodies.BATCH_NOT_FOUND);
    expect(error, { category: 'not_found', retryable: false });
    assert.equal(error.message, bodies.BATCH_NOT_FOUND.body.error);
    assert.match(error.fix, /batch/);
  });

  test('the legacy top-level {message} form', () => {
    const error = classify({ status: 400, body: JSON.stringify({ message: 'prompt must be a string' }) });
    expect(error, { category: 'validation', retryable: false });
    assert.equal(error.message, 'prompt must be a string');
  });

  test('an HTML page from a proxy: says so, quotes its title, never the markup', () => {
    const html = `<!DOCTYPE html><html><head><title>502 Bad Gateway &amp; friends</title><style>${'x'.repeat(5000)}</style></head><body><h1>Bad Gateway</h1></body></html>`;
    const error = classify({ status: 502, body: html, headers: { 'content-type': 'text/html' } });
    expect(error, { category: 'server', retryable: true });
    assert.match(error.message, /HTML page titled "502 Bad Gateway & friends"/);
    assert.match(error.message, /proxy/);
    assert.doesNotMatch(error.message, /<|style/);

    const untitled = classify({ status: 403, body: '<html><body>blocked</body></html>' });
    expect(untitled, { category: 'auth', retryable: false });
    assert.match(untitled.message, /HTML page came back/);
    assert.match(untitled.fix, /HTTPS_PROXY/);
    expect(classify({ status: 404, body: '<html><head><title>Not Found</title></head></html>' }), {
      category: 'not_found',
      retryable: false,
    });
  });

  test('empty, plain text, invalid JSON, bytes, and odd JSON never throw', () => {
    const empty = classify({ status: 503, body: '' });
    assert.equal(empty.message, 'HTTP 503 Service Unavailable with an empty body');
    assert.equal(classify({ status: 500, body: new Uint8Array() }).message, 'HTTP 500 Internal Server Error with an empty body');
    assert.equal(classify({ status: 500, body: 'upstream connect error' }).message, 'upstream connect error');
    assert.equal(classify({ status: 500, body: '{"error": {"message": "cut sh' }).message, '{"error": {"message": "cut sh');
    const bytes = classify({ status: 401, body: Buffer.from(JSON.stringify(bodies.INVALID_API_KEY.body)) });
    assert.equal(bytes.code, 'invalid_api_key');
    const fromString = classify({ status: 404, body: JSON.stringify(bodies.MODEL_NOT_FOUND.body) });
    assert.equal(fromString.code, 'model_not_found');
    for (const body of [null, 42, [1, 2], '"just a string"', { unrelated: true }, { error: null }, { error: { message: { nested: 1 } } }]) {
      const error = classify({ status: 400, body });
      assert.equal(error.category, 'validation');
      assert.ok(error.message.length > 0);
    }
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    assert.equal(classify({ status: 500, body: circular }).category, 'server');
    for (const status of [0, Number.NaN, 200, 302, 999]) assert.ok(classify({ status }) instanceof TogetherError);
  });

  test('a huge body is quoted to a few hundred characters', () => {
    const text = classify({ status: 500, body: 'a'.repeat(2_000_000) });
    assert.ok(text.message.length <= 300, `${text.message.length} chars`);
    assert.ok(text.message.endsWith('…'));
    const json = classify({ status: 400, body: { error: { message: 'b '.repeat(100_000) } } });
    assert.ok(json.message.length <= 600, `${json.message.length} chars`);
  });
});

describe('secrets', () => {
  const key = 'tgp_v1_Zx9Qm3Lr7Tn2Wp5Yk8Hd4Fs6Gj1Bc0Va';
  const hexKey = 'a3f1c9e2b7d4058f6e1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f70';

  test('no output contains a key that was in the body or a header', () => {
    const headers = { Authorization: `Bearer ${key}`, 'x-request-id': 'req_1' };
    const cases = [
      { status: 401, headers, body: { error: { message: `Invalid API key provided: ${key}`, code: 'invalid_api_key' } } },
      { status: 401, headers, body: `Unauthorized: Bearer ${key}` },
      { status: 400, headers, body: { error: { message: `bad api_key=${hexKey}`, param: key } } },
      { status: 400, headers, body: `<html><title>denied ${key}</title></html>` },
      { status: 429, headers, body: { error: `key ${hexKey} is limited` } },
      { status: 500, body: { message: `sk-proj-${'Q'.repeat(40)} failed` } },
    ];
    for (const input of cases) {
      const error = classify(input);
      const out = JSON.stringify(error.toJSON()) + error.message;
      assert.ok(!out.includes(key), out);
      assert.ok(!out.includes(hexKey), out);
      assert.ok(!out.includes('Q'.repeat(40)), out);
    }
    assert.equal(classify(cases[0]!).requestId, 'req_1');
  });

  test('a key of no known shape is scrubbed because it was the Authorization header sent', () => {
    const custom = 'custom-Key-0123456789';
    for (const headers of [{ authorization: `Bearer ${custom}` }, new Headers({ 'X-Api-Key': custom })]) {
      const error = classify({ status: 401, headers, body: { error: { message: `key ${custom} is not valid`, code: 'invalid_api_key' } } });
      assert.equal(error.message, 'key [redacted] is not valid');
    }
  });

  test('toJSON is plain data with details and without the original', () => {
    const json = classify(bodies.CONTEXT_LENGTH_LEGACY).toJSON();
    assert.deepEqual(Object.keys(json).sort(), [
      'category',
      'cause',
      'code',
      'details',
      'fix',
      'message',
      'model',
      'name',
      'param',
      'requestId',
      'retryAfterMs',
      'retryable',
      'status',
      'type',
    ]);
    assert.deepEqual(JSON.parse(JSON.stringify(json)).details, { limit: 4096, promptTokens: 3997, maxTokens: 100 });
  });
});
