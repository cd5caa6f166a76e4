// Property tests for classify (issue 15): any status, headers and body — Together's envelopes, HTML, text, bytes,
// garbage, the key in any encoding anywhere — give a TogetherError with a known category and a finite wait, never an
// exception, and never a form of a key it was told about (nor of one sent back in an authorization header).
// Every input that ever failed stays in test/fixtures/fuzz/classify-corpus.json and is replayed on its own.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { ERROR_CATEGORIES, classify } from '../../src/errors/index.js';
import { leakedForms, secretForms } from '../support/hostile-upstream.js';

const SEED = 20261207;
const KEY = 'tgp_v1_FUZZ+classify/0123456789_abcXYZ';
const FORMS = secretForms(KEY);

interface Case {
  note?: string;
  status: number | string;
  headers: Array<[string, string]>;
  bodyForm: string;
}

const fill = (text: string): string => text.replace(/\{\{(\w+)\}\}/g, (_, name: string) => FORMS[name] ?? name);

function bodyFor(form: string): unknown {
  switch (form) {
    case 'none':
      return undefined;
    case 'hexHtml':
      return `<html><head><title>Error ${FORMS['hex']}</title></head><body>${FORMS['hexUpper']}</body></html>`;
    case 'atQuoteEdge':
      return JSON.stringify({ error: { message: `${'x '.repeat(290)}${KEY} tail`, type: 'invalid_request_error' } });
    case 'urlAllThenBadEscape':
      return Buffer.from(JSON.stringify({ id: 'r-1', error: { message: '', code: `${FORMS['urlAll']}%Bearer ` } }));
    case 'jsonUnicode':
      return `{"error":{"message":"echo ${FORMS['jsonUnicode']}","code":"${FORMS['jsonUnicode']}"}}`;
    default:
      return JSON.stringify({ error: { message: `echo ${FORMS[form] ?? form}`, param: FORMS[form] ?? form } });
  }
}

function check(status: unknown, headers: Array<[string, string]>, body: unknown): void {
  let error;
  try {
    error = classify({ status: status as number, headers, body, secrets: [KEY], nowMs: 1_800_000_000_000 });
  } catch (thrown) {
    assert.fail(`classify threw ${String(thrown)}`);
  }
  assert.ok(ERROR_CATEGORIES.includes(error.category), error.category);
  assert.equal(typeof error.message, 'string');
  assert.equal(typeof error.retryable, 'boolean');
  if (error.retryAfterMs !== undefined) assert.ok(Number.isFinite(error.retryAfterMs) && error.retryAfterMs >= 0, String(error.retryAfterMs));
  const text = `${error.message} ${error.cause} ${error.fix} ${JSON.stringify(error.toJSON())}`;
  assert.deepEqual(leakedForms(text, KEY), [], text.slice(0, 300));
  for (const [name, value] of headers) {
    if (name.toLowerCase() !== 'authorization') continue;
    // Only tokens that cannot be words of tether's own sentences or field names.
    const token = /^\s*\S+\s+([A-Za-z0-9_+/=-]{16,})\s*$/.exec(value)?.[1];
    if (token !== undefined) assert.ok(!text.includes(token.trim()), 'an echoed authorization header is not repeated');
  }
}

const keyForm = fc.constantFrom(...Object.values(FORMS));
const text = fc.oneof(fc.string({ unit: 'binary', maxLength: 80 }), keyForm, fc.constantFrom('<html><title>', '</title>', '{"error":', '"message":', '}', 'Bearer ', '%', '\\u00', '\\/'));
const bodyText = fc.array(text, { maxLength: 12 }).map((parts) => parts.join(''));
const envelope = fc
  .record({ message: bodyText, type: fc.oneof(bodyText, fc.constant(undefined)), code: fc.oneof(bodyText, fc.integer(), fc.constant(null)), param: fc.oneof(bodyText, fc.constant(undefined)) })
  .map((inner) => JSON.stringify({ id: 'r-1', error: inner }));
const body = fc.oneof(
  bodyText,
  envelope,
  // The caller's own token echoed back (a proxy quoting the request).
  fc.stringMatching(/^[A-Za-z0-9_-]{16,40}$/).map((token) => JSON.stringify({ error: { message: `bad token ${token}` } })),
  envelope.map((json) => Buffer.from(json)),
  fc.json(),
  fc.uint8Array({ maxLength: 200 }),
  fc.constant(undefined),
  fc.anything({ maxDepth: 2 }),
);
const headerName = fc.constantFrom('retry-after', 'retry-after-ms', 'x-ratelimit-reset', 'x-request-id', 'cf-ray', 'content-type', 'authorization', 'x-echo');
const headerValue = fc.oneof(bodyText, fc.integer().map(String), fc.constantFrom('99999999999999999999999', '9'.repeat(400), '1e400', 'Wed, 21 Oct 2065 07:28:00 GMT', '1000000h'));
const bearer = fc.stringMatching(/^[A-Za-z0-9_-]{16,40}$/).map((token) => ['authorization', `Bearer ${token}`] as [string, string]);
const headers = fc.array(fc.oneof(fc.tuple(headerName, headerValue), bearer), { maxLength: 6 });
const status = fc.oneof(fc.integer({ min: 100, max: 599 }), fc.integer(), fc.double(), fc.constantFrom(Number.NaN, Infinity, -1, 0));

describe('classify under fuzzing', () => {
  const corpus = JSON.parse(readFileSync(new URL('../fixtures/fuzz/classify-corpus.json', import.meta.url), 'utf8')) as Case[];
  for (const c of corpus) {
    test(`corpus: ${c.note ?? c.bodyForm}`, () => {
      check(typeof c.status === 'string' ? Number(c.status) : c.status, c.headers.map(([name, value]) => [name, fill(value)]), bodyFor(c.bodyForm));
    });
  }

  test('random status, headers and bodies: a known category, a finite wait, no key form, never a throw', () => {
    fc.assert(
      fc.property(status, headers, body, (s, h, b) => check(s, h, b)),
      { numRuns: 300, seed: SEED, interruptAfterTimeLimit: 8000 },
    );
  });
});
