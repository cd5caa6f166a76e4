// Error bodies: Together's own, byte for byte, when Together answered with that status in its JSON envelope; else
// tether's envelope with Together's top-level `id` first.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { classify } from '../../src/errors/index.js';
import { togetherErrorReply } from '../../src/gateway/index.js';
import { errorBodyText } from '../../src/gateway/http.js';

const CREDIT_BODY =
  '{"id":"okkMWqL-2kFHot-a023f60e9b77ff7e","error":{"message":"Credit limit exceeded. Please navigate to https://api.together.xyz/settings/billing to add credit or upgrade your plan.","type":"credit_limit","param":null,"code":null}}';

describe('error envelopes', () => {
  test('a 402 from Together goes out as Together wrote it: code null, top-level id, field order', () => {
    const reply = togetherErrorReply(classify({ status: 402, body: CREDIT_BODY, headers: { 'content-type': 'application/json' } }));
    assert.equal(reply.status, 402);
    assert.equal(errorBodyText(reply, 'gw-1'), CREDIT_BODY);
    assert.equal(reply.headers['x-tether-category'], 'billing');
    // tether's own reading stays available (logs, tests), in `body`.
    assert.equal(reply.body.error.type, 'credit_limit');
  });

  test('a body that is not Together\'s JSON envelope is answered with tether\'s, with the request id as `id`', () => {
    const html = togetherErrorReply(classify({ status: 502, body: '<html><title>Bad gateway</title></html>', headers: { 'content-type': 'text/html' } }));
    const text = errorBodyText(html, 'gw-2');
    const parsed = JSON.parse(text) as { id: string; error: Record<string, unknown> };
    assert.deepEqual(Object.keys(parsed), ['id', 'error']);
    assert.equal(parsed.id, 'gw-2');
    assert.deepEqual(Object.keys(parsed.error), ['message', 'type', 'param', 'code']);
    const array = togetherErrorReply(classify({ status: 400, body: '[1,2]' }));
    assert.equal(array.verbatim, undefined);
  });

  test('a legacy body with only a top-level message is kept too; a secret in it is scrubbed first', () => {
    const legacy = '{"message": "Input validation error: `inputs` tokens + `max_new_tokens` must be <= 4096. Given: 3997 `inputs` tokens and 100 `max_new_tokens`"}';
    assert.equal(errorBodyText(togetherErrorReply(classify({ status: 400, body: legacy })), 'gw-3'), legacy);
    const key = 'tk-secret-upstream-key-000000001';
    const leaky = togetherErrorReply(classify({ status: 401, body: `{"error":{"message":"bad key ${key}","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}`, secrets: [key] }));
    assert.ok(!errorBodyText(leaky, 'gw-4').includes(key));
    assert.match(errorBodyText(leaky, 'gw-4'), /"code":"invalid_api_key"/);
  });
});
