// Issue 15, failures 2 and 6 at the gateway: a deeply nested body is a 400 naming the maximum nesting depth (never a
// stack overflow reported as a network failure), a model id over the length cap is refused before any lookup or
// log line, and nothing a client sends (a model id, a path) is repeated unbounded in an answer or the access log.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_BODY_DEPTH, MAX_MODEL_ID_LENGTH, checkRequestBytes } from '../../src/gateway/body.js';
import { jsonTextTooDeep, valueTooDeep } from '../../src/pipeline/index.js';
import { CHAT_MODEL, call, chatBody, startTestGateway } from './helpers.js';
import type { TestGateway } from './helpers.js';

const nested = (depth: number, open = '[', close = ']'): string => open.repeat(depth) + close.repeat(depth);

describe('the body check (pure)', () => {
  test('depth is counted on the bytes, outside strings, without recursion', () => {
    assert.equal(jsonTextTooDeep(Buffer.from(nested(MAX_BODY_DEPTH)), MAX_BODY_DEPTH), false);
    assert.equal(jsonTextTooDeep(Buffer.from(nested(MAX_BODY_DEPTH + 1)), MAX_BODY_DEPTH), true);
    assert.equal(jsonTextTooDeep(Buffer.from(`{"a":"${'['.repeat(10_000)}"}`), 8), false, 'brackets in a string are text');
    assert.equal(jsonTextTooDeep(Buffer.from(`{"a\\"[[[":"\\\\", "b": [[[[]]]]}`), 4), true, 'escaped quotes do not end a string');
    assert.equal(jsonTextTooDeep(Buffer.from('{"open": "never closed [[[['), 2), false, 'malformed is the parser\'s to say');
    assert.equal(jsonTextTooDeep(Buffer.from(nested(1_000_000, '{"a":', '}')), MAX_BODY_DEPTH), true);
    // Past the limit in openings, the scan decides: openings in strings, and ones closed before the next, are not depth.
    assert.equal(jsonTextTooDeep(Buffer.from(`{"a":"${'{'.repeat(200)}","b":[${'[],'.repeat(200)}[]]}`), MAX_BODY_DEPTH), false);
    assert.equal(jsonTextTooDeep(Buffer.from(`[${nested(64, '{"a":', '}')},${nested(64, '[', ']')}]`), MAX_BODY_DEPTH), false);
    assert.equal(jsonTextTooDeep(Buffer.from(`{"x":"[[[",${'"a":{'.repeat(64)}"b":${'['.repeat(65)}1${']'.repeat(65)}${'}'.repeat(64)}}`), MAX_BODY_DEPTH), true);
  });

  test('the same bound on a parsed value, for library callers', () => {
    assert.equal(valueTooDeep(JSON.parse(nested(MAX_BODY_DEPTH))), false);
    assert.equal(valueTooDeep(JSON.parse(nested(100_000))), true);
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    assert.equal(valueTooDeep(cyclic), false, 'a cycle ends (walked once)');
  });

  test('100k levels: a 400 naming the problem and the limit', () => {
    const raw = Buffer.from(`{"model":"${CHAT_MODEL}","messages":[{"role":"user","content":"hi"}],"x":${nested(100_000)}}`);
    const checked = checkRequestBytes(raw);
    assert.equal(checked.ok, false);
    if (checked.ok) return;
    assert.equal(checked.reply.status, 400);
    assert.equal(checked.reply.body.error.code, 'invalid_request_body');
    assert.match(checked.reply.body.error.message, new RegExp(`deeper than ${MAX_BODY_DEPTH} levels \\(the maximum nesting depth\\)`));
  });

  test('a model id over the cap: 400, its length said, the id not repeated', () => {
    const id = 'x'.repeat(200_000);
    const checked = checkRequestBytes(Buffer.from(JSON.stringify({ model: id, messages: [] })));
    assert.equal(checked.ok, false);
    if (checked.ok) return;
    assert.equal(checked.reply.status, 400);
    assert.equal(checked.reply.body.error.param, 'model');
    assert.match(checked.reply.body.error.message, new RegExp(`200000 characters long; model ids are at most ${MAX_MODEL_ID_LENGTH}`));
    assert.ok(!checked.reply.body.error.message.includes('xxxxxxxxxx'));
    assert.equal(checkRequestBytes(Buffer.from(JSON.stringify({ model: 'm'.repeat(MAX_MODEL_ID_LENGTH) }))).ok, true);
  });

  test('a parser message is clipped', () => {
    const checked = checkRequestBytes(Buffer.from(`{"a": ${'1'.repeat(50_000)}x}`));
    assert.equal(checked.ok, false);
    if (!checked.ok) assert.ok(checked.reply.body.error.message.length < 600, checked.reply.body.error.message);
  });
});

describe('the gateway on the wire', () => {
  let t: TestGateway;
  before(async () => {
    t = await startTestGateway();
  });
  after(() => t.gateway.close());

  test('a 100k-level body is a 400 and never reaches the pipeline', async () => {
    const reply = await call(t.gateway, '/v1/chat/completions', { rawBody: `{"model":"${CHAT_MODEL}","messages":${nested(100_000)}}` });
    assert.equal(reply.status, 400);
    assert.match(reply.json.error.message, /maximum nesting depth/);
    assert.equal(reply.headers.get('x-tether-category'), 'validation');
    assert.equal(t.factory.built[0]!.requests.length, 0);
  });

  test('a 200 KB model id: a 400 at once; neither the answer nor the access log repeats it', async () => {
    const id = 'q'.repeat(200_000);
    const started = performance.now();
    const reply = await call(t.gateway, '/v1/chat/completions', { body: chatBody({ model: id }) });
    assert.ok(performance.now() - started < 1000);
    assert.equal(reply.status, 400);
    assert.ok(reply.text.length < 1000, `answer of ${reply.text.length} characters`);
    assert.equal(t.factory.built[0]!.requests.length, 0);
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.ok(!t.logText().includes('qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq'), 'the id reached the log');
  });

  test('an unknown 10 KB path: the 404 and the access line repeat at most its start', async () => {
    const path = `/${'p'.repeat(10_000)}`;
    const reply = await call(t.gateway, path);
    assert.equal(reply.status, 404);
    assert.ok(reply.text.length < 1000, `answer of ${reply.text.length} characters`);
    assert.match(reply.json.error.message, /\(10001 characters\)/);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const line = t.logs().find((l) => l.msg === 'request' && String(l.path).startsWith('/ppp'));
    assert.ok(line, 'no access line');
    assert.ok(String(line.path).length < 300, `logged path of ${String(line.path).length} characters`);
  });
});
