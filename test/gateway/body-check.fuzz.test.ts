// Property tests for the body checks of untrusted input (issue 15): the gateway's check of a request's bytes and the
// pipeline's check of a body value. Whatever they are given, they return an object or a clear 400 (the library: a
// validation TogetherError), never throw, and never let through a body nested past the limit or a model id past the
// cap. Every input that ever failed stays in test/fixtures/fuzz/gateway-body-corpus.json and is replayed on its own.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { MAX_BODY_DEPTH, MAX_MODEL_ID_LENGTH, checkRequestBytes } from '../../src/gateway/body.js';
import { jsonTextTooDeep, valueTooDeep } from '../../src/pipeline/index.js';
import { checkBody } from '../../src/pipeline/check-body.js';
import { isTogetherError } from '../../src/errors/index.js';

const SEED = 20261207;
const CODES = new Set(['invalid_json', 'invalid_request_body']);

interface Case {
  note: string;
  text?: string;
  base64?: string;
  deep?: { depth: number; open: string; close: string; prefix: string; suffix: string };
  expect: 'ok' | 'invalid_json' | 'invalid_request_body';
}

function bytesOf(c: Case): Buffer {
  if (c.base64 !== undefined) return Buffer.from(c.base64, 'base64');
  if (c.deep !== undefined) return Buffer.from(c.deep.prefix + c.deep.open.repeat(c.deep.depth) + c.deep.close.repeat(c.deep.depth) + c.deep.suffix);
  return Buffer.from((c.text ?? '').replace('@@LONG_MODEL@@', 'm'.repeat(200_000)));
}

/** The gateway's check on any bytes: an object within the bounds, or a short 400 in the envelope. */
function checkedBytes(raw: Buffer): 'ok' | string {
  const checked = checkRequestBytes(raw);
  if (checked.ok) {
    assert.ok(checked.body !== null && typeof checked.body === 'object' && !Array.isArray(checked.body));
    assert.equal(valueTooDeep(checked.body), false, 'a body past the depth limit got through');
    const model = checked.body['model'];
    if (typeof model === 'string') assert.ok(model.length <= MAX_MODEL_ID_LENGTH, 'a model id past the cap got through');
    return 'ok';
  }
  const { reply } = checked;
  assert.equal(reply.status, 400);
  assert.ok(CODES.has(reply.body.error.code ?? ''), String(reply.body.error.code));
  assert.ok(reply.body.error.message.length < 600, `a ${reply.body.error.message.length}-character message`);
  return reply.body.error.code ?? '';
}

/** The library's check on any value: a checked body or a validation TogetherError, never a throw. */
function checkedValue(value: unknown): void {
  for (const endpoint of ['chat', 'completions', 'embeddings'] as const) {
    const result = checkBody(endpoint, value);
    if (isTogetherError(result)) {
      assert.equal(result.category, 'validation');
      assert.ok(result.message.length < 5000, `a ${result.message.length}-character message`);
    } else assert.equal(result.endpoint, endpoint);
  }
}

/** JSON text built from pieces a hostile client sends: brackets, quotes, escapes, deep runs, long ids. */
const hostileJson = fc
  .array(
    fc.oneof(
      fc.constantFrom('{', '}', '[', ']', '"', '\\', '\\"', ':', ',', '{"model":', '"model"', '"messages":[', 'null', '1e999', '-0', '\u0000', '\uffff', '\ud800'),
      fc.integer({ min: 1, max: 400 }).map((n) => '['.repeat(n)),
      fc.integer({ min: 1, max: 400 }).map((n) => ']'.repeat(n)),
      fc.integer({ min: 200, max: 2000 }).map((n) => `"${'x'.repeat(n)}"`),
      fc.string({ maxLength: 16 }),
    ),
    { maxLength: 24 },
  )
  .map((parts) => parts.join(''));

/** Well-formed JSON nested to a random depth around the limit, in arrays or objects. */
const nestedJson = fc
  .tuple(fc.integer({ min: 1, max: 2 * MAX_BODY_DEPTH }), fc.boolean(), fc.string({ maxLength: 8 }))
  .map(([depth, arrays, leaf]) => {
    const [open, close] = arrays ? ['[', ']'] : ['{"k":', '}'];
    return { depth, text: `{"model":"m","x":${open.repeat(depth)}${JSON.stringify(leaf)}${close.repeat(depth)}}` };
  });

describe('request body checks, fuzzed', () => {
  const corpus = JSON.parse(readFileSync('test/fixtures/fuzz/gateway-body-corpus.json', 'utf8')) as Case[];
  for (const c of corpus) {
    test(`corpus: ${c.note}`, () => {
      const raw = bytesOf(c);
      assert.equal(checkedBytes(raw), c.expect);
      let value: unknown;
      try {
        value = JSON.parse(raw.toString('utf8'));
      } catch {
        return;
      }
      checkedValue(value);
    });
  }

  test('any bytes: an object within the bounds or a short 400, never a throw', () => {
    fc.assert(
      fc.property(fc.oneof(hostileJson.map((t) => Buffer.from(t)), fc.uint8Array({ maxLength: 256 }).map((b) => Buffer.from(b))), (raw) => {
        checkedBytes(raw);
      }),
      { seed: SEED, numRuns: 300, interruptAfterTimeLimit: 4000 },
    );
  });

  test('depth on the bytes agrees with depth on the parsed value', () => {
    fc.assert(
      fc.property(nestedJson, ({ depth, text }) => {
        const tooDeep = depth + 1 > MAX_BODY_DEPTH; // the body object is one level
        assert.equal(jsonTextTooDeep(Buffer.from(text)), tooDeep);
        assert.equal(valueTooDeep(JSON.parse(text)), tooDeep);
        assert.equal(checkedBytes(Buffer.from(text)), tooDeep ? 'invalid_request_body' : 'ok');
      }),
      { seed: SEED, numRuns: 300, interruptAfterTimeLimit: 4000 },
    );
  });

  test('any JSON value through the library check: a checked body or a validation error', () => {
    const value = fc.oneof(
      fc.jsonValue({ maxDepth: 6 }),
      fc.record({ model: fc.oneof(fc.string(), fc.string({ minLength: 250, maxLength: 300 })), messages: fc.jsonValue({ maxDepth: 4 }) }, { requiredKeys: [] }),
      nestedJson.map(({ text }) => JSON.parse(text) as unknown),
    );
    fc.assert(
      fc.property(value, (v) => {
        checkedValue(v);
        // The bytes the gateway would get for it take the same decision on depth.
        const text = JSON.stringify(v);
        if (text !== undefined) assert.equal(jsonTextTooDeep(Buffer.from(text)), valueTooDeep(v));
      }),
      { seed: SEED, numRuns: 300, interruptAfterTimeLimit: 4000 },
    );
  });
});
